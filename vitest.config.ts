import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // electron cannot be required in plain Node (it tries to download its binary); services never
    // import it, and the adapters that do (electron-store) get this small shim under test.
    alias: { electron: fileURLToPath(new URL('./tests/support/electron-shim.ts', import.meta.url)) },
  },
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    exclude: ['tests/e2e/**', 'node_modules/**'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most suites wait on child processes (job processes, servers, restic) and sockets, so vitest's
    // default of one file at a time on a 2-core machine leaves a core idle: 447 s -> 314 s there.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
    // electron-store imports `electron`: run it through Vite so the alias above reaches it.
    server: { deps: { inline: ['electron-store'] } },
  },
});
