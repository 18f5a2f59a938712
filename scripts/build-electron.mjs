// `npm run build:electron`: bundles the main process and the preload with esbuild.
//   dist/electron/main.js     ESM (package.json "type": "module"), Node target of Electron 45.
//                             npm packages stay external (electron, keytar and better-sqlite3 are
//                             native or provided by Electron; electron-builder ships the production
//                             dependencies next to it); only our own TypeScript is bundled.
//   dist/electron/preload.cjs ONE CommonJS file: a sandboxed preload cannot load other modules,
//                             so it may require nothing but 'electron'.
//   dist/electron/job-process.mjs + chunk-worker.mjs + restore-worker.mjs (+ job-process-shared-*.mjs)
//                             the job process main starts with utilityProcess.fork, and the engine's
//                             chunk workers, which it loads from beside its own code. npm packages are
//                             bundled in (electron-builder unpacks these files from the asar archive,
//                             and node_modules stays inside it) except the zstd codecs, which load a
//                             .node addon or a .wasm file from their own folder (unpacked too), as in
//                             the CLI's bundle (bin/strongroom-backup.js), and better-sqlite3 (the
//                             file catalogue), unpacked with its helpers. It must not import electron.
//   dist/electron/catalogue-worker.mjs
//                             main's worker thread that answers file catalogue queries (search,
//                             versions, what changed) off main's event loop. better-sqlite3 stays
//                             external and loads from node_modules, unpacked, as for the job process.
//   dist/electron/argon2-worker.mjs
//                             main's worker thread that runs Argon2id (the password's key derivation)
//                             off main's event loop; hash-wasm is bundled in (its WebAssembly inline).
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// --outdir DIR: build elsewhere (the bundle smoke test); default dist/electron.
const outArg = process.argv.indexOf('--outdir');
const out = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.join(root, 'dist', 'electron');
fs.rmSync(out, { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  sourcemap: 'linked',
  logLevel: 'warning',
  legalComments: 'none',
};

await build({
  ...common,
  entryPoints: [path.join(root, 'src-main', 'index.ts')],
  outfile: path.join(out, 'main.js'),
  format: 'esm',
  packages: 'external',
});

await build({
  ...common,
  entryPoints: [path.join(root, 'src-preload', 'index.ts')],
  outfile: path.join(out, 'preload.cjs'),
  format: 'cjs',
  external: ['electron'],
});

await build({
  ...common,
  entryPoints: {
    'job-process': path.join(root, 'src-main', 'job-process', 'entry.ts'),
    'chunk-worker': path.join(root, 'src-engine', 'backup', 'chunk-worker.ts'),
    'restore-worker': path.join(root, 'src-engine', 'restore', 'restore-worker.ts'),
  },
  outdir: out,
  format: 'esm',
  splitting: true,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'job-process-shared-[hash]',
  // better-sqlite3 (the file catalogue) finds its .node addon from its own folder, as main's does.
  external: ['zstd-napi', '@bokuweb/zstd-wasm', 'better-sqlite3', 'electron'],
});

await build({
  ...common,
  entryPoints: [path.join(root, 'src-main', 'catalogue', 'worker-entry.ts')],
  outfile: path.join(out, 'catalogue-worker.mjs'),
  format: 'esm',
  external: ['better-sqlite3', 'electron'],
});

await build({
  ...common,
  entryPoints: [path.join(root, 'src-main', 'argon2-worker', 'entry.ts')],
  outfile: path.join(out, 'argon2-worker.mjs'),
  format: 'esm',
  external: ['electron'],
});

// Fail the build if the job process would load electron: it runs the same code under plain Node.
const jobFiles = fs
  .readdirSync(out)
  .filter((f) => /^(job-process|chunk-worker|restore-worker|catalogue-worker|argon2-worker).*\.mjs$/.test(f));
for (const file of jobFiles) {
  if (
    /\bfrom\s*["']electron["']|\brequire\(["']electron["']\)|import\(["']electron["']\)/.test(
      fs.readFileSync(path.join(out, file), 'utf8'),
    )
  ) {
    console.error(`${file} imports electron: the job process and workers must run under plain Node too`);
    process.exit(1);
  }
}

// Fail the build if the preload would need a module a sandboxed preload cannot load.
const preload = fs.readFileSync(path.join(out, 'preload.cjs'), 'utf8');
const required = [...preload.matchAll(/\brequire\(["']([^"']+)["']\)/g)].map((m) => m[1]);
const foreign = required.filter((name) => name !== 'electron');
if (foreign.length > 0) {
  console.error(`preload.cjs requires ${foreign.join(', ')}: a sandboxed preload can only require electron`);
  process.exit(1);
}
for (const file of [
  'main.js',
  'preload.cjs',
  'job-process.mjs',
  'chunk-worker.mjs',
  'restore-worker.mjs',
  'catalogue-worker.mjs',
  'argon2-worker.mjs',
]) {
  const size = fs.statSync(path.join(out, file)).size;
  console.log(`${path.relative(root, path.join(out, file))}  ${(size / 1024).toFixed(1)} KiB`);
}
