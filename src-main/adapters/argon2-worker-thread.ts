/**
 * Main's side of the Argon2id worker thread (src-main/argon2-worker): an Argon2Runner whose work
 * happens off main's event loop. The thread starts with the first derivation and stays (idle, it
 * keeps no process alive); if it dies, the derivations it held fail and the next one starts a new
 * one. Started from the TypeScript sources through tsx by default (argon2-worker/dev-entry.mjs),
 * or from the bundled argon2-worker.mjs in the app.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AccountKeyError, passwordBytes, type Argon2Runner } from '../../src-shared/account-crypto';
import type { LegacyKdf } from '../../src-shared/account-keys';
import type { DerivationReply, DerivationRequest } from '../argon2-worker/protocol';

export const DEV_ARGON2_WORKER_ENTRY = fileURLToPath(
  new URL('../argon2-worker/dev-entry.mjs', import.meta.url),
);

/** The bundled worker sits beside main.js (scripts/build-electron.mjs). */
export const ARGON2_WORKER_BUNDLE = 'argon2-worker.mjs';

/** Where the bundled worker is, given main.js's own URL: unpacked from the asar archive, as the catalogue worker. */
export function bundledArgon2WorkerPath(mainModuleUrl: string): string {
  const p = path.join(path.dirname(fileURLToPath(mainModuleUrl)), ARGON2_WORKER_BUNDLE);
  return p.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}

export interface Argon2WorkerOptions {
  /** The script the worker runs; default: the sources through tsx. */
  entry?: string;
}

interface Pending {
  resolve: (key: Uint8Array) => void;
  reject: (error: Error) => void;
}

export class Argon2WorkerThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private disposed = false;
  /** Derivations this thread answered (tests read it to see the work happened here). */
  answered = 0;

  constructor(private readonly options: Argon2WorkerOptions = {}) {}

  /** The Argon2Runner: the password's bytes are moved to the worker, so main keeps no copy of them. */
  readonly run: Argon2Runner = ({ password, salt, m, t }) => {
    const own = new Uint8Array(password);
    password.fill(0);
    return this.request(
      (id) => ({ op: 'argon2id', id, password: own, salt: new Uint8Array(salt), m, t }),
      own,
    );
  };

  /** The legacy proof (scrypt of the password), for an account made before client-side derivation. */
  readonly legacyProof = (password: string, legacy: LegacyKdf): Promise<Uint8Array> => {
    const own = passwordBytes(password);
    return this.request((id) => ({ op: 'scrypt', id, password: own, legacy }), own);
  };

  private request(make: (id: number) => DerivationRequest, password: Uint8Array): Promise<Uint8Array> {
    if (this.disposed) {
      password.fill(0);
      return Promise.reject(stopped('the app is closing'));
    }
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage(make(id), [password.buffer as ArrayBuffer]);
    });
  }

  dispose(): Promise<void> {
    this.disposed = true;
    const worker = this.worker;
    this.worker = null;
    this.failPending(stopped('the app is closing'));
    return worker ? worker.terminate().then(() => undefined) : Promise.resolve();
  }

  private spawn(): Worker {
    const worker = new Worker(this.options.entry ?? DEV_ARGON2_WORKER_ENTRY, {
      // Not the parent's (vitest's or tsx's) flags: the entry brings its own loader if it needs one.
      execArgv: [],
    });
    worker.unref();
    let crash = '';
    worker.on('message', (reply: DerivationReply) => this.received(worker, reply));
    worker.on('error', (error) => {
      crash = error.message;
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failPending(stopped(crash || `exit code ${code}`));
    });
    this.worker = worker;
    return worker;
  }

  private received(worker: Worker, reply: DerivationReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) worker.unref();
    this.answered++;
    if (reply.ok) waiting.resolve(new Uint8Array(reply.key));
    else if (reply.code) waiting.reject(new AccountKeyError(reply.code, reply.message));
    else waiting.reject(new Error(reply.message));
  }

  private failPending(error: Error): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const w of waiting) w.reject(error);
  }
}

function stopped(why: string): Error {
  return new Error(`The password's key derivation stopped before it ended (${why}); try again.`);
}
