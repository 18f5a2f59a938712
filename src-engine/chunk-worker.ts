/**
 * The backup's hot path, one per core: read a file, cut it with FastCDC, HMAC each chunk, claim its id in
 * the id set shared by all threads, and only if it is new compress, encrypt and add it to this worker's
 * own pack. Memory per file is one read window plus one maximum-size chunk, whatever the file size.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { ChunkBoundaryFinder, gearTable } from './chunker';
import { blobId, type Subkeys } from './crypto';
import { initCodec } from './codec';
import { BLOB_DATA, PackWriter, encryptBlob } from './pack';
import { openStorage } from './storage';
import { SharedIdSet } from './shared-id-set';
import { MemoryBudget } from './memory';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol';

const READ_SIZE = 1024 * 1024;
const init = workerData as WorkerInit;
const port = parentPort!;
const keys: Subkeys = {
  encrypt: Buffer.from(init.encryptKey),
  blobId: Buffer.from(init.blobIdKey),
  gear: Buffer.from(init.gearKey),
};
const gear = gearTable(keys.gear);
const storage = openStorage(init.storage);
const packer = new PackWriter(storage, keys, init.packSize);
const pendingWrites = new Set<Promise<void>>();

function post(m: FromWorker): void {
  port.postMessage(m);
}

let known: SharedIdSet | undefined;
const PROGRESS_EVERY = 4 * 1024 * 1024;
const memory = new MemoryBudget();

function flushPack(): Promise<void> {
  const p = packer.flush().then(
    (r) => {
      if (r) post({ t: 'pack', packId: r.packId, entries: r.entries });
    },
    // A failed pack write (disk full, I/O error) ends the backup; the repository keeps what it had.
    (err: Error & { code?: string }) => post({ t: 'fatal', error: err.message, code: err.code }),
  );
  const tracked = p.finally(() => pendingWrites.delete(tracked));
  pendingWrites.add(tracked);
  return tracked;
}

/**
 * Reads with synchronous calls: in a worker they block only this thread, and skip the thread-pool round
 * trip per read that dominated small files. Several files per worker overlap the main thread's answers.
 */
async function processFile(task: number, path: string, expectedSize: number): Promise<void> {
  const content: string[] = [];
  let size = 0;
  let fd: number | undefined;
  const full = init.chunker.max + READ_SIZE;
  // Start with room for a typical chunk (or the whole small file) and grow only for a long chunk: most
  // chunks end near the average size, so memory per file stays a few MiB even with an 8 MiB maximum.
  let buf = Buffer.allocUnsafe(Math.min(expectedSize + 1, 2 * init.chunker.avg + READ_SIZE, full));
  let unreported = 0;
  const emit = async (chunk: Buffer) => {
    const idBytes = blobId(keys.blobId, chunk);
    const id = idBytes.toString('hex');
    content.push(id);
    // Exactly one thread wins the claim for a new id; only it compresses, encrypts and stores the blob.
    if (known!.claim(idBytes)) {
      const { codec, sealed } = encryptBlob(keys, idBytes, chunk, init.level);
      try {
        packer.add(BLOB_DATA, id, codec, sealed, chunk.length);
      } catch (err) {
        // The repository's disk, not this file, failed (full, I/O error): that ends the backup.
        const e = err as Error & { code?: string };
        post({ t: 'fatal', error: e.message, code: e.code });
        throw err;
      }
      if (packer.full) await flushPack();
    }
    unreported += chunk.length;
    memory.spent(chunk.length);
    if (unreported >= PROGRESS_EVERY) {
      post({ t: 'progress', bytes: unreported });
      unreported = 0;
    }
  };
  try {
    fd = fs.openSync(path, 'r');
    const finder = new ChunkBoundaryFinder(gear, init.chunker);
    let filled = 0;
    for (;;) {
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
    post({ t: 'done', task, content, size, bytes: unreported });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    post({
      t: 'done',
      task,
      content: [],
      size: 0,
      bytes: unreported,
      error: `${e.code ?? 'error'}: ${e.message}`,
    });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'ids') {
    known = SharedIdSet.attach(m.buffer, m.capacity);
  } else if (m.t === 'file') {
    void processFile(m.task, m.path, m.size);
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
