/**
 * `npm run bench -- desktop [--size-mib N] [--runs N] [--dir DIR] [--keep] [--skip-overhead] [--skip-harness]`
 *
 * Desktop backup (issue 7), on one deterministic dataset (--size-mib, default 1024: 8 MiB
 * incompressible files plus a few hundred small text files):
 *   1. Overhead of the app's job process: the same first backup through the ForkedEngineRunner
 *      running the BUNDLED job process (dist/…/job-process.mjs, what Electron runs) and through the
 *      CLI (bin/strongroom-backup.js, its own bundle), each into a fresh vault, --runs times in
 *      alternating order; the ratio of the medians (target <= 1.05). Both times include process
 *      start, opening the vault (scrypt) and the backup.
 *   2. Through the browser harness, main in a process of its own (bench/desktop-main.ts: the real
 *      main-process services: lock, job queue, history, the embedded account server; jobs in the
 *      bundled job process); the page is the desktop renderer in Debian's Chromium over the
 *      harness's WebSocket bridge, driven from here: create the account, a vault and a protected
 *      item, then "Back up now" of the whole dataset while the page
 *        - calls lock:status in a loop through the WebSocket: round-trip p50/p99 (target p99 < 50 ms),
 *        - timestamps every onJobProgress event: latency from main receiving the job process's
 *          progress message to the page's listener (target p99 < 50 ms); both sides read the wall
 *          clock with sub-millisecond precision (performance.timeOrigin + performance.now()),
 *      and main's resident memory (the harness process, under tsx) is sampled every 100 ms (target: flat,
 *      under 150 MiB).
 * Prints the figures and the machine; docs/benchmarks.md keeps a copy. The keychain is used (the
 * vault password is kept, as by default in the app): run under a desktop session or
 * /work/tools/with-keyring.
 */
import { fork, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { ForkedEngineRunner } from '../src-main/adapters/forked-engine-runner';
import type { EngineRunner } from '../src-main/services/backup/engine-runner';
import type { JobOutcome, JobRequest } from '../src-shared/job-protocol';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'bin', 'strongroom-backup.js');
const PASSWORD = 'benchmark vault password';
const ACCOUNT_PASSWORD = 'benchmark account password';
const MiB = 1024 * 1024;

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    runs: { type: 'string', default: '3' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'skip-overhead': { type: 'boolean', default: false },
    'skip-harness': { type: 'boolean', default: false },
  },
});
const SIZE_MIB = Math.max(16, Number(values['size-mib']));
const RUNS = Math.max(1, Number(values.runs));
const base = fs.mkdtempSync(path.join(values.dir ?? os.tmpdir(), 'strongroom-bench-desktop-'));
// Inside the project, so the bundle's external codecs resolve from node_modules.
const bundleDir = fs.mkdtempSync(path.join(ROOT, 'dist', 'bench-desktop-'));

// ---------- figures ----------
function quantiles(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const pick = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
  return { n: s.length, p50: pick(0.5), p95: pick(0.95), p99: pick(0.99), max: s[s.length - 1] ?? NaN };
}
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;
const fmtQ = (q: ReturnType<typeof quantiles>) =>
  `p50 ${ms(q.p50)}, p95 ${ms(q.p95)}, p99 ${ms(q.p99)}, max ${ms(q.max)} (n=${q.n})`;
const median = (xs: number[]) => quantiles(xs).p50;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const verdict = (ok: boolean) => (ok ? 'meets the target' : 'MISSES the target');

// ---------- dataset ----------
function prng(seed: string, size: number): Buffer {
  const key = crypto.createHash('sha256').update(seed).digest();
  return crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

function makeDataset(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const small = Math.min(400, SIZE_MIB * 4);
  for (let i = 0; i < small; i++) {
    const d = path.join(dir, 'docs', `d${i % 20}`);
    fs.mkdirSync(d, { recursive: true });
    const text = Buffer.from(`${prng(`text ${i}`, 6 * 1024).toString('base64')}\n`);
    fs.writeFileSync(path.join(d, `note-${i}.txt`), text);
    files++;
    bytes += text.length;
  }
  fs.mkdirSync(path.join(dir, 'media'), { recursive: true });
  for (let i = 0; bytes < SIZE_MIB * MiB; i++) {
    const size = Math.min(8 * MiB, SIZE_MIB * MiB - bytes);
    fs.writeFileSync(path.join(dir, 'media', `blob-${i}.bin`), prng(`blob ${i}`, size));
    files++;
    bytes += size;
  }
  return { files, bytes };
}

// ---------- 1. job process vs CLI ----------
function runCli(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, STRONGROOM_PASSWORD: PASSWORD },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`strongroom-backup ${args.join(' ')} exited ${code}: ${err}`));
      else resolve(performance.now() - t0);
    });
  });
}

async function runJob(
  runner: EngineRunner,
  request: JobRequest,
): Promise<{ ms: number; outcome: JobOutcome }> {
  const t0 = performance.now();
  const outcome = await runner.run(
    request,
    { onProgress: () => undefined, onLog: () => undefined },
    new AbortController().signal,
  );
  if (outcome.status !== 'success')
    throw new Error(`${request.op} ended ${outcome.status}: ${outcome.message}`);
  return { ms: performance.now() - t0, outcome };
}

async function benchOverhead(runner: ForkedEngineRunner, data: string) {
  // The CLI bundles the engine on its first run (node_modules/.cache): not part of any timing.
  await runCli(['--help']).catch(() => undefined);
  const job: number[] = [];
  const cli: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    for (const which of r % 2 === 0 ? ['job', 'cli'] : ['cli', 'job']) {
      const repo = path.join(base, `overhead-${which}-${r}`);
      if (which === 'job') {
        await runJob(runner, { op: 'init', repo: { kind: 'local', path: repo }, password: PASSWORD });
        const { ms: took } = await runJob(runner, {
          op: 'backup',
          repo: { kind: 'local', path: repo },
          password: PASSWORD,
          paths: [data],
          excludes: [],
          tags: [],
          host: 'bench',
        });
        job.push(took);
      } else {
        await runCli(['--repo', repo, 'init']);
        cli.push(await runCli(['--repo', repo, '--json', 'backup', '--host', 'bench', data]));
      }
      fs.rmSync(repo, { recursive: true, force: true });
      console.log(
        `  run ${r + 1} ${which}: ${(((which === 'job' ? job : cli).at(-1) ?? 0) / 1000).toFixed(2)} s`,
      );
    }
  }
  return { job, cli, ratio: median(job) / median(cli) };
}

// ---------- 2. through the harness ----------
type ApiResult<T> = { ok: true; value: T } | { ok: false; error: { message: string } };

async function call<T>(page: Page, method: string, input?: unknown): Promise<T> {
  const result = (await page.evaluate(
    `window.api[${JSON.stringify(method)}](${input === undefined ? '' : JSON.stringify(input)})`,
  )) as ApiResult<T>;
  if (!result.ok) throw new Error(`${method}: ${result.error.message}`);
  return result.value;
}

// The page's side, as plain JavaScript: functions passed to page.evaluate from this file would carry
// the helpers tsx's transform adds (e.g. __name), which do not exist in the page.
const IDLE_LOOP = `(async () => {
  const rtts = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await window.api.lockStatus();
    rtts.push(performance.now() - t0);
  }
  return rtts;
})()`;

/** Back up now; meanwhile lock:status about 50 times a second (a busy page, not a flood) and every progress event stamped. */
const DURING_BACKUP = `async (itemId) => {
  const arrivals = [];
  const offProgress = window.api.onJobProgress((p) => {
    arrivals.push({ key: p.phase + '|' + p.filesDone + '|' + p.bytesDone, at: performance.timeOrigin + performance.now() });
  });
  let finished = null;
  let jobId = '';
  let done = false;
  const ended = new Promise((resolve) => {
    const offChanged = window.api.onJobChanged((job) => {
      if (job.id === jobId && job.status !== 'waiting' && job.status !== 'running') {
        finished = job;
        done = true;
        offChanged();
        resolve();
      }
    });
  });
  const started = await window.api.jobBackupNow({ itemId });
  if (!started.ok) throw new Error(started.error.message);
  jobId = started.value.jobId;
  const rtts = [];
  while (!done) {
    const t = performance.now();
    await window.api.lockStatus();
    rtts.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 20));
  }
  await ended;
  offProgress();
  return { arrivals, rtts, finished };
}`;

/** Resident memory of a process, from /proc (Linux) or ps. */
function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  const r = spawnSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' });
  return Number(r.stdout.trim()) * 1024;
}

async function benchHarness(jobEntry: string, data: string) {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'renderer', 'desktop', 'index.html'))) {
    console.log('building the renderer…');
    const r = spawnSync('npm', ['run', '--silent', 'build:renderer'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm run build:renderer failed');
  }
  const main = fork(
    path.join(ROOT, 'bench', 'desktop-main.ts'),
    [path.join(base, 'harness-data'), jobEntry],
    {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const fromMain = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: { type: string }) => {
        if (m.type !== type) return;
        main.off('message', onMessage);
        resolve(m as T);
      };
      main.on('message', onMessage);
      main.once('exit', (code) => reject(new Error(`bench/desktop-main.ts exited (${code})`)));
    });
  const { url } = await fromMain<{ url: string }>('ready');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction("typeof window.api?.lockStatus === 'function'");
    await call(page, 'authCreateAccount', { username: 'bench', password: ACCOUNT_PASSWORD });
    const vault = await call<{ id: string }>(page, 'vaultCreate', {
      type: 'local',
      name: 'Bench vault',
      path: path.join(base, 'harness-vault'),
      mode: 'new',
      password: PASSWORD,
      storePassword: true,
    });
    const { item } = await call<{ item: { id: string } }>(page, 'itemSave', {
      name: 'Bench data',
      paths: [data],
      excludes: [],
      excludePresets: [],
      vaultId: vault.id,
      schedule: { kind: 'manual' },
      retention: { mode: 'keep-all' },
      conditions: { catchUpMissed: true, skipOnBattery: false },
    });

    // lock:status while nothing runs, for comparison.
    const idle = (await page.evaluate(IDLE_LOOP)) as number[];

    // Resident memory of this process (main + harness) through the backup.
    const rss: number[] = [];
    const rssBefore = rssOf(main.pid!);
    const sampler = setInterval(() => rss.push(rssOf(main.pid!)), 100);

    const t0 = performance.now();
    const during = (await page.evaluate(`(${DURING_BACKUP})(${JSON.stringify(item.id)})`)) as {
      arrivals: { key: string; at: number }[];
      rtts: number[];
      finished: { status: string; message: string | null; filesDone: number };
    };
    const backupMs = performance.now() - t0;
    clearInterval(sampler);
    const rssAfter = rssOf(main.pid!);

    main.send({ type: 'stamps' });
    const received = new Map((await fromMain<{ stamps: [string, number][] }>('stamps')).stamps);
    const latencies: number[] = [];
    for (const a of during.arrivals) {
      const sent = received.get(a.key);
      if (sent !== undefined) latencies.push(a.at - sent);
    }
    return {
      idle: quantiles(idle),
      duringRtt: quantiles(during.rtts),
      progress: quantiles(latencies),
      unmatched: during.arrivals.length - latencies.length,
      job: during.finished,
      backupMs,
      rss: { before: rssBefore, peak: Math.max(rssBefore, ...rss), after: rssAfter, samples: rss.length },
    };
  } finally {
    await browser.close();
    const exited = new Promise((resolve) => main.once('exit', resolve));
    main.send({ type: 'close' });
    await exited;
  }
}

// ---------- main ----------
async function main() {
  const cpus = os.cpus();
  console.log(
    `machine: ${cpus[0]?.model ?? 'unknown CPU'} x${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
      `${os.type()} ${os.release()}, Node ${process.version}; load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  const build = spawnSync(
    process.execPath,
    [path.join(ROOT, 'scripts', 'build-electron.mjs'), '--outdir', bundleDir],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  if (build.status !== 0) throw new Error('scripts/build-electron.mjs failed');
  const runner = new ForkedEngineRunner({ entry: path.join(bundleDir, 'job-process.mjs') });

  const data = path.join(base, 'data');
  const ds = makeDataset(data);
  console.log(`dataset: ${ds.files} files, ${mib(ds.bytes)} in ${data}`);

  if (!values['skip-overhead']) {
    console.log(`1. first backup, bundled job process vs CLI (${RUNS} runs each):`);
    const o = await benchOverhead(runner, data);
    console.log(
      `  job process (ForkedEngineRunner, bundled entry): median ${(median(o.job) / 1000).toFixed(2)} s`,
    );
    console.log(
      `  CLI (bin/strongroom-backup.js):                  median ${(median(o.cli) / 1000).toFixed(2)} s`,
    );
    console.log(
      `  overhead ratio job/CLI: ${o.ratio.toFixed(3)} (target <= 1.05: ${verdict(o.ratio <= 1.05)})`,
    );
  }

  if (!values['skip-harness']) {
    console.log(`2. through the browser harness (main in its own process), Back up now of ${mib(ds.bytes)}:`);
    const h = await benchHarness(path.join(bundleDir, 'job-process.mjs'), data);
    console.log(
      `  job: ${h.job.status}, ${h.job.filesDone} files, ${(h.backupMs / 1000).toFixed(1)} s (${h.job.message})`,
    );
    console.log(`  lock:status round trip, idle:            ${fmtQ(h.idle)}`);
    console.log(
      `  lock:status round trip, during backup:   ${fmtQ(h.duringRtt)} (target p99 < 50 ms: ${verdict(h.duringRtt.p99 < 50)})`,
    );
    console.log(
      `  progress event, main -> page listener:   ${fmtQ(h.progress)} (target p99 < 50 ms: ${verdict(h.progress.p99 < 50)})` +
        (h.unmatched ? `; ${h.unmatched} events not matched to main's stamp` : ''),
    );
    console.log(
      `  main's resident memory: ${mib(h.rss.before)} before, peak ${mib(h.rss.peak)}, ${mib(h.rss.after)} after ` +
        `(${h.rss.samples} samples; growth ${mib(h.rss.peak - h.rss.before)}; target flat, under 150 MiB: ${verdict(h.rss.peak < 150 * MiB)})`,
    );
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    fs.rmSync(bundleDir, { recursive: true, force: true });
    if (values.keep) console.log(`kept ${base}`);
    else fs.rmSync(base, { recursive: true, force: true, maxRetries: 10 });
    // The harness's services leave handles (keychain, timers) that would keep this process alive.
    process.exit();
  });
