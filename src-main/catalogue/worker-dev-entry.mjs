// The catalogue worker from its TypeScript sources (harness, tests): plain JavaScript that loads
// worker-entry.ts through tsx, since a worker thread does not inherit its parent's loader. The app runs the
// bundled catalogue-worker.mjs instead (scripts/build-electron.mjs).
import { tsImport } from 'tsx/esm/api';

await tsImport('./worker-entry.ts', import.meta.url);
