#!/usr/bin/env node
// `npx strongroom-backup`: runs the engine's CLI straight from its TypeScript source, no build step.
// The first run bundles src-engine with esbuild (installed with tsx) into node_modules/.cache, keyed by the
// sources' sizes and mtimes; later runs start from that bundle, which skips tsx's per-import transpile
// hooks in the main thread and in every worker. Anything unusual (no esbuild, read-only folder) falls
// back to running the sources through tsx.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = path.join(root, 'src-engine');

async function bundled() {
  if (process.env.STRONGROOM_NO_BUNDLE) return undefined;
  const h = crypto.createHash('sha256');
  // Every file under src-engine (cli/, storage/ and any other subfolder), and the shared modules it
  // imports from src-shared: a change to any of them makes a new bundle.
  for (const dir of [srcDir, path.join(root, 'src-shared')]) {
    for (const name of fs.readdirSync(dir, { recursive: true }).sort()) {
      const st = fs.statSync(path.join(dir, name));
      if (st.isFile()) h.update(`${path.relative(root, path.join(dir, name))}:${st.size}:${st.mtimeMs};`);
    }
  }
  const dir = path.join(root, 'node_modules', '.cache', 'strongroom-backup', h.digest('hex').slice(0, 16));
  const entry = path.join(dir, 'cli.mjs');
  if (!fs.existsSync(entry)) {
    const esbuild = await import('esbuild');
    const tmp = `${dir}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    await esbuild.build({
      entryPoints: {
        cli: path.join(srcDir, 'cli', 'index.ts'),
        'chunk-worker': path.join(srcDir, 'backup', 'chunk-worker.ts'),
        'restore-worker': path.join(srcDir, 'restore', 'restore-worker.ts'),
      },
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outdir: tmp,
      outExtension: { '.js': '.mjs' },
      // The wasm zstd build loads its .wasm file from beside its own module, and zstd-napi its compiled
      // .node addon (which esbuild cannot bundle): both stay dependencies, loaded from node_modules.
      external: ['@bokuweb/zstd-wasm', 'zstd-napi', 'tsx', 'tsx/*'],
      logLevel: 'silent',
    });
    try {
      fs.renameSync(tmp, dir);
    } catch {
      // Another process finished the same bundle first; use theirs.
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  return import(pathToFileURL(entry).href);
}

let cli;
try {
  cli = await bundled();
} catch {
  cli = undefined;
}
if (!cli) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../src-engine/cli/index.ts');
}
await cli.main();
