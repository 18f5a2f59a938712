/**
 * The BUNDLED main process (what Electron runs: esbuild's ESM output with npm packages external)
 * loads and works in Node with only `electron` faked: every import resolves (keytar,
 * better-sqlite3, electron-store, fastify), the embedded account server starts, the window's close
 * writes the lock state and quits. And the preload is one CommonJS file requiring only electron.
 * The job process is bundled beside it (job-process.mjs, chunk-worker.mjs) and runs the engine in
 * plain Node: it imports no electron. So is main's catalogue worker thread (catalogue-worker.mjs),
 * which answers file catalogue queries with better-sqlite3 loaded from node_modules, and its Argon2id
 * worker thread (argon2-worker.mjs), which derives the password's keys off main's event loop.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Argon2WorkerThread } from '../../src-main/adapters/argon2-worker-thread';
import { CatalogueWorkerThread } from '../../src-main/catalogue/catalogue-worker-thread';
import { argon2idInProcess, passwordBytes } from '../../src-shared/account-crypto';
import { KDF_FLOOR } from '../../src-shared/account-keys';
import { ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import { compileSearchPattern } from '../../src-main/catalogue/search-pattern';
import { channels } from '../../src-shared/ipc-contract';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtures = path.join(ROOT, 'tests', 'main', 'fixtures');
let out: string;
let dataDir: string;

beforeAll(() => {
  // Inside the project, so the bundle's external npm packages resolve from node_modules.
  fs.mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
  out = fs.mkdtempSync(path.join(ROOT, 'dist', 'bundle-test-'));
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-bundle-data-'));
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-electron.mjs'), '--outdir', out], {
    cwd: ROOT,
  });
});
afterAll(() => {
  fs.rmSync(out, { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the Electron bundle', () => {
  it('emits main.js (ESM) and one CommonJS preload that requires nothing but electron', () => {
    const preload = fs.readFileSync(path.join(out, 'preload.cjs'), 'utf8');
    const required = [...preload.matchAll(/\brequire\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
    // One thing goes to the page: the api object (ipcRenderer only ever inside it).
    expect(preload.match(/exposeInMainWorld\(/g)).toHaveLength(1);
    expect(preload).toContain('exposeInMainWorld("api", buildApi(');
    expect(fs.readFileSync(path.join(out, 'main.js'), 'utf8')).toMatch(/^import .* from "electron";$/m);
  });

  it('starts locked with the embedded server, answers our window, and writes the lock state on close', () => {
    const line = execFileSync(
      process.execPath,
      [
        '--import',
        pathToFileURL(path.join(fixtures, 'electron-fake-hooks.mjs')).href,
        path.join(fixtures, 'run-bundle.mjs'),
        pathToFileURL(path.join(out, 'main.js')).href,
      ],
      { cwd: ROOT, env: { ...process.env, STRONGROOM_DATA_DIR: dataDir }, encoding: 'utf8', timeout: 30_000 },
    )
      .trim()
      .split('\n')
      .at(-1)!;
    const result = JSON.parse(line) as {
      status: { ok: boolean; value: { locked: boolean; serverIsLocal: boolean; serverUrl: string } };
      quitted: boolean;
      channels: string[];
    };
    expect(result.status).toMatchObject({ ok: true, value: { locked: true, serverIsLocal: true } });
    expect(result.status.value.serverUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(result.channels.sort()).toEqual(Object.keys(channels).sort());
    expect(result.quitted).toBe(true);
    const onDisk = JSON.parse(fs.readFileSync(path.join(dataDir, 'strongroom.json'), 'utf8'));
    expect(onDisk.lock).toMatchObject({ locked: true, reason: 'close' });
    expect(fs.readdirSync(path.join(dataDir, 'server'))).toContain('strongroom.sqlite');
  });

  it('emits the Argon2id worker beside main.js; it derives in plain Node exactly what main would', async () => {
    expect(fs.readdirSync(out)).toContain('argon2-worker.mjs');
    expect(fs.readFileSync(path.join(out, 'argon2-worker.mjs'), 'utf8')).not.toMatch(
      /from\s*["']electron["']/,
    );
    const salt = new Uint8Array(16).fill(9);
    const worker = new Argon2WorkerThread({ entry: path.join(out, 'argon2-worker.mjs') });
    try {
      const key = await worker.run({ password: passwordBytes('bundle password'), salt, ...KDF_FLOOR });
      const expected = await argon2idInProcess({
        password: passwordBytes('bundle password'),
        salt,
        ...KDF_FLOOR,
      });
      expect(Buffer.from(key).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
      expect(worker.answered).toBe(1);
    } finally {
      await worker.dispose();
    }
  }, 60_000);

  it('emits the job process beside main.js; in plain Node it creates a vault, backs up through its chunk workers and catalogues the backup', async () => {
    const files = fs.readdirSync(out);
    expect(files).toEqual(
      expect.arrayContaining(['job-process.mjs', 'chunk-worker.mjs', 'catalogue-worker.mjs']),
    );
    for (const f of files.filter((n) => /^(job-process|chunk-worker|catalogue-worker).*\.mjs$/.test(n))) {
      expect(fs.readFileSync(path.join(out, f), 'utf8')).not.toMatch(/from\s*["']electron["']/);
    }
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-bundle-job-'));
    try {
      const repo = { kind: 'local' as const, path: path.join(work, 'vault') };
      const src = path.join(work, 'src');
      fs.mkdirSync(src);
      fs.writeFileSync(path.join(src, 'note.txt'), 'bundled');
      // Past the engine's 32 MiB inline budget, so the chunk workers (chunk-worker.mjs) do the work.
      fs.writeFileSync(path.join(src, 'big.bin'), Buffer.alloc(40 * 1024 * 1024, 7));
      const runner = new ForkedEngineRunner({ entry: path.join(out, 'job-process.mjs') });
      const handlers = { onProgress: () => undefined, onLog: () => undefined };
      const signal = new AbortController().signal;
      const init = await runner.run({ op: 'init', repo, password: 'bundle password' }, handlers, signal);
      expect(init).toMatchObject({ status: 'success', value: { repositoryId: expect.any(String) } });
      const backup = await runner.run(
        { op: 'backup', repo, password: 'bundle password', paths: [src], excludes: [], tags: [], host: 'h' },
        handlers,
        signal,
      );
      expect(backup).toMatchObject({ status: 'success', filesDone: 2, bytesDone: 40 * 1024 * 1024 + 7 });
      // The file catalogue: better-sqlite3 loads in the bundled job process too.
      const catalogueFile = path.join(work, 'app', 'catalogue-bundle-vault.sqlite');
      const catalogue = await runner.run(
        { op: 'catalogue', repo, password: 'bundle password', catalogueFile, rebuild: false },
        handlers,
        signal,
      );
      expect(catalogue).toMatchObject({ status: 'success', value: { added: 1, catalogued: 1 } });
      // Main reads it through the bundled catalogue worker thread.
      const reads = new CatalogueWorkerThread({ entry: path.join(out, 'catalogue-worker.mjs') });
      try {
        expect(
          await reads.query(catalogueFile, {
            op: 'search',
            pattern: compileSearchPattern('note'),
            limit: 10,
          }),
        ).toMatchObject({ hits: [{ path: path.join(src, 'note.txt'), type: 'file' }], truncated: false });
      } finally {
        await reads.dispose();
      }
    } finally {
      fs.rmSync(work, { recursive: true, force: true, maxRetries: 10 });
    }
  }, 120_000);
});
