/**
 * `npm run bench -- lock [--runs N] [--unlocks N]`
 *
 * The desktop app's lock, measured through the browser harness (the real main-process services in
 * Node, the real embedded account server with its default OWASP scrypt, the built renderer in
 * Debian's Chromium via playwright-core), and through Electron where a binary is installed:
 *   1. process start -> unlock screen interactive: from spawning `src-harness/cli.ts` on a fresh
 *      data directory to the Username field and the Unlock button being usable in the page (the
 *      browser is started beforehand: in the app, the window is part of the process).
 *   2. unlock round trip: window.api.authUnlock (bridge -> lock service -> account server sign-in
 *      with scrypt -> keychain -> answer), and click-to-Account-page as a person sees it.
 *   3. renderer bundle size: the desktop page's JavaScript, raw and gzip -9.
 * Prints the figures; docs/benchmarks.md keeps a copy with the machine.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import { chromium, _electron, type Browser, type Page } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PASSWORD = 'correct horse battery';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, unlocks: { type: 'string', default: '10' } },
});
const RUNS = Math.max(1, Number(values.runs));
const UNLOCKS = Math.max(1, Number(values.unlocks));

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const pick = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { n: s.length, min: s[0]!, p50: pick(0.5), p95: pick(0.95), max: s[s.length - 1]! };
}
const ms = (x: number) => `${x.toFixed(0)} ms`;
const fmt = (st: ReturnType<typeof stats>) =>
  `p50 ${ms(st.p50)}, p95 ${ms(st.p95)}, min ${ms(st.min)}, max ${ms(st.max)} (n=${st.n})`;

function ensureRendererBuilt(): void {
  if (fs.existsSync(path.join(ROOT, 'dist', 'renderer', 'desktop', 'index.html'))) return;
  console.log('building the renderer…');
  const r = spawnSync('npm', ['run', '--silent', 'build:renderer'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build:renderer failed');
}

interface HarnessProcess {
  child: ChildProcess;
  url: string;
  localServer: string;
  readyMs: number;
  stop(): Promise<void>;
}

async function startHarness(dataDir: string, t0: number): Promise<HarnessProcess> {
  // node --import tsx directly (not through npm), so npm's own start-up is not counted.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src-harness/cli.ts', '--data-dir', dataDir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const found = await new Promise<{ url: string; localServer: string }>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const ready = /harness ready at (\S+)/.exec(out);
      const local = /local account server at (\S+)/.exec(out);
      if (ready && local) resolve({ url: ready[1]!, localServer: local[1]! });
    });
    child.once('exit', (code) => reject(new Error(`harness exited (${code}):\n${out}`)));
  });
  return {
    child,
    ...found,
    readyMs: performance.now() - t0,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function unlockScreenReady(page: Page): Promise<void> {
  await page.getByLabel('Username').waitFor({ state: 'visible' });
  await page.waitForFunction(() => {
    const button = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Unlock');
    return button !== undefined && !button.disabled;
  });
}

async function benchHarness(browser: Browser) {
  const startSamples: number[] = [];
  const serverReadySamples: number[] = [];
  const apiUnlock: number[] = [];
  const uiUnlock: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-bench-lock-'));
    const page = await browser.newPage();
    const t0 = performance.now();
    const harness = await startHarness(dataDir, t0);
    try {
      await page.goto(harness.url);
      await unlockScreenReady(page);
      startSamples.push(performance.now() - t0);
      serverReadySamples.push(harness.readyMs);

      if (run === 0) {
        // Unlock latency on the first run's harness: an account on its embedded server.
        const signup = await fetch(`${harness.localServer}/api/signup`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'bench', password: PASSWORD }),
        });
        if (signup.status !== 201) throw new Error(`signup answered ${signup.status}`);
        for (let i = 0; i < UNLOCKS; i++) {
          const took = await page.evaluate(async (password) => {
            const start = performance.now();
            const result = await window.api.authUnlock({ username: 'bench', password });
            if (!result.ok) throw new Error(result.error.message);
            return performance.now() - start;
          }, PASSWORD);
          apiUnlock.push(took);
          // Reloading the page closes its window: the harness locks, the page comes back locked.
          await page.reload();
          await unlockScreenReady(page);
        }
        for (let i = 0; i < Math.min(UNLOCKS, 5); i++) {
          await page.getByLabel('Username').fill('bench');
          await page.getByLabel('Password').fill(PASSWORD);
          const start = performance.now();
          await page.getByRole('button', { name: 'Unlock', exact: true }).click();
          await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
          uiUnlock.push(performance.now() - start);
          await page.reload();
          await unlockScreenReady(page);
        }
      }
    } finally {
      await page.close();
      await harness.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return {
    start: stats(startSamples),
    serverReady: stats(serverReadySamples),
    apiUnlock: stats(apiUnlock),
    uiUnlock: stats(uiUnlock),
  };
}

function rendererBundle() {
  const dir = path.join(ROOT, 'dist', 'renderer');
  const html = fs.readFileSync(path.join(dir, 'desktop', 'index.html'), 'utf8');
  const refs = [...html.matchAll(/(?:src|href)="([^"]+\.js)"/g)].map((m) =>
    path.resolve(dir, 'desktop', m[1]!),
  );
  // Follow static imports between chunks so shared chunks count too.
  const seen = new Set<string>();
  const queue = [...refs];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file) || !fs.existsSync(file)) continue;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*["'](\.\/[^"']+\.js)["']/g))
      queue.push(path.resolve(path.dirname(file), m[1]!));
  }
  let raw = 0;
  let gzip = 0;
  for (const file of seen) {
    const bytes = fs.readFileSync(file);
    raw += bytes.length;
    gzip += zlib.gzipSync(bytes, { level: 9 }).length;
  }
  return { files: seen.size, raw, gzip };
}

async function benchElectron(): Promise<string> {
  const pkg = path.join(ROOT, 'node_modules', 'electron');
  const pathTxt = path.join(pkg, 'path.txt');
  if (!fs.existsSync(pathTxt))
    return 'not measured: no Electron binary on this machine (node_modules/electron/path.txt missing)';
  const binary = path.join(pkg, 'dist', fs.readFileSync(pathTxt, 'utf8').trim());
  if (!fs.existsSync(binary)) return `not measured: ${binary} missing`;
  if (!fs.existsSync(path.join(ROOT, 'dist', 'electron', 'main.js')))
    return 'not measured: run npm run build:electron first';
  const samples: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-bench-electron-'));
    const t0 = performance.now();
    const app = await _electron.launch({
      executablePath: binary,
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), ROOT],
      env: { ...(process.env as Record<string, string>), STRONGROOM_DATA_DIR: dataDir },
    });
    const page = await app.firstWindow();
    await unlockScreenReady(page);
    samples.push(performance.now() - t0);
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return `process start -> unlock screen interactive: ${fmt(stats(samples))}`;
}

async function main() {
  ensureRendererBuilt();
  const cpus = os.cpus();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  console.log(
    `machine: ${cpus[0]?.model ?? 'unknown CPU'} x${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
      `${os.type()} ${os.release()}, Node ${process.version}, Chromium ${browser.version()}`,
  );
  try {
    const h = await benchHarness(browser);
    console.log('harness (Node services + Chromium):');
    console.log(`  process start -> "harness ready" printed:        ${fmt(h.serverReady)}`);
    console.log(`  process start -> unlock screen interactive:      ${fmt(h.start)}`);
    console.log(`  unlock round trip (window.api.authUnlock):       ${fmt(h.apiUnlock)}`);
    console.log(`  unlock as a person sees it (click -> Account):   ${fmt(h.uiUnlock)}`);
  } finally {
    await browser.close();
  }
  const bundle = rendererBundle();
  console.log(
    `renderer bundle (desktop page JS, ${bundle.files} files): ${(bundle.raw / 1024).toFixed(1)} KiB raw, ${(bundle.gzip / 1024).toFixed(1)} KiB gzip -9`,
  );
  console.log(`electron: ${await benchElectron()}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
