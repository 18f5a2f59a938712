// Worker threads start here when the engine runs from source: plain JS that loads the worker's TypeScript
// (named in workerData by worker-threads.ts) through tsx, so the engine runs under the CLI shim, tsx and
// vitest alike (a worker does not inherit the parent's loader).
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.strongroomWorkerEntry, import.meta.url);
