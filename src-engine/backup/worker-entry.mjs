// Worker threads start here: plain JS that loads the TypeScript worker through tsx, so the engine runs
// from source under the CLI shim, tsx and vitest alike (a worker does not inherit the parent's loader).
import { tsImport } from 'tsx/esm/api';

await tsImport('./chunk-worker.ts', import.meta.url);
