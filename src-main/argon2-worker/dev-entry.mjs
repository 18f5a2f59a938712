// The Argon2id worker from its TypeScript sources (harness, tests): plain JavaScript that loads
// entry.ts through tsx, since a worker thread does not inherit its parent's loader. The app runs the
// bundled argon2-worker.mjs instead (scripts/build-electron.mjs).
import { tsImport } from 'tsx/esm/api';

await tsImport('./entry.ts', import.meta.url);
