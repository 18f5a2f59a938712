/**
 * Reads one file and cuts it into content-defined chunks, handing each chunk with its HMAC id to
 * `onChunk` in order. Used by the chunk workers and, for small re-runs, by the main thread itself.
 * Memory is one read window plus one chunk, whatever the file size.
 */
import fs from 'node:fs';
import { ChunkBoundaryFinder } from './chunker';
import type { ChunkerParams } from '../repository/chunker-params';
import { blobId } from '../repository/crypto';
import type { FileRefusal } from './worker-protocol';

const READ_SIZE = 1024 * 1024;

export interface ChunkFileOptions {
  gear: Int32Array;
  chunker: ChunkerParams;
  blobIdKey: Buffer;
  onChunk(idBytes: Buffer, id: string, chunk: Buffer): Promise<void> | void;
  /** Asked before every read window (1 MiB): true stops the file with a `ChunkingStopped` error. */
  stop?: () => boolean;
}

/** Thrown by `chunkFile` when `stop` said so: a cancelled backup, not an unreadable file. */
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

/**
 * Reads with synchronous calls: in a worker they block only that thread and skip the thread-pool round
 * trip per read that dominated small files. Throws what reading (or `onChunk`) throws.
 */
export async function chunkFile(
  path: string | Uint8Array,
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
  // A name that is not UTF-8 arrives as bytes (a plain Uint8Array after crossing to a worker).
  const fd = fs.openSync(
    typeof path === 'string' ? path : Buffer.from(path.buffer, path.byteOffset, path.byteLength),
    'r',
  );
  try {
    const finder = new ChunkBoundaryFinder(opts.gear, chunker);
    let filled = 0;
    for (;;) {
      if (opts.stop?.()) throw new ChunkingStopped();
      const room = Math.min(READ_SIZE, buf.length - filled);
      const bytesRead = fs.readSync(fd, buf, filled, room, null);
      if (bytesRead === 0) break;
      size += bytesRead;
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
  } finally {
    fs.closeSync(fd);
  }
}
