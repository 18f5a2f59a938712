/**
 * Reads one file and cuts it into content-defined chunks, handing each chunk with its HMAC id to
 * `onChunk` in order. Used by the chunk workers and, for small re-runs, by the main thread itself.
 * Memory is one read window plus one chunk, whatever the file size.
 *
 * `saveFile` stores only what was there: it opens without following a symlink and without blocking
 * (a FIFO put in the file's place would block an ordinary open for ever), and refuses anything but the
 * regular file the scan saw (restic's "changed type, refusing to archive"). It compares size, mtime and
 * ctime of the descriptor before and after reading; a file that moved is read once more, and one that
 * moved again is stored as read and said to have changed (restic says nothing; borg warns).
 */
import fs from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { ChunkBoundaryFinder } from './chunker';
import type { ChunkerParams } from '../repository/chunker-params';
import { blobId } from '../repository/crypto';
import type { FileIdentity, FileOutcome, FileRefusal } from './worker-protocol';

const READ_SIZE = 1024 * 1024;

export interface ChunkFileOptions {
  gear: Int32Array;
  chunker: ChunkerParams;
  blobIdKey: Buffer;
  onChunk(idBytes: Buffer, id: string, chunk: Buffer): Promise<void> | void;
  /** Asked before every read window (1 MiB): true stops the file with a `ChunkingStopped` error. */
  stop?: () => boolean;
  /** Called after every read window with the bytes read so far (a test's way in, between two reads). */
  afterWindow?: (bytesRead: number) => void;
}

/** Thrown by `saveFile` when `stop` said so: a cancelled backup, not an unreadable file. */
export class ChunkingStopped extends Error {
  constructor() {
    super('stopped in the middle of the file (the backup was cancelled)');
  }
}

/** Why a file that could not be read is not in the snapshot. */
export function unreadable(err: unknown): FileRefusal {
  const e = err as NodeJS.ErrnoException;
  return {
    reason: `cannot read (${e.code ?? 'error'}: ${e.message}); not in this snapshot`,
    ...(typeof e.code === 'string' ? { errno: e.code } : {}),
  };
}

const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0;

/** What a file system entry is, in words, for a refusal. */
function typeName(st: BigIntStats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a symlink';
  return 'not a regular file';
}

/** The descriptor's size, mtime and ctime did not move. */
function unmoved(a: BigIntStats, b: BigIntStats): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/**
 * Chunks and stores the regular file the scan saw at `path` (see the top of this file). Resolves with
 * its blob ids and the times of the version stored; a refusal or read error is the outcome's `error`,
 * a file that kept changing its `changed`. Throws what reading, `onChunk` or `stop` throw.
 */
export async function saveFile(
  path: string | Uint8Array,
  expected: Pick<FileIdentity, 'dev' | 'ino'>,
  opts: ChunkFileOptions,
): Promise<FileOutcome> {
  // A name that is not UTF-8 arrives as bytes (a plain Uint8Array after crossing to a worker).
  const p = typeof path === 'string' ? path : Buffer.from(path.buffer, path.byteOffset, path.byteLength);
  let fd: number;
  try {
    fd = fs.openSync(p, fs.constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    // O_NOFOLLOW answers ELOOP for a symlink (EMLINK on FreeBSD).
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK') return refused('a symlink', code);
    return { content: [], size: 0, error: unreadable(err) };
  }
  try {
    let before = fs.fstatSync(fd, { bigint: true });
    if (!before.isFile()) return refused(typeName(before));
    if (before.dev.toString() !== expected.dev || before.ino.toString() !== expected.ino) {
      return {
        content: [],
        size: 0,
        error: {
          reason:
            'replaced by another file since it was scanned (its device or inode changed), refusing to archive; the next backup stores it',
        },
      };
    }
    let reread = 0;
    for (let attempt = 1; ; attempt++) {
      const r = await chunkFrom(fd, Number(before.size), opts);
      const after = fs.fstatSync(fd, { bigint: true });
      const stable = unmoved(before, after) && BigInt(r.size) === after.size;
      if (stable || attempt === 2) {
        return {
          ...r,
          mtimeNs: after.mtimeNs.toString(),
          ctimeNs: after.ctimeNs.toString(),
          ...(reread ? { reread } : {}),
          ...(stable
            ? {}
            : {
                changed: 'changed while it was backed up (read twice, it moved both times); stored as read',
              }),
        };
      }
      // Moved while read: the bytes stored may never have been the file's at any one moment.
      reread += r.size;
      before = after;
    }
  } finally {
    fs.closeSync(fd);
  }
}

function refused(what: string, errno?: string): FileOutcome {
  return {
    content: [],
    size: 0,
    error: {
      reason: `changed type since it was scanned (now ${what}), refusing to archive`,
      ...(errno ? { errno } : {}),
    },
  };
}

/**
 * Reads with synchronous calls: in a worker they block only that thread and skip the thread-pool round
 * trip per read that dominated small files. Throws what reading (or `onChunk`) throws.
 */
async function chunkFrom(
  fd: number,
  expectedSize: number,
  opts: ChunkFileOptions,
): Promise<{ content: string[]; size: number }> {
  const { chunker } = opts;
  const content: string[] = [];
  let size = 0;
  const full = chunker.max + READ_SIZE;
  // Start with room for a typical chunk (or the whole small file) and grow only for a long chunk: most
  // chunks end near the average size, so memory per file stays a few MiB even with an 8 MiB maximum.
  let buf = Buffer.allocUnsafe(Math.min(expectedSize + 1, 2 * chunker.avg + READ_SIZE, full));
  const emit = async (chunk: Buffer) => {
    const idBytes = blobId(opts.blobIdKey, chunk);
    const id = idBytes.toString('hex');
    content.push(id);
    await opts.onChunk(idBytes, id, chunk);
  };
  const finder = new ChunkBoundaryFinder(opts.gear, chunker);
  let filled = 0;
  for (;;) {
    if (opts.stop?.()) throw new ChunkingStopped();
    const room = Math.min(READ_SIZE, buf.length - filled);
    const bytesRead = fs.readSync(fd, buf, filled, room, size);
    if (bytesRead === 0) break;
    size += bytesRead;
    opts.afterWindow?.(size);
    const cuts = finder.update(buf.subarray(filled, filled + bytesRead));
    let start = 0;
    for (const c of cuts) {
      const end = filled + c;
      await emit(buf.subarray(start, end));
      start = end;
    }
    filled += bytesRead;
    if (start > 0) {
      buf.copyWithin(0, start, filled);
      filled -= start;
    }
    if (filled === buf.length) {
      if (buf.length < full) {
        const bigger = Buffer.allocUnsafe(Math.min(full, buf.length * 2 + READ_SIZE));
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      } else {
        // Cannot happen (the finder cuts at the maximum), but never loop without progress.
        await emit(Buffer.from(buf.subarray(0, filled)));
        finder.reset();
        filled = 0;
      }
    }
  }
  if (filled > 0) await emit(buf.subarray(0, filled));
  return { content, size };
}
