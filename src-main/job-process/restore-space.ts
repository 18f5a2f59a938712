/**
 * Whether the files chosen for a restore fit where they are going, checked before anything is
 * written: a restore that fills the disk half-way leaves the person with part of their files and a
 * full disk. The need is counted as the disk will (each file and folder at least one 4 KiB block), so
 * it errs towards "does not fit"; the free space is what an ordinary user may still write there.
 */
import fs from 'node:fs';
import path from 'node:path';
import { walkTree, type Repository } from '../../src-engine/index';

const BLOCK = 4096;

export interface RestoreSpace {
  neededBytes: number;
  freeBytes: number;
}

/** The bytes the selection takes on disk: every file under an `include` path (all when empty). */
export async function selectionBytes(
  repo: Repository,
  snapshotId: string,
  include: string[],
  signal: AbortSignal,
): Promise<number> {
  const snapshot = await repo.findSnapshot(snapshotId);
  const wanted = include.map((p) => path.posix.resolve(p));
  const chosen = (p: string) => wanted.length === 0 || wanted.some((w) => p === w || p.startsWith(`${w}/`));
  const onTheWay = (p: string) => wanted.some((w) => w.startsWith(`${p}/`));
  let bytes = 0;
  for await (const e of walkTree(repo, snapshot.tree, { signal })) {
    if (chosen(e.path)) {
      bytes += e.type === 'file' ? Math.ceil((e.size ?? 0) / BLOCK) * BLOCK : BLOCK;
    } else if (e.type === 'dir' && !onTheWay(e.path)) {
      e.skip();
    }
  }
  return bytes;
}

/** Free bytes for an ordinary user at `target`, or at the nearest folder above it that exists. */
export function freeBytesAt(target: string): number {
  let at = path.resolve(target);
  while (!fs.existsSync(at) && at !== path.dirname(at)) at = path.dirname(at);
  const s = fs.statfsSync(at);
  return s.bavail * s.bsize;
}

/** The need and the room when the selection does not fit at `target`; null when it does. */
export async function tooLittleSpace(
  repo: Repository,
  request: { snapshotId: string; include: string[]; target: string },
  signal: AbortSignal,
): Promise<RestoreSpace | null> {
  const freeBytes = freeBytesAt(request.target);
  const neededBytes = await selectionBytes(repo, request.snapshotId, request.include, signal);
  return neededBytes > freeBytes ? { neededBytes, freeBytes } : null;
}
