/**
 * Main's side of the catalogue worker thread (src-main/catalogue-worker): sends queries, matches
 * answers by id, and turns the worker's errors back into their kinds. The thread starts with the
 * first query; if it dies, the queries it held fail with a clear error (none is left waiting) and
 * the next query starts a new one. Started from the TypeScript sources through tsx by default
 * (worker-dev-entry.mjs), or from the bundled catalogue-worker.mjs in the app.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  fromWireError,
  type CatalogueAnswer,
  type CatalogueQuery,
  type CatalogueWorkerData,
  type FromCatalogueWorker,
  type ToCatalogueWorker,
} from './worker-protocol';
import { ServiceError } from '../services/service-error';

export const DEV_CATALOGUE_WORKER_ENTRY = fileURLToPath(new URL('./worker-dev-entry.mjs', import.meta.url));

/** The bundled worker sits beside main.js (scripts/build-electron.mjs). */
export const CATALOGUE_WORKER_BUNDLE = 'catalogue-worker.mjs';

/**
 * Where the bundled worker is, given main.js's own URL: unpacked from the asar archive in a packaged
 * app (electron-builder.yml), like the job process, because it loads better-sqlite3's native addon.
 */
export function bundledCatalogueWorkerPath(mainModuleUrl: string): string {
  const p = path.join(path.dirname(fileURLToPath(mainModuleUrl)), CATALOGUE_WORKER_BUNDLE);
  return p.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}

export interface CatalogueWorkerOptions {
  /** The script the worker runs; default: the sources through tsx. */
  entry?: string;
  /** Tests only: holds every query at the start until opened (see CatalogueWorkerData). */
  gate?: SharedArrayBuffer;
  /** Called with each started worker (tests stop it to prove a crash is handled). */
  onSpawn?: (worker: Worker) => void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class CatalogueWorkerThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private disposed = false;

  constructor(private readonly options: CatalogueWorkerOptions = {}) {}

  query<Q extends CatalogueQuery>(file: string, query: Q): Promise<CatalogueAnswer<Q>> {
    if (this.disposed) return Promise.reject(stoppedError('the app is closing'));
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise<CatalogueAnswer<Q>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.ref();
      this.send(worker, { t: 'query', id, file, query });
    });
  }

  /** Forgets the worker's reader of this file (if the worker runs: a new one opens none before asked). */
  close(file: string): void {
    if (this.worker) this.send(this.worker, { t: 'close', file });
  }

  /** Fails what is pending and stops the thread (quit). */
  dispose(): Promise<void> {
    this.disposed = true;
    const worker = this.worker;
    this.worker = null;
    this.failPending(stoppedError('the app is closing'));
    return worker ? worker.terminate().then(() => undefined) : Promise.resolve();
  }

  private spawn(): Worker {
    const data: CatalogueWorkerData = this.options.gate ? { gate: this.options.gate } : {};
    const worker = new Worker(this.options.entry ?? DEV_CATALOGUE_WORKER_ENTRY, {
      workerData: data,
      // Not the parent's (vitest's or tsx's) flags: the entry brings its own loader if it needs one.
      execArgv: [],
    });
    // An idle worker keeps no process alive; a pending query does (ref in query()).
    worker.unref();
    let crash = '';
    worker.on('message', (m: FromCatalogueWorker) => this.received(worker, m));
    worker.on('error', (error) => {
      crash = error.message;
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return; // disposed: already settled
      this.worker = null;
      this.failPending(stoppedError(crash || `exit code ${code}`));
    });
    this.worker = worker;
    this.options.onSpawn?.(worker);
    return worker;
  }

  private received(worker: Worker, m: FromCatalogueWorker): void {
    const waiting = this.pending.get(m.id);
    if (!waiting) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) worker.unref();
    if (m.t === 'answer') waiting.resolve(m.value);
    else waiting.reject(fromWireError(m.error));
  }

  private send(worker: Worker, m: ToCatalogueWorker): void {
    worker.postMessage(m);
  }

  private failPending(error: Error): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const w of waiting) w.reject(error);
  }
}

/** What a query the worker could not answer says: nothing is wrong with the catalogue itself. */
function stoppedError(why: string): ServiceError {
  return new ServiceError('internal', `The search index stopped before answering (${why}); try again.`);
}
