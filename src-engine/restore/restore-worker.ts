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
  type BlobAt,
  type FromRestoreWorker,
  type OpenedBlob,
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

const owns = (b: Uint8Array) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;

/**
 * The plaintexts go back without a copy where each is a buffer of its own (transferred); the others
 * (views into Node's shared pool, or into a larger buffer) are copied into one buffer, since a view
 * would carry its whole underlying buffer across.
 */
function reply(task: number, opened: OpenedBlob[], copyAll: boolean): void {
  const buffers: Uint8Array[] = [];
  const packed = new Uint8Array(
    opened.reduce((n, o) => n + (o.plain && (copyAll || !owns(o.plain)) ? o.plain.length : 0), 0),
  );
  if (packed.length > 0) buffers.push(packed);
  let at = 0;
  const blobs = opened.map((o): BlobAt | string => {
    if (!o.plain) return o.error ?? 'could not be opened';
    if (!copyAll && owns(o.plain)) {
      buffers.push(o.plain);
      return [buffers.length - 1, 0, o.plain.length];
    }
    packed.set(o.plain, at);
    at += o.plain.length;
    return [0, at - o.plain.length, at];
  });
  post(
    { t: 'opened', task, buffers, blobs },
    buffers.map((b) => b.buffer as ArrayBuffer),
  );
}

port.on('message', (m: ToRestoreWorker) => {
  const opened = openRangeBlobs(keys, m.packId, m.sealed, m.base, m.entries);
  try {
    reply(m.task, opened, false);
  } catch {
    // A buffer that cannot be transferred (one the codec owns): everything is copied instead.
    reply(m.task, opened, true);
  }
  memory.spent(m.sealed.byteLength + opened.reduce((n, o) => n + (o.plain?.length ?? 0), 0));
});

initCodec().then(
  () => post({ t: 'ready' }),
  (err: Error) => post({ t: 'fatal', error: err.message }),
);
