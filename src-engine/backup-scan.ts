/**
 * Backup's first phase: walks the roots with lstat (never following a link) and builds the tree of what
 * to save, counting files and bytes for progress. Names are read as bytes, so a name that is not UTF-8
 * is kept exactly (see fs-names.ts). Whatever cannot be read is reported through `warn` and left out.
 */
import fsp from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import path from 'node:path';
import type { ExcludeMatcher } from './exclude';
import { displayName, fromBytes, joinPath, type FsPath } from './fs-names';

export type ScanEntry =
  | { kind: 'dir'; name: FsPath; st: BigIntStats | undefined; children: ScanEntry[] }
  | { kind: 'file'; name: FsPath; st: BigIntStats; path: FsPath }
  | { kind: 'symlink'; name: FsPath; st: BigIntStats; target: FsPath }
  | { kind: 'special'; name: FsPath; st: BigIntStats; type: 'fifo' | 'chardev' | 'blockdev' };

export type ScanDir = Extract<ScanEntry, { kind: 'dir' }>;

export interface ScanEvents {
  /** A path left out (`missingData`: its data is lost to the snapshot) or a note about it. */
  warn(what: FsPath, reason: string, missingData?: boolean): void;
  onFile(size: number): void;
  /** Throws to stop the scan (cancellation). */
  checkCancel(): void;
}

/**
 * The root tree: the roots' absolute components as folders (with their real metadata) down to each
 * root. A root inside another root is covered by the outer one.
 */
export async function scanRoots(roots: string[], excludes: ExcludeMatcher, ev: ScanEvents): Promise<ScanDir> {
  const top: ScanDir = { kind: 'dir', name: '', st: undefined, children: [] };
  for (const root of roots) {
    const parts = root.split(path.sep).filter(Boolean);
    let dir = top;
    let abs = '/';
    for (let i = 0; i < parts.length - 1; i++) {
      abs = path.join(abs, parts[i]!);
      let next = dir.children.find((c): c is ScanDir => c.kind === 'dir' && c.name === parts[i]);
      if (!next) {
        next = { kind: 'dir', name: parts[i]!, st: await fsp.lstat(abs, { bigint: true }), children: [] };
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

async function scan(
  abs: FsPath,
  name: FsPath,
  excludes: ExcludeMatcher,
  ev: ScanEvents,
): Promise<ScanEntry | undefined> {
  ev.checkCancel();
  if (excludes.matches(displayName(abs))) return undefined;
  let st: BigIntStats;
  try {
    st = await fsp.lstat(abs, { bigint: true });
  } catch (err) {
    ev.warn(abs, `cannot read metadata (${(err as Error).message}); skipped`);
    return undefined;
  }
  if (st.isSymbolicLink()) {
    try {
      return {
        kind: 'symlink',
        name,
        st,
        target: fromBytes(await fsp.readlink(abs, { encoding: 'buffer' })),
      };
    } catch (err) {
      ev.warn(abs, `cannot read link (${(err as Error).message}); skipped`);
      return undefined;
    }
  }
  if (st.isFile()) {
    ev.onFile(Number(st.size));
    return { kind: 'file', name, st, path: abs };
  }
  if (st.isDirectory()) {
    const d: ScanDir = { kind: 'dir', name, st, children: [] };
    let names: FsPath[];
    try {
      // As bytes: a name that is not UTF-8 stays exactly what it is (a string would mangle it).
      names = (await fsp.readdir(abs, { encoding: 'buffer' })).map(fromBytes);
    } catch (err) {
      ev.warn(abs, `cannot list directory (${(err as Error).message}); its contents are missing`);
      return d;
    }
    // Stat siblings concurrently (libuv's pool does the waiting); order is kept by index.
    for (let i = 0; i < names.length; i += 64) {
      const batch = names.slice(i, i + 64);
      for (const c of await Promise.all(batch.map((n) => scan(joinPath(abs, n), n, excludes, ev))))
        if (c) d.children.push(c);
    }
    return d;
  }
  if (st.isFIFO()) return { kind: 'special', name, st, type: 'fifo' };
  if (st.isCharacterDevice()) return { kind: 'special', name, st, type: 'chardev' };
  if (st.isBlockDevice()) return { kind: 'special', name, st, type: 'blockdev' };
  // A socket belongs to the program that listens on it; like restic's restore, not recreated.
  ev.warn(abs, 'socket not backed up (a socket is recreated by the program that uses it)', false);
  return undefined;
}
