/**
 * Where restore opens its blobs: a pool of restore workers (restore-worker.ts) that authenticate,
 * decrypt and decompress whole pack ranges while the main thread writes the ranges before them, or, for
 * a small restore, the main thread itself (starting workers would cost more than it saves).
 */
import type { Worker } from 'node:worker_threads';
import type { PackEntry } from '../repository/pack';
import type { Subkeys } from '../repository/crypto';
import { startEngineWorker } from '../worker-threads';
import {
  openRangeBlobs,
  type FromRestoreWorker,
  type OpenedBlob,
  type RestoreWorkerInit,
  type ToRestoreWorker,
} from './restore-blobs';

export interface BlobOpener {
  /** The blobs `entries` of the range of pack `packId` that starts at `base`; `sealed` is given away. */
  open(packId: string, sealed: Buffer, base: number, entries: PackEntry[]): Promise<OpenedBlob[]>;
  close(): Promise<void>;
}

/** Opens blobs on the calling thread. */
export class InlineBlobOpener implements BlobOpener {
  constructor(private readonly keys: Subkeys) {}

  async open(packId: string, sealed: Buffer, base: number, entries: PackEntry[]): Promise<OpenedBlob[]> {
    return openRangeBlobs(this.keys, packId, sealed, base, entries);
  }

  async close(): Promise<void> {}
}

interface Slot {
  worker: Worker;
  busy: number;
}

interface Pending {
  slot: Slot;
  resolve: (r: OpenedBlob[]) => void;
  reject: (e: Error) => void;
}

export class RestoreWorkerPool implements BlobOpener {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextTask = 1;
  private failure: Error | undefined;
  private closed = false;

  private constructor() {}

  static async start(keys: Subkeys, size: number): Promise<RestoreWorkerPool> {
    const pool = new RestoreWorkerPool();
    const init: RestoreWorkerInit = { encryptKey: keys.encrypt, blobIdKey: keys.blobId };
    const starting = Array.from({ length: size }, () => {
      const { worker, ready } = startEngineWorker<FromRestoreWorker>('restore-worker', init, {
        onMessage: (m) => pool.onMessage(slot, m),
        onFailure: (err) => pool.fail(err),
        closing: () => pool.closed,
      });
      const slot: Slot = { worker, busy: 0 };
      pool.slots.push(slot);
      return ready;
    });
    try {
      await Promise.all(starting);
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  private onMessage(slot: Slot, m: FromRestoreWorker): void {
    if (m.t === 'fatal') {
      this.fail(new Error(`a restore worker failed: ${m.error}`));
      return;
    }
    if (m.t !== 'opened') return;
    const p = this.pending.get(m.task);
    if (!p) return;
    this.pending.delete(m.task);
    slot.busy--;
    p.resolve(
      m.blobs.map((b) => {
        if (typeof b === 'string') return { error: b };
        const [k, start, end] = b;
        const buf = m.buffers[k]!;
        return { plain: Buffer.from(buf.buffer, buf.byteOffset + start, end - start) };
      }),
    );
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  open(packId: string, sealed: Buffer, base: number, entries: PackEntry[]): Promise<OpenedBlob[]> {
    if (this.failure) return Promise.reject(this.failure);
    // A view into a larger buffer (Node's shared pool for small reads) is copied: only a whole buffer
    // can be transferred.
    const own =
      sealed.byteOffset === 0 && sealed.byteLength === sealed.buffer.byteLength
        ? sealed
        : Uint8Array.prototype.slice.call(sealed);
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    const task = this.nextTask++;
    slot.busy++;
    return new Promise((resolve, reject) => {
      this.pending.set(task, { slot, resolve, reject });
      const m: ToRestoreWorker = { t: 'open', task, packId, sealed: own, base, entries };
      slot.worker.postMessage(m, [own.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
