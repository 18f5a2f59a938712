/**
 * Entries without data of their own, created after the files: hard links to files just restored,
 * special files (FIFOs, devices), and the snapshot's symlinks last, so none can redirect this restore's
 * writes. Each is created under a fresh name and renamed over its destination, so a symlink already
 * there is replaced, never followed. Whatever cannot be created is a named failure.
 */
import fs from 'node:fs';
import { joinPath, restoreTmpName, type FsPath } from '../fs/fs-names';
import { makeSpecial, setLinkTimes, type SpecialType } from '../fs/fs-meta';
import { describePathError } from './restore-dirs';
import type { DirPlan, EntryPlan, FailureLog, HardlinkPlan } from './restore-plan';
import { nodeTarget } from '../repository/tree';

const tmpName = restoreTmpName;

/** Renames `tmp` over `dest`, refusing to replace a directory; `tmp` is gone afterwards either way. */
function moveIntoPlace(tmp: FsPath, dest: FsPath): void {
  try {
    if (fs.lstatSync(dest, { throwIfNoEntry: false })?.isDirectory())
      throw new Error('a directory is in the way');
    fs.renameSync(tmp, dest);
  } finally {
    // rename leaves both names when they already were links of one file.
    fs.rmSync(tmp, { force: true });
  }
}

export function createHardlinks(links: HardlinkPlan[], log: FailureLog): number {
  let made = 0;
  for (const h of links) {
    const lead = h.leader;
    if (!lead.done) {
      log.notRestored(h.snapPath, h.dest, `it is a hard link of ${lead.snapPath}, which was not restored`);
      continue;
    }
    const tmp = joinPath(h.parent.dest, tmpName());
    try {
      fs.linkSync(lead.dest, tmp);
      moveIntoPlace(tmp, h.dest);
      made++;
    } catch (err) {
      log.notRestored(h.snapPath, h.dest, `cannot create hard link (${describePathError(err)})`, err);
    }
  }
  return made;
}

export function createSymlinks(links: EntryPlan[], asRoot: boolean, log: FailureLog): number {
  let made = 0;
  for (const l of links) {
    const tmp = joinPath(l.parent.dest, tmpName());
    try {
      fs.symlinkSync(nodeTarget(l.node), tmp);
      try {
        if (asRoot) fs.lchownSync(tmp, l.node.uid, l.node.gid);
        setLinkTimes(tmp, l.node.mtimeNs);
      } catch (err) {
        log.metadata(
          l.snapPath,
          l.dest,
          `its owner or times could not be set (${describePathError(err)})`,
          err,
        );
      }
      moveIntoPlace(tmp, l.dest);
      l.done = true;
      made++;
    } catch (err) {
      log.notRestored(l.snapPath, l.dest, `cannot create symlink (${describePathError(err)})`, err);
    }
  }
  return made;
}

/** FIFOs and device nodes, through mkfifo/mknod; devices only as root (else a named failure). */
export function createSpecials(
  entries: EntryPlan[],
  target: DirPlan,
  asRoot: boolean,
  log: FailureLog,
): number {
  let made = 0;
  for (const e of entries) {
    const type = e.node.type as SpecialType;
    if (type !== 'fifo' && !asRoot) {
      log.notRestored(
        e.snapPath,
        e.dest,
        `a ${type === 'chardev' ? 'character' : 'block'} device can only be created as root`,
      );
      continue;
    }
    // The commands take text arguments: made under a plain name in its folder (or, for a folder whose
    // path is not UTF-8, in the target) and renamed into place.
    const dir = typeof e.parent.dest === 'string' ? e.parent.dest : (target.dest as string);
    const name = tmpName();
    const tmp = joinPath(dir, name);
    try {
      makeSpecial(dir, name, type, e.node.rdev);
      try {
        // By its fresh name (opening a device could act on it: a tape rewinds); lchown and lutimes never
        // follow a link, and the name was created just now by mknod/mkfifo, which fail if it exists.
        if (asRoot) fs.lchownSync(tmp, e.node.uid, e.node.gid);
        fs.chmodSync(tmp, e.node.mode & 0o7777);
        setLinkTimes(tmp, e.node.mtimeNs);
      } catch (err) {
        log.metadata(
          e.snapPath,
          e.dest,
          `its owner, mode or times could not be set (${describePathError(err)})`,
          err,
        );
      }
      moveIntoPlace(tmp, e.dest);
      e.done = true;
      made++;
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      const msg = (err as { stderr?: Buffer }).stderr?.toString().trim() || describePathError(err);
      log.notRestored(e.snapPath, e.dest, `cannot create the ${type} (${msg})`, err);
    }
  }
  return made;
}
