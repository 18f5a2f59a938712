/**
 * Folders under the restore target: created parents first, each checked with lstat so restore never
 * writes through a symlink someone left in the target; their metadata is set last, deepest first.
 * The one exception is a folder the snapshot holds only on the way to a backed-up path (`/x/link` of a
 * backup of `/x/link/doc`): a symlink to a folder there is followed, as the backup followed it, when
 * it belongs to this user or to root (so nobody else can have put it there to redirect the restore);
 * that folder's own metadata is then left as it is.
 * A folder that cannot be used (a symlink or file in the way, a path too long for the target) is a
 * named failure, and so, implicitly, is everything under it; its siblings go on.
 */
import fs from 'node:fs';
import { constants as fsc } from 'node:fs';
import path from 'node:path';
import { describeIoError } from '../errors';
import { displayName, isLeftoverTmpName, joinPath, type FsPath } from '../fs/fs-names';
import { setTimesFd } from '../fs/fs-meta';
import type { DirPlan, FailureLog, RestorePlan } from './restore-plan';

/** Why an error of a single path is not restorable, in words (ENAMETOOLONG, EACCES, ...). */
export function describePathError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENAMETOOLONG') return 'its path or name is too long for the target (ENAMETOOLONG)';
  if (e.code === 'EACCES' || e.code === 'EPERM') return `permission denied (${e.code})`;
  if (e.code === 'EISDIR') return 'a directory is in the way';
  if (e.code === 'ENOSPC') return 'the disk is full (ENOSPC)';
  if (e.code === 'EDQUOT') return 'the disk quota is used up (EDQUOT)';
  if (e.code === 'EROFS') return 'the target is on a read-only file system (EROFS)';
  return e.message ?? String(err);
}

/**
 * Creates the restore target and its missing parents. Node's recursive mkdir answers ENOENT for a
 * parent it could not create whatever the reason (a read-only file system, no permission): the first
 * missing parent is then created alone, for the error that says why.
 */
function makeTarget(dest: FsPath): void {
  try {
    fs.mkdirSync(dest, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || typeof dest !== 'string') throw err;
    let missing = dest;
    while (path.dirname(missing) !== missing && !fs.existsSync(path.dirname(missing)))
      missing = path.dirname(missing);
    // Throws the error that says why; if it works now after all, so does the rest.
    fs.mkdirSync(missing);
    fs.mkdirSync(dest, { recursive: true });
  }
}

/**
 * Makes `dir` a real directory if nothing is there; returns why it cannot be used when something else
 * is (a symlink is followed only for `followLink`, see above), and whether this call created it.
 */
function ensureRealDir(
  dir: FsPath,
  followLink: boolean,
): { why?: string; created: boolean; viaLink?: boolean } {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
      return { created: true };
    } catch (err) {
      // Created by someone else, or there before: look at what it is.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    try {
      const st = fs.lstatSync(dir);
      if (st.isSymbolicLink()) {
        if (!followLink) return { why: 'a symlink is in the way; it was not followed', created: false };
        if (st.uid !== 0 && st.uid !== process.geteuid?.())
          return {
            why: `a symlink of another user (uid ${st.uid}) is in the way; it was not followed`,
            created: false,
          };
        if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory())
          return { why: 'a symlink to something that is not a directory is in the way', created: false };
        return { created: false, viaLink: true };
      }
      if (!st.isDirectory())
        return { why: 'something that is not a directory is in the way', created: false };
      return { created: false };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return { why: 'it keeps changing while being restored', created: false };
}

/** Creates the target and every planned folder; marks which ones are usable and which are fresh. */
export function createDirs(plan: RestorePlan, log: FailureLog): number {
  try {
    makeTarget(plan.target.dest);
    // The target is the person's own choice: a symlink to a folder there is followed, as it is
    // when it stands earlier in the target's path.
    const st = fs.statSync(plan.target.dest);
    if (!st.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (err) {
    throw describeIoError(err, 'creating the restore target', displayName(plan.target.dest));
  }
  plan.target.usable = true;
  let created = 0;
  for (const d of plan.dirs) {
    const parent = d.parent!;
    if (!parent.usable) continue; // an ancestor failed, and was named
    try {
      // In a folder this restore created, nothing can be in the way yet.
      const r = ensureRealDir(d.dest, d.parentOnly === true);
      if (r.why) {
        log.notRestored(d.snapPath, d.dest, `${r.why}; nothing under it was restored`);
        continue;
      }
      d.fresh = r.created;
      if (r.viaLink) d.viaLink = true;
    } catch (err) {
      // A full disk too: the folders and files that still fit are restored, and this one is named.
      log.notRestored(d.snapPath, d.dest, `${describePathError(err)}; nothing under it was restored`, err);
      continue;
    }
    d.usable = true;
    created++;
  }
  return created;
}

/**
 * Removes what an earlier restore that was killed left in the folders this one writes into: its
 * temporary files (`.sr` names, see restoreTmpName), never a folder, never another process's that is
 * alive (see isLeftoverTmpName). Folders this restore created hold none.
 */
export function removeLeftovers(plan: RestorePlan): void {
  for (const d of [plan.target, ...plan.dirs]) {
    if (!d.usable || d.fresh) continue;
    let names: string[];
    try {
      names = fs.readdirSync(d.dest, { encoding: 'utf8' });
    } catch {
      continue; // unreadable: its entries fail, and are named, on their own
    }
    for (const name of names) {
      if (!isLeftoverTmpName(name)) continue;
      const p = joinPath(d.dest, name);
      try {
        if (!fs.lstatSync(p).isDirectory()) fs.rmSync(p, { force: true });
      } catch {
        // Gone already, or not ours to remove: it stays, and is nothing this restore relies on.
      }
    }
  }
}

/**
 * Owner (as root), mode and times of every usable folder, deepest first: setting a parent's mtime
 * before writing into it would be undone. Through a descriptor opened with O_NOFOLLOW, so a folder
 * swapped for a symlink since is never followed.
 */
export function applyDirMetadata(dirs: DirPlan[], asRoot: boolean, log: FailureLog): void {
  const usable = dirs.filter((d) => d.usable && d.node && !d.viaLink);
  usable.sort((a, b) => b.depth - a.depth);
  for (const d of usable) {
    const node = d.node!;
    let fd: number | undefined;
    try {
      fd = fs.openSync(d.dest, fsc.O_RDONLY | fsc.O_DIRECTORY | fsc.O_NOFOLLOW);
      if (asRoot) fs.fchownSync(fd, node.uid, node.gid);
      fs.fchmodSync(fd, node.mode & 0o7777);
      setTimesFd(fd, d.dest, node.mtimeNs);
    } catch (err) {
      log.metadata(
        d.snapPath,
        d.dest,
        `its owner, mode or times could not be set (${describePathError(err)})`,
        err,
      );
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }
}
