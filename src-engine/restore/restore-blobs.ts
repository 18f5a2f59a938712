/**
 * Opening the blobs of one pack range (authenticate, decrypt, decompress), and the messages that carry
 * that work to restore's worker threads. The same function runs in a worker and, for a small restore or
 * with `workers: 0`, on the main thread, so both check every blob alike.
 */
import { decryptBlob, type PackEntry } from '../repository/pack';
import type { Subkeys } from '../repository/crypto';

/** One blob of a range: its plaintext, or why it could not be opened (the blob is damaged). */
export interface OpenedBlob {
  plain?: Buffer;
  error?: string;
}

/** `sealed` holds the pack's bytes from offset `base`; each entry's offset is the pack's. */
export function openRangeBlobs(
  keys: Subkeys,
  packId: string,
  sealed: Uint8Array,
  base: number,
  entries: readonly PackEntry[],
): OpenedBlob[] {
  const where = `pack ${packId.slice(0, 16)}`;
  return entries.map((e) => {
    const start = e.offset - base;
    try {
      return { plain: decryptBlob(keys, e, sealed.subarray(start, start + e.length), where) };
    } catch (err) {
      return { error: (err as Error).message };
    }
  });
}

export interface RestoreWorkerInit {
  encryptKey: Uint8Array;
  blobIdKey: Uint8Array;
}

export type ToRestoreWorker = {
  t: 'open';
  task: number;
  packId: string;
  /** The range's bytes, transferred (the main thread no longer holds them). */
  sealed: Uint8Array;
  base: number;
  entries: PackEntry[];
};

/** A plaintext: which of the reply's buffers, from and to which offset. */
export type BlobAt = [buffer: number, start: number, end: number];

export type FromRestoreWorker =
  | { t: 'ready' }
  /** Blob i: where its plaintext is among `buffers` (transferred), or why it could not be opened. */
  | { t: 'opened'; task: number; buffers: Uint8Array[]; blobs: (BlobAt | string)[] }
  | { t: 'fatal'; error: string };
