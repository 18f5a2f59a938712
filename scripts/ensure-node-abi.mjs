// `npm start` and `npm run dist` rebuild the native modules for Electron's ABI (electron-builder
// install-app-deps). Plain Node (server, harness, tests) then cannot load them: rebuild them for
// this Node when that is so, instead of failing with an ABI error. keytar and zstd-napi are
// optional dependencies: where they did not build they are simply absent, and nothing is rebuilt.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** Each native module, with a call that makes it load (and use) its compiled addon. */
const NATIVE_MODULES = {
  'better-sqlite3': (mod) => new mod(':memory:').close(),
  keytar: () => undefined,
  'zstd-napi': (mod) => mod.compress(Buffer.from('probe')),
};

const stale = [];
for (const [name, use] of Object.entries(NATIVE_MODULES)) {
  try {
    use(require(name));
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
