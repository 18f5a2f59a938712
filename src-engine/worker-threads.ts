/**
 * The engine's worker threads (backup's chunk workers, restore's blob workers), started the same way
 * wherever the engine runs. From source (tsx, vitest) a worker starts at worker-entry.mjs, which loads
 * its TypeScript through tsx (a worker does not inherit the parent's loader); from an esbuild bundle
 * (the CLI's, bin/strongroom-backup.js, and the app's, scripts/build-electron.mjs) the bundled
 * `<name>.mjs` sits beside this code.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';

export type EngineWorkerName = 'chunk-worker' | 'restore-worker';

const SOURCES: Record<EngineWorkerName, string> = {
  'chunk-worker': './backup/chunk-worker.ts',
  'restore-worker': './restore/restore-worker.ts',
};

/** The key of workerData under which worker-entry.mjs finds the module to load. */
export const ENTRY_KEY = 'strongroomWorkerEntry';

const fromSource = import.meta.url.endsWith('.ts');

export interface WorkerHandlers<M> {
  /** Every message after the worker's first `{ t: 'ready' }`. */
  onMessage(m: M): void;
  /** The worker failed (an uncaught error, or it exited while not `closing`). */
  onFailure(err: Error): void;
  closing(): boolean;
}

/**
 * Starts one worker; `ready` resolves once it posts `{ t: 'ready' }` (its code and codec loaded), and
 * rejects if it fails (or posts `{ t: 'fatal' }`) before that.
 */
export function startEngineWorker<M extends { t: string }>(
  name: EngineWorkerName,
  workerData: object,
  handlers: WorkerHandlers<M>,
): { worker: Worker; ready: Promise<void> } {
  const label = name.replace('-', ' ');
  const worker = fromSource
    ? new Worker(new URL('./worker-entry.mjs', import.meta.url), {
        workerData: { ...workerData, [ENTRY_KEY]: new URL(SOURCES[name], import.meta.url).href },
      })
    : new Worker(new URL(`./${name}.mjs`, import.meta.url), { workerData });
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: M) => {
      if (m.t === 'ready') return resolve();
      // Before 'ready', a fatal message means the worker could not start (its codec did not load).
      if (m.t === 'fatal') reject(new Error((m as { error?: string }).error ?? `a ${label} could not start`));
      handlers.onMessage(m);
    });
    worker.on('error', (err) => {
      reject(err);
      handlers.onFailure(err);
    });
    worker.on('exit', (code) => {
      const err = new Error(`a ${label} exited unexpectedly (code ${code})`);
      reject(err);
      if (!handlers.closing()) handlers.onFailure(err);
    });
  });
  return { worker, ready };
}

/** One worker per core, at most 8. */
export function defaultPoolSize(): number {
  return Math.max(1, Math.min(8, os.availableParallelism()));
}
