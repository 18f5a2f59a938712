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
    // electron-store imports `electron`: run it through Vite so the alias above reaches it.
    server: { deps: { inline: ['electron-store'] } },
  },
});
