/**
 * Backup's first phase: walks the roots with lstat (never following a link) and builds the tree of what
 * to save, counting files and bytes for progress. Names are read as bytes, so a name that is not UTF-8
 * is kept exactly (see fs-names.ts). Whatever cannot be read is reported through `warn` and left out.
 *
 * Each entry keeps only what its tree node needs (the lstat result is turned into the node's metadata
 * at once and dropped): a Node stat object holds eighteen BigInts, which for 50,000 small files was
 * most of the backup's memory.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import path from 'node:path';
import type { ExcludeMatcher } from './exclude';
import { errnoOf } from '../errors';
import { displayName, fromBytes, joinPath, type FsPath } from '../fs/fs-names';
import type { TreeNode } from '../repository/tree';
import { HeapBudget } from '../repository/memory';
import { ConcurrencyLimit } from '../../src-shared/concurrency-limit';

/** A tree node's metadata, in the order the node's fields are encoded (see tree.ts). */
export type NodeMeta = Pick<
  TreeNode,
  'name' | 'nameBytes' | 'mode' | 'mtimeNs' | 'ctimeNs' | 'inode' | 'uid' | 'gid'
>;

export type ScanEntry =
  | { kind: 'dir'; name: FsPath; meta: NodeMeta | undefined; children: ScanEntry[] }
  | {
      kind: 'file';
      name: FsPath;
      meta: NodeMeta;
      size: number;
      hardlink: string | undefined;
      /** The device it is on: with the inode, what the read checks it still is. */
      dev: string;
    }
  | { kind: 'symlink'; name: FsPath; meta: NodeMeta; target: FsPath }
  | { kind: 'special'; name: FsPath; meta: NodeMeta; type: 'fifo' | 'chardev' | 'blockdev'; rdev: string };

export type ScanDir = Extract<ScanEntry, { kind: 'dir' }>;

export interface ScanEvents {
  /** A path left out (`not-stored`) or a note about it. */
  problem(kind: 'not-stored' | 'note', what: FsPath, reason: string, errno?: string): void;
  onFile(size: number): void;
  /** Throws to stop the scan (cancellation). */
  checkCancel(): void;
}

/** The metadata of a node named `name`; a folder without stat (the snapshot's top) gets 0755 and zeros. */
export function nodeMeta(name: FsPath, st: BigIntStats | undefined): NodeMeta {
  return {
    name: displayName(name),
    ...(typeof name === 'string' ? {} : { nameBytes: name.toString('base64') }),
    mode: st ? Number(st.mode & 0o7777n) : 0o755,
    mtimeNs: st ? st.mtimeNs.toString() : '0',
    ctimeNs: st ? st.ctimeNs.toString() : '0',
    inode: st ? st.ino.toString() : '0',
    uid: st ? Number(st.uid) : 0,
    gid: st ? Number(st.gid) : 0,
  };
}

/**
 * The root tree: the roots' absolute components as folders (with their real metadata) down to each
 * root. A root inside another root is covered by the outer one. A component that is a symlink to a
 * folder (`/x/link/doc`) is followed, as the path itself is: the snapshot holds the real folder's
 * metadata there (as restic does), never the link's 0777.
 */
export async function scanRoots(roots: string[], excludes: ExcludeMatcher, ev: ScanEvents): Promise<ScanDir> {
  const top: ScanDir = { kind: 'dir', name: '', meta: undefined, children: [] };
  for (const root of roots) {
    const parts = root.split(path.sep).filter(Boolean);
    let dir = top;
    let abs = '/';
    for (let i = 0; i < parts.length - 1; i++) {
      abs = path.join(abs, parts[i]!);
      let next = dir.children.find((c): c is ScanDir => c.kind === 'dir' && c.name === parts[i]);
      if (!next) {
        const st = await fsp.stat(abs, { bigint: true });
        next = { kind: 'dir', name: parts[i]!, meta: nodeMeta(parts[i]!, st), children: [] };
        dir.children.push(next);
      }
      dir = next;
    }
    const name = parts[parts.length - 1] ?? '';
    if (dir.children.some((c) => c.name === name)) continue; // nested root already covered
    const e = await scan(root, name, excludes, ev);
    if (e) dir.children.push(e);
  }
  return top;
}

/** lstat through libuv's thread pool with a callback: cheaper per call than the promise API. */
function lstat(p: FsPath): Promise<BigIntStats> {
  return new Promise((resolve, reject) =>
    fs.lstat(p, { bigint: true }, (err, st) => (err ? reject(err) : resolve(st))),
  );
}

const heap = new HeapBudget();
/**
 * Folders listed and stat'ed at once. Each folder's entries are stat'ed together (libuv's pool does the
 * waiting); bounding the folders bounds the calls in flight, which unbounded grew with the whole tree.
 */
const listing = new ConcurrencyLimit(8);

async function scan(
  abs: FsPath,
  name: FsPath,
  excludes: ExcludeMatcher,
  ev: ScanEvents,
): Promise<ScanEntry | undefined> {
  if (excludes.matches(displayName(abs))) return undefined;
  let st: BigIntStats;
  try {
    st = await lstat(abs);
  } catch (err) {
    ev.problem('not-stored', abs, `cannot read metadata (${(err as Error).message}); skipped`, errnoOf(err));
    return undefined;
  }
  const e = await entryOf(abs, name, st, ev);
  return e === 'dir' ? scanDir(abs, name, st, excludes, ev) : e;
}

/** The entry for a stat'ed path; 'dir' for a folder, which the caller lists. */
async function entryOf(
  abs: FsPath,
  name: FsPath,
  st: BigIntStats,
  ev: ScanEvents,
): Promise<ScanEntry | 'dir' | undefined> {
  heap.check();
  if (st.isSymbolicLink()) {
    try {
      const target = fromBytes(await fsp.readlink(abs, { encoding: 'buffer' }));
      return { kind: 'symlink', name, meta: nodeMeta(name, st), target };
    } catch (err) {
      ev.problem('not-stored', abs, `cannot read link (${(err as Error).message}); skipped`, errnoOf(err));
      return undefined;
    }
  }
  if (st.isFile()) {
    const size = Number(st.size);
    ev.onFile(size);
    // Only for files with several links, so every other tree (and its id) stays as it was.
    const hardlink = st.nlink > 1n ? `${st.dev}:${st.ino}` : undefined;
    return { kind: 'file', name, meta: nodeMeta(name, st), size, hardlink, dev: st.dev.toString() };
  }
  if (st.isDirectory()) return 'dir';
  const special = st.isFIFO()
    ? 'fifo'
    : st.isCharacterDevice()
      ? 'chardev'
      : st.isBlockDevice()
        ? 'blockdev'
        : undefined;
  if (special)
    return { kind: 'special', name, meta: nodeMeta(name, st), type: special, rdev: st.rdev.toString() };
  // A socket belongs to the program that listens on it; like restic's restore, not recreated.
  ev.problem('note', abs, 'socket not backed up (a socket is recreated by the program that uses it)');
  return undefined;
}

async function scanDir(
  abs: FsPath,
  name: FsPath,
  st: BigIntStats,
  excludes: ExcludeMatcher,
  ev: ScanEvents,
): Promise<ScanDir> {
  ev.checkCancel();
  const d: ScanDir = { kind: 'dir', name, meta: nodeMeta(name, st), children: [] };
  // Entries in listing order; a subfolder is a placeholder until it is scanned.
  const subdirs: { at: number; abs: FsPath; name: FsPath; st: BigIntStats }[] = [];
  const listed = await listing.run(async () => {
    let names: FsPath[];
    try {
      // As bytes: a name that is not UTF-8 stays exactly what it is (a string would mangle it).
      names = (await fsp.readdir(abs, { encoding: 'buffer' })).map(fromBytes);
    } catch (err) {
      ev.problem(
        'not-stored',
        abs,
        `cannot list directory (${(err as Error).message}); its contents are missing`,
        errnoOf(err),
      );
      return false;
    }
    for (let i = 0; i < names.length; i += 256) {
      ev.checkCancel();
      const batch = names
        .slice(i, i + 256)
        .map((n) => ({ n, p: joinPath(abs, n) }))
        .filter((x) => !excludes.matches(displayName(x.p)));
      const stats = await Promise.all(
        batch.map((x) =>
          lstat(x.p).catch((err: Error) => {
            ev.problem('not-stored', x.p, `cannot read metadata (${err.message}); skipped`, errnoOf(err));
            return undefined;
          }),
        ),
      );
      for (let k = 0; k < batch.length; k++) {
        const cst = stats[k];
        if (!cst) continue;
        const { n, p } = batch[k]!;
        const e = await entryOf(p, n, cst, ev);
        if (e === 'dir') {
          subdirs.push({ at: d.children.length, abs: p, name: n, st: cst });
          d.children.push(undefined as unknown as ScanEntry);
        } else if (e) d.children.push(e);
      }
    }
    return true;
  });
  if (!listed) return d;
  const scanned = await Promise.all(subdirs.map((s) => scanDir(s.abs, s.name, s.st, excludes, ev)));
  subdirs.forEach((s, i) => (d.children[s.at] = scanned[i]!));
  return d;
}
