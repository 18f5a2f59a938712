/**
 * A restore worker: authenticates, decrypts and decompresses the blobs of the pack ranges the main
 * thread sends, and sends their plaintexts back. The main thread keeps the writing (and so the bound
 * on open files) and every decision about which file gets which bytes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initCodec } from '../repository/codec';
import { MemoryBudget } from '../repository/memory';
import type { Subkeys } from '../repository/crypto';
import {
  openRangeBlobs,
  type FromRestoreWorker,
  type RestoreWorkerInit,
  type ToRestoreWorker,
} from './restore-blobs';

const init = workerData as RestoreWorkerInit;
const port = parentPort!;
const keys: Subkeys = {
  encrypt: Buffer.from(init.encryptKey),
  blobId: Buffer.from(init.blobIdKey),
  gear: Buffer.alloc(0),
};

// Each task leaves a range and its plaintexts behind: collected every 32 MiB (see memory.ts), or the
// worker's heap grows by tens of MiB before V8 looks at it.
const memory = new MemoryBudget();

function post(m: FromRestoreWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(m, transfer);
}

port.on('message', (m: ToRestoreWorker) => {
  const opened = openRangeBlobs(keys, m.packId, m.sealed, m.base, m.entries);
  let total = 0;
  for (const o of opened) total += o.plain?.length ?? 0;
  // A buffer of its own (never a slice of Node's shared pool), so it can be transferred, not copied.
  const plain = new Uint8Array(total);
  const ends: number[] = [];
  let at = 0;
  for (const o of opened) {
    if (o.plain) {
      plain.set(o.plain, at);
      at += o.plain.length;
    }
    ends.push(at);
  }
  post({ t: 'opened', task: m.task, plain, ends, errors: opened.map((o) => o.error ?? null) }, [
    plain.buffer,
  ]);
  memory.spent(m.sealed.byteLength + total);
});

initCodec().then(
  () => post({ t: 'ready' }),
  (err: Error) => post({ t: 'fatal', error: err.message }),
);
