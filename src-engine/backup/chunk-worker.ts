/**
 * The backup's hot path, one per core: read a file, cut it with FastCDC, HMAC each chunk (chunk-file.ts),
 * claim its id in the id set shared by all threads, and only if it is new compress, encrypt and add it to
 * this worker's own pack.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { gearTable } from './chunker';
import { ChunkingStopped, saveFile, unreadable } from './chunk-file';
import type { Subkeys } from '../repository/crypto';
import { initCodec } from '../repository/codec';
import { HeapBudget } from '../repository/memory';
import { BLOB_DATA, PackWriter, encryptBlob } from '../repository/pack';
import { openStorage } from '../storage';
import { SharedIdSet } from './shared-id-set';
import type { FileOutcome, FileTask, FromWorker, ToWorker, WorkerInit } from './worker-protocol';

const init = workerData as WorkerInit;
const port = parentPort!;
const keys: Subkeys = {
  encrypt: Buffer.from(init.encryptKey),
  blobId: Buffer.from(init.blobIdKey),
  gear: Buffer.from(init.gearKey),
};
const gear = gearTable(keys.gear);
const storage = openStorage(init.storage);
const packer = new PackWriter(storage, keys, init.packSize, init.tempTag);
const pendingWrites = new Set<Promise<void>>();

function post(m: FromWorker): void {
  port.postMessage(m);
}

let known: SharedIdSet | undefined;
/** Batches run one after another: two files interleaving would share `unreported` and the pack. */
let queue: Promise<void> = Promise.resolve();
const PROGRESS_EVERY = 4 * 1024 * 1024;

function flushPack(): Promise<void> {
  const p = packer.flush().then(
    (r) => {
      if (r) post({ t: 'pack', packId: r.packId, entries: r.entries });
    },
    // A failed pack write (disk full, I/O error) ends the backup; the repository keeps what it had.
    (err: Error & { code?: string; status?: number }) =>
      post({ t: 'fatal', error: err.message, code: err.code, status: err.status }),
  );
  const tracked = p.finally(() => pendingWrites.delete(tracked));
  pendingWrites.add(tracked);
  return tracked;
}

const stop = new Int32Array(init.stop);

/** Chunks one file; a read error is this file's outcome, a repository failure is posted as fatal. */
async function processFile(f: FileTask): Promise<FileOutcome> {
  try {
    return await saveFile(f.path, f, {
      gear,
      chunker: init.chunker,
      blobIdKey: keys.blobId,
      stop: () => Atomics.load(stop, 0) === 1,
      onChunk: async (idBytes, id, chunk) => {
        // Exactly one thread wins the claim for a new id; only it compresses, encrypts and stores the blob.
        if (known!.claim(idBytes)) {
          const { codec, sealed } = encryptBlob(keys, idBytes, chunk, init.level);
          try {
            packer.add(BLOB_DATA, id, codec, sealed, chunk.length);
          } catch (err) {
            // The repository's disk, not this file, failed (full, I/O error): that ends the backup.
            const e = err as Error & { code?: string; status?: number };
            post({ t: 'fatal', error: e.message, code: e.code, status: e.status });
            throw err;
          }
          if (packer.full) await flushPack();
        }
        unreported += chunk.length;
        if (unreported >= PROGRESS_EVERY) {
          post({ t: 'progress', bytes: unreported });
          unreported = 0;
        }
      },
    });
  } catch (err) {
    if (err instanceof ChunkingStopped) return { content: [], size: 0, stopped: true };
    return { content: [], size: 0, error: unreadable(err) };
  }
}

let unreported = 0;
const heap = new HeapBudget(32 * 1024 * 1024);

/** The files of one message, in order; once stopped, the rest are not opened. */
async function processBatch(task: number, files: FileTask[]): Promise<void> {
  const results: FileOutcome[] = [];
  for (const f of files) {
    heap.check();
    if (Atomics.load(stop, 0) === 1) results.push({ content: [], size: 0, stopped: true });
    else results.push(await processFile(f));
  }
  post({ t: 'done', task, results, bytes: unreported });
  unreported = 0;
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'ids') {
    known = SharedIdSet.attach(m.buffer, m.capacity);
  } else if (m.t === 'files') {
    queue = queue.then(() => processBatch(m.task, m.files));
  } else if (m.t === 'flush') {
    void (async () => {
      try {
        await flushPack();
        await Promise.all([...pendingWrites]);
        post({ t: 'flushed', req: m.req });
      } catch (err) {
        post({ t: 'flushed', req: m.req, error: (err as Error).message });
      }
    })();
  }
});

initCodec().then(
  () => post({ t: 'ready' }),
  (err: Error) => post({ t: 'fatal', error: err.message }),
);
