// `npm start` and `npm run dist` rebuild the native modules for Electron's ABI (electron-builder
// install-app-deps). Plain Node (server, harness, tests) then cannot load them: rebuild them for
// this Node when that is so, instead of failing with an ABI error.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const stale = [];
for (const name of ['better-sqlite3', 'keytar']) {
  try {
    const mod = require(name);
    if (name === 'better-sqlite3') new mod(':memory:').close();
  } catch (error) {
    if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version/.test(String(error)))
      stale.push(name);
  }
}
if (stale.length > 0) {
  console.error(`note: ${stale.join(', ')} was built for Electron; rebuilding for Node ${process.version}…`);
  const result = spawnSync('npm', ['rebuild', ...stale], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
