/**
 * `npm run bench -- keys [--runs N] [--sign-ins N]`
 *
 * What the account's keys cost a person and the server:
 *  1. the client-side derivation of a sign-in (Argon2id at the parameters new accounts get, then
 *     HKDF) in Node, as the app's key-derivation worker runs it, with the process's peak memory;
 *  2. the same in Chromium, through the panel's own Web Worker as Vite built it, served by the real
 *     server under its production headers (a new worker each time, as the panel does);
 *  3. the server's CPU time per sign-in (the parameters request and the sign-in, read from
 *     /proc/<pid>/stat of the server process), beside what one scrypt at the old server-side
 *     parameters (N=2^17, r=8, p=1) costs on the same machine: what every sign-in cost it before.
 *  4. from the sign-in on a new computer to the first search answered in Restore, for a drive vault
 *     whose history holds --paths paths (100,000; bench/keys-new-computer.ts; the history is built
 *     once in --dir and reused).
 * The load average is printed beside every table: figures from a loaded machine are not comparable.
 */
import crypto from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { openServices } from '../src-server/app';
import { newPasswordKdf, passwordKeys, toBase64url } from '../src-shared/account-crypto';
import { newComputerToFirstSearch } from './keys-new-computer';
import { startServerChild } from './server-child';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'sign-ins': { type: 'string', default: '200' },
    paths: { type: 'string', default: '100000' },
    snapshots: { type: 'string', default: '10' },
    dir: { type: 'string', default: join(tmpdir(), 'strongroom-bench-keys-history') },
  },
});
const RUNS = Math.max(1, Number(values.runs));
const SIGN_INS = Math.max(1, Number(values['sign-ins']));
const PASSWORD = 'bench password 1234';
const KDF = newPasswordKdf();

const load = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (n: number) => `${n.toFixed(0)} ms`;

function workerAsset(): string {
  const assets = fileURLToPath(new URL('../dist/renderer/assets', import.meta.url));
  const name = readdirSync(assets).find((f) => /^key-derivation-worker-.*\.js$/.test(f));
  if (!name) throw new Error(`no key-derivation worker in ${assets}: run npm run build:renderer`);
  return `/assets/${name}`;
}

async function nodeDerivation(): Promise<void> {
  const before = process.resourceUsage().maxRSS;
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await passwordKeys(PASSWORD, KDF);
    times.push(performance.now() - started);
  }
  const grew = (process.resourceUsage().maxRSS - before) / 1024;
  console.log(
    `\n1. Node ${process.version}: Argon2id m=${KDF.m / 1024} MiB t=${KDF.t} p=1, then HKDF (${load()})`,
  );
  console.log(
    `   runs ${RUNS}: best ${ms(Math.min(...times))}, median ${ms(median(times))}, worst ${ms(Math.max(...times))}`,
  );
  console.log(`   peak memory of the bench process grew by ${grew.toFixed(0)} MiB`);
}

async function chromiumDerivation(url: string): Promise<void> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    const version = browser.version();
    const times = await page.evaluate(
      async ({ worker, kdf, password, runs }) => {
        const out: number[] = [];
        for (let i = 0; i < runs; i++) {
          const started = performance.now();
          const answer = await new Promise<{ ok: boolean; message?: string }>((done) => {
            const w = new Worker(worker, { type: 'module' });
            w.onmessage = (e) => {
              done(e.data as { ok: boolean });
              w.terminate();
            };
            w.onerror = (e) => done({ ok: false, message: String(e.message) });
            w.postMessage({ kind: 'sign-in', password, kdf, legacy: null });
          });
          if (!answer.ok) throw new Error(answer.message ?? 'the worker refused');
          out.push(performance.now() - started);
        }
        return out;
      },
      { worker: workerAsset(), kdf: KDF, password: PASSWORD, runs: RUNS },
    );
    console.log(`\n2. Chromium ${version}, the panel's Web Worker (a new worker each time) (${load()})`);
    console.log(
      `   runs ${RUNS}: best ${ms(Math.min(...times))}, median ${ms(median(times))}, worst ${ms(Math.max(...times))}`,
    );
  } finally {
    await browser.close();
  }
}

async function serverCpu(url: string, cpuSeconds: () => number, dataDir: string): Promise<void> {
  const authKey = toBase64url((await passwordKeys(PASSWORD, KDF)).authKey);
  const services = openServices(dataDir);
  try {
    services.accounts.create('bench', KDF, authKey, { temporary: false });
  } finally {
    services.db.close();
  }
  let address = 0;
  const post = async (path: string, body: unknown) => {
    address++;
    const r = await fetch(url + path, {
      method: 'POST',
      // Each request its own address, so the per-address throttle of the parameters never engages.
      headers: {
        'content-type': 'application/json',
        'x-forwarded-for': `10.9.${address >> 8}.${address & 255}`,
      },
      body: JSON.stringify(body),
    });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`${path} answered ${r.status}`);
  };
  const baselineCpu = cpuSeconds();
  const baselineStart = performance.now();
  for (let i = 0; i < SIGN_INS; i++) {
    const r = await fetch(`${url}/api/server-info`);
    await r.arrayBuffer();
  }
  const perRequest = ((cpuSeconds() - baselineCpu) * 1000) / SIGN_INS;
  const baselineWall = (performance.now() - baselineStart) / SIGN_INS;

  const startCpu = cpuSeconds();
  const started = performance.now();
  for (let i = 0; i < SIGN_INS; i++) {
    await post('/api/sign-in/params', { username: 'bench' });
    await post('/api/session', { username: 'bench', authKey });
  }
  const perSignIn = ((cpuSeconds() - startCpu) * 1000) / SIGN_INS;
  const wall = (performance.now() - started) / SIGN_INS;

  const scrypt: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    crypto.scryptSync(PASSWORD, crypto.randomBytes(16), 32, {
      N: 2 ** 17,
      r: 8,
      p: 1,
      maxmem: 256 * 1024 * 1024,
    });
    scrypt.push(performance.now() - t);
  }
  console.log(`\n3. The server's CPU per sign-in, ${SIGN_INS} sign-ins one after another (${load()})`);
  console.log('   what                                          server CPU     wall (client side)');
  console.log(
    `   GET /api/server-info (HTTP alone)             ${perRequest.toFixed(2).padStart(6)} ms     ${baselineWall.toFixed(2)} ms`,
  );
  console.log(
    `   sign-in: parameters + session (auth key)      ${perSignIn.toFixed(2).padStart(6)} ms     ${wall.toFixed(2)} ms`,
  );
  console.log(
    `   before: one scrypt N=2^17 r=8 p=1 per sign-in ${Math.min(...scrypt)
      .toFixed(2)
      .padStart(6)} ms     (best of 3, in this process)`,
  );
}

async function main(): Promise<void> {
  const cpuModel =
    /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model;
  console.log(`machine: ${cpus().length} cores, ${cpuModel}, node ${process.version}; ${load()}`);
  await nodeDerivation();
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-bench-keys-'));
  // The panel is served from dist/renderer (built first when missing), under the production headers.
  const server = await startServerChild(dataDir);
  try {
    await chromiumDerivation(server.url);
    await serverCpu(server.url, server.cpuSeconds, dataDir);
  } finally {
    server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const paths = Math.max(1, Number(values.paths));
  console.log(`\n4. A new computer, from sign-in to the first search in Restore (${paths} paths; ${load()})`);
  const figures = await newComputerToFirstSearch({
    dir: values.dir,
    paths,
    snapshots: Math.max(1, Number(values.snapshots)),
    log: (line) => console.log(line),
  });
  console.log(
    `   signed in ${ms(figures.signInMs)}, drive connected ${ms(figures.driveConnectedMs)}, first search answered ${ms(figures.firstSearchMs)} (${load()})`,
  );
}

await main();
