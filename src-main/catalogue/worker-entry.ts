/**
 * The catalogue worker thread (started by main's CatalogueWorkerThread): holds one CatalogueReader per
 * catalogue file and answers queries one at a time (worker-protocol.ts), so that a long one (a wide "What
 * changed") never stops main's event loop.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { CatalogueUnusableError } from './catalogue-file';
import { CatalogueReader } from './catalogue-reader';
import { ServiceError } from '../services/service-error';
import {
  answerQuery,
  toWireError,
  type CatalogueQuery,
  type CatalogueWorkerData,
  type FromCatalogueWorker,
  type ToCatalogueWorker,
} from './worker-protocol';

const port = parentPort;
if (!port) throw new Error('the catalogue worker runs as a worker thread');
const gate = (workerData as CatalogueWorkerData | undefined)?.gate;
const held = gate ? new Int32Array(gate) : null;
const readers = new Map<string, CatalogueReader>();

function close(file: string): void {
  readers.get(file)?.close();
  readers.delete(file);
}

function answer(file: string, query: CatalogueQuery): unknown {
  // Deleted from under an open reader (by hand, or a cleaner): never answer from the unlinked file.
  if (!fs.existsSync(file)) {
    close(file);
    throw new CatalogueUnusableError('missing', 'no catalogue yet');
  }
  let reader = readers.get(file);
  if (!reader) {
    reader = new CatalogueReader(file);
    readers.set(file, reader);
  }
  return answerQuery(reader, query);
}

function waitAtGate(): void {
  if (!held) return;
  Atomics.add(held, 1, 1);
  while (Atomics.load(held, 0) === 0) Atomics.wait(held, 0, 0);
  Atomics.sub(held, 1, 1);
}

port.on('message', (m: ToCatalogueWorker) => {
  if (m.t === 'close') {
    close(m.file);
    return;
  }
  let reply: FromCatalogueWorker;
  try {
    waitAtGate();
    reply = { t: 'answer', id: m.id, value: answer(m.file, m.query) };
  } catch (error) {
    // A reader that failed while reading is not used again: the service decides whether the file is damaged.
    if (!(error instanceof CatalogueUnusableError || error instanceof ServiceError)) close(m.file);
    reply = { t: 'failed', id: m.id, error: toWireError(error) };
  }
  port.postMessage(reply);
});
