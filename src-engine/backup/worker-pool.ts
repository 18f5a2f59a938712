/** A pool of chunk workers sized to the machine; the main thread owns dedup decisions and the index. */
import type { Worker } from 'node:worker_threads';
import { EngineError, type EngineErrorCode } from '../errors';
import type { PackEntry } from '../repository/pack';
import { SharedIdSet } from './shared-id-set';
import type { Repository } from '../repository/repository';
import type { FileOutcome, FileTask, FromWorker, ToWorker, WorkerInit } from './worker-protocol';
import { defaultPoolSize, startEngineWorker } from '../worker-threads';

export { defaultPoolSize };

export type FileResult = Omit<FileOutcome, 'stopped'>;

interface Queued extends FileTask {
  resolve: (r: FileResult) => void;
  reject: (e: Error) => void;
}

export interface PoolHooks {
  onPack(packId: string, entries: PackEntry[]): void;
  onBytes(bytes: number): void;
}

interface Slot {
  worker: Worker;
  busy: number;
}

const TASKS_PER_WORKER = 4;
/** A batch (one message each way) holds files up to this size, at most BATCH_FILES of them and BATCH_BYTES in all. */
const SMALL_FILE = 256 * 1024;
const BATCH_FILES = 64;
const BATCH_BYTES = 1024 * 1024;

export class ChunkWorkerPool {
  private readonly slots: Slot[] = [];
  private queue: Queued[] = [];
  private queueHead = 0;
  private readonly tasks = new Map<number, { slot: Slot; files: Queued[] }>();
  /** Set to 1 to stop every worker at its next read window (see chunk-file.ts). */
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));
  private stopError: Error | undefined;
  private readonly flushes = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextTask = 1;
  private failure: Error | undefined;
  private closed = false;

  private constructor(private readonly hooks: PoolHooks) {}

  /**
   * Starts the workers (they load their code and zstd meanwhile); `begin` then hands them the id set,
   * which can only be sized once the scan has counted the bytes.
   */
  static async start(
    repo: Repository,
    hooks: PoolHooks,
    size = defaultPoolSize(),
    tempTag = '',
  ): Promise<ChunkWorkerPool> {
    const pool = new ChunkWorkerPool(hooks);
    const init: WorkerInit = {
      storage: repo.storage.descriptor,
      encryptKey: repo.keys.encrypt,
      blobIdKey: repo.keys.blobId,
      gearKey: repo.keys.gear,
      chunker: repo.config.chunker,
      packSize: repo.config.packSize,
      tempTag,
      level: repo.config.compressionLevel,
      stop: pool.stopFlag.buffer as SharedArrayBuffer,
    };
    await Promise.all(
      Array.from({ length: size }, () => {
        const { worker, ready } = startEngineWorker<FromWorker>('chunk-worker', init, {
          onMessage: (m) => pool.onMessage(slot, m),
          onFailure: (err) => pool.fail(err),
          closing: () => pool.closed,
        });
        const slot: Slot = { worker, busy: 0 };
        pool.slots.push(slot);
        return ready;
      }),
    );
    return pool;
  }

  /** `expectedNewIds` bounds the chunks this backup can produce (bytes / min chunk + files). */
  begin(repo: Repository, expectedNewIds: number, alsoKnown: Iterable<string> = []): void {
    const ids = SharedIdSet.create(repo.index.size + expectedNewIds);
    for (const id of repo.index.keys()) ids.claim(Buffer.from(id, 'hex'));
    // Blobs the main thread already stored in this run, not yet in the index.
    for (const id of alsoKnown) ids.claim(Buffer.from(id, 'hex'));
    for (const slot of this.slots) this.send(slot, { t: 'ids', buffer: ids.buffer, capacity: ids.capacity });
  }

  private send(slot: Slot, m: ToWorker): void {
    slot.worker.postMessage(m);
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    switch (m.t) {
      case 'progress':
        this.hooks.onBytes(m.bytes);
        break;
      case 'pack':
        this.hooks.onPack(m.packId, m.entries);
        break;
      case 'done': {
        const t = this.tasks.get(m.task);
        this.tasks.delete(m.task);
        slot.busy--;
        this.hooks.onBytes(m.bytes);
        t?.files.forEach((f, i) => {
          const r = m.results[i];
          if (!r) f.reject(new Error('internal: a chunk worker answered fewer files than it was sent'));
          else if (r.stopped) f.reject(this.stopError ?? new EngineError('CANCELLED', 'backup cancelled'));
          else {
            const { stopped: _, ...result } = r;
            f.resolve(result);
          }
        });
        this.pump();
        break;
      }
      case 'flushed': {
        const f = this.flushes.get(m.req);
        this.flushes.delete(m.req);
        if (m.error) f?.reject(new EngineError('IO', m.error));
        else f?.resolve();
        break;
      }
      case 'fatal':
        this.fail(new EngineError((m.code as EngineErrorCode) ?? 'IO', m.error, { status: m.status }));
        break;
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const t of this.tasks.values()) for (const f of t.files) f.reject(err);
    this.tasks.clear();
    for (const q of this.takeQueue()) q.reject(err);
    for (const f of this.flushes.values()) f.reject(err);
    this.flushes.clear();
  }

  private takeQueue(): Queued[] {
    const rest = this.queue.slice(this.queueHead);
    this.queue = [];
    this.queueHead = 0;
    return rest;
  }

  private pump(): void {
    while (this.queueHead < this.queue.length) {
      const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
      if (slot.busy >= TASKS_PER_WORKER) return;
      // Consecutive small files travel together; a large file travels alone.
      const files: Queued[] = [this.queue[this.queueHead++]!];
      let bytes = files[0]!.size;
      while (
        bytes <= BATCH_BYTES &&
        files.length < BATCH_FILES &&
        this.queueHead < this.queue.length &&
        this.queue[this.queueHead]!.size <= SMALL_FILE &&
        files[0]!.size <= SMALL_FILE
      ) {
        const next = this.queue[this.queueHead++]!;
        files.push(next);
        bytes += next.size;
      }
      if (this.queueHead === this.queue.length) {
        this.queue = [];
        this.queueHead = 0;
      }
      const task = this.nextTask++;
      slot.busy++;
      this.tasks.set(task, { slot, files });
      this.send(slot, {
        t: 'files',
        task,
        files: files.map((f) => ({ path: f.path, size: f.size, dev: f.dev, ino: f.ino })),
      });
    }
  }

  /** Chunks and stores one file; resolves with its blob ids, or with `error` when it could not be read. */
  processFile(file: FileTask): Promise<FileResult> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.stopError) return Promise.reject(this.stopError);
    return new Promise((resolve, reject) => {
      this.queue.push({ ...file, resolve, reject });
      // Files asked for in the same turn are batched: the pump runs once they are all queued.
      if (this.queue.length - this.queueHead === 1) queueMicrotask(() => this.pump());
    });
  }

  /**
   * Cancellation: files not yet started are dropped and every file being chunked stops at its next read
   * window, all rejecting with `err`. Blobs already stored stay in the workers' packs (flush writes them).
   */
  stop(err: Error): void {
    this.stopError ??= err;
    Atomics.store(this.stopFlag, 0, 1);
    for (const q of this.takeQueue()) q.reject(err);
  }

  /** Waits for in-flight files, then makes every worker write its open pack. */
  async flush(): Promise<void> {
    while (this.tasks.size > 0 && !this.failure) await new Promise((r) => setTimeout(r, 5));
    if (this.failure) throw this.failure;
    let req = 1;
    await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<void>((resolve, reject) => {
            const id = req++;
            this.flushes.set(id, { resolve, reject });
            this.send(slot, { t: 'flush', req: id });
          }),
      ),
    );
    if (this.failure) throw this.failure;
  }

  get error(): Error | undefined {
    return this.failure;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
