/**
 * The storage benchmark's tables about scale (bench/storage.ts runs them):
 *
 * parallel: N restic clients (8 by default) back up and then restore at once, each its own
 *   repository (on the account server, each its own account), against the account server and
 *   `rclone serve restic` in the same run. Targets: wall time at most 1.1x rclone's, server CPU at
 *   most 3x, server peak memory at most 2x (rclone makes no fsync; the account server must).
 * prune: another user's request latency (GET of a small file, back to back) alone, and while one
 *   user's repository has 10,000 files deleted at restic's concurrency (8 connections), as a prune
 *   of 10,000 packs sends them; both servers. Target on the account server: p99 under 50 ms.
 * s3: one pack (2 GiB by default) uploaded to the account server storing in S3 (s3rver, its own
 *   process), and a pack of an eighth of that size: the server's peak memory over its resident
 *   size before, for both (flat: the same whatever the size), and whether the client got its 200.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { makeDataset } from './datasets';
import type { Measure } from './measure';
import {
  loadAverage,
  residentMiB,
  resetPeak,
  serverStats,
  startRclone,
  startS3rver,
  startStrongroom,
  type Running,
} from './storage-procs';

export const SCALE_TABLES = ['parallel', 'prune', 's3'] as const;
const LOAD_ENTRY = fileURLToPath(new URL('./storage-load.ts', import.meta.url));
const MiB = 1024 * 1024;

export interface ScaleOptions {
  base: string;
  tables: string[];
  parallelClients: number;
  parallelSizeMiB: number;
  pruneFiles: number;
  s3PackMiB: number;
  password: string;
}

export async function runScaleTables(o: ScaleOptions): Promise<void> {
  if (o.tables.includes('parallel')) await parallelTable(o);
  if (o.tables.includes('prune')) await pruneTable(o);
  if (o.tables.includes('s3')) await s3Table(o);
}

// ---------- helpers ----------

/** `/usr/bin/time -v` around a command, without blocking: clients run side by side. */
function measureAsync(label: string, cmd: string, argv: string[], env: NodeJS.ProcessEnv): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-v', cmd, ...argv], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (status) => {
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
      const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(err);
      const user = /User time \(seconds\): ([\d.]+)/.exec(err);
      const sys = /System time \(seconds\): ([\d.]+)/.exec(err);
      if (status !== 0 || !rss || !wall || !user || !sys) {
        reject(new Error(`${label} failed (exit ${status}):\n${err.slice(-3000)}`));
        return;
      }
      resolve({
        seconds: Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]),
        cpuSeconds: Number(user[1]) + Number(sys[1]),
        maxRssMiB: Number(rss[1]) / 1024,
      });
    });
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function runLoad(
  mode: 'seed' | 'delete',
  repoUrl: string,
  auth: string,
  count: number,
): Promise<{ seconds: number; failed: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', LOAD_ENTRY, mode, repoUrl, auth, String(count), '8'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (status) => {
      if (status !== 0) reject(new Error(`storage-load ${mode} exited ${status}`));
      else resolve(JSON.parse(out) as { seconds: number; failed: number });
    });
  });
}

/** GETs one small file back to back (a pause of 5 ms between) until `until` settles; the latencies. */
async function probe(url: string, auth: string | null, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => (done = true));
  const latencies: number[] = [];
  while (!done) {
    const start = performance.now();
    const answer = await fetch(url, { headers: auth ? { authorization: auth } : {} });
    await answer.arrayBuffer();
    if (!answer.ok) throw new Error(`probe ${url}: ${answer.status}`);
    latencies.push(performance.now() - start);
    await new Promise((r) => setTimeout(r, 5));
  }
  return latencies.sort((a, b) => a - b);
}

const ms = (x: number) => x.toFixed(1);

// ---------- parallel ----------

async function parallelTable(o: ScaleOptions): Promise<void> {
  const n = o.parallelClients;
  console.log(`\n## ${n} restic clients at once (${loadAverage()} before)`);
  const dir = path.join(o.base, 'parallel');
  const ds = makeDataset(path.join(dir, 'data'), o.parallelSizeMiB);
  console.log(
    `each client: ${ds.files.length} files, ${(ds.bytes / MiB).toFixed(0)} MiB, its own repository`,
  );
  const sr = await startStrongroom(path.join(dir, 'strongroom-server'), { accounts: n });
  const rc = await startRclone(path.join(dir, 'rclone-folder'));
  interface Row {
    server: string;
    step: string;
    seconds: number;
    clientCpu: number;
    clientPeak: number;
    serverCpu: number;
    serverPeak: number;
  }
  const rows: Row[] = [];
  try {
    const servers: Array<[string, Running, (i: number) => string]> = [
      [
        'strongroom',
        sr,
        (i) => {
          const a = sr.accounts[i]!;
          return `rest:http://${a.username}:${a.token}@127.0.0.1:${sr.port}/storage/${a.username}/main/`;
        },
      ],
      ['rclone', rc, (i) => `rest:http://127.0.0.1:${rc.port}/client-${i}/`],
    ];
    for (const [name, server, repoOf] of servers) {
      const env = (i: number) => ({
        ...process.env,
        RESTIC_PASSWORD: o.password,
        RESTIC_REPOSITORY: repoOf(i),
        RESTIC_CACHE_DIR: path.join(dir, `cache-${name}-${i}`),
      });
      const clients = Array.from({ length: n }, (_, i) => i);
      for (const i of clients) spawnSync('restic', ['init'], { env: env(i), stdio: 'ignore' });
      for (const step of ['backup', 'restore'] as const) {
        spawnSync('sync');
        resetPeak(server.pid);
        const before = serverStats(server.pid);
        const start = performance.now();
        const measured = await Promise.all(
          clients.map((i) =>
            measureAsync(
              `${name} client ${i} ${step}`,
              'restic',
              step === 'backup'
                ? ['--quiet', 'backup', ds.root]
                : ['--quiet', 'restore', 'latest', '--target', path.join(dir, `restore-${i}`)],
              env(i),
            ),
          ),
        );
        const seconds = (performance.now() - start) / 1000;
        const after = serverStats(server.pid);
        rows.push({
          server: name,
          step,
          seconds,
          clientCpu: measured.reduce((a, m) => a + m.cpuSeconds, 0),
          clientPeak: Math.max(...measured.map((m) => m.maxRssMiB)),
          serverCpu: after.cpuSeconds - before.cpuSeconds,
          serverPeak: after.peakMiB,
        });
        if (step === 'restore') {
          const same = spawnSync('diff', ['-rq', ds.root, path.join(dir, 'restore-0', ds.root)]).status === 0;
          if (!same) console.log(`${name}: client 0's restore differs from its source`);
          for (const i of clients)
            fs.rmSync(path.join(dir, `restore-${i}`), { recursive: true, force: true });
        }
      }
    }
  } finally {
    await sr.stop();
    await rc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    '\n| step | server | wall (s) | clients CPU (s) | client peak (MiB) | server CPU (s) | server peak (MiB) |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.step} | ${r.server} | ${r.seconds.toFixed(2)} | ${r.clientCpu.toFixed(2)} | ${r.clientPeak.toFixed(0)} | ${r.serverCpu.toFixed(2)} | ${r.serverPeak.toFixed(0)} |`,
    );
  }
  for (const step of ['backup', 'restore']) {
    const s = rows.find((r) => r.step === step && r.server === 'strongroom');
    const c = rows.find((r) => r.step === step && r.server === 'rclone');
    if (!s || !c) continue;
    const check = (label: string, ratio: number, target: number) =>
      `${label} ${ratio.toFixed(2)}x (target <= ${target}: ${ratio <= target ? 'met' : 'NOT met'})`;
    console.log(
      `- ${step}, account server / rclone: ${check('wall', s.seconds / c.seconds, 1.1)}, ${check('server CPU', s.serverCpu / c.serverCpu, 3)}, ${check('server memory', s.serverPeak / c.serverPeak, 2)}`,
    );
  }
  console.log(`(${loadAverage()} after)`);
}

// ---------- prune ----------

async function pruneTable(o: ScaleOptions): Promise<void> {
  console.log(`\n## another user's latency during a ${o.pruneFiles}-file prune (${loadAverage()} before)`);
  const dir = path.join(o.base, 'prune');
  const sr = await startStrongroom(path.join(dir, 'strongroom-server'), { accounts: 2 });
  const rc = await startRclone(path.join(dir, 'rclone-folder'));
  const lines: string[] = [];
  try {
    const basic = (a: { username: string; token: string }) =>
      `Basic ${Buffer.from(`${a.username}:${a.token}`).toString('base64')}`;
    const setups: Array<{
      name: string;
      server: Running;
      pruned: string;
      other: string;
      authA: string;
      authB: string;
    }> = [
      {
        name: 'strongroom',
        server: sr,
        pruned: `http://127.0.0.1:${sr.port}/storage/${sr.accounts[0]!.username}/pruned/`,
        other: `http://127.0.0.1:${sr.port}/storage/${sr.accounts[1]!.username}/other/`,
        authA: basic(sr.accounts[0]!),
        authB: basic(sr.accounts[1]!),
      },
      {
        name: 'rclone',
        server: rc,
        pruned: `http://127.0.0.1:${rc.port}/pruned/`,
        other: `http://127.0.0.1:${rc.port}/other/`,
        authA: '-',
        authB: '-',
      },
    ];
    for (const s of setups) {
      const headers = (auth: string): Record<string, string> => (auth === '-' ? {} : { authorization: auth });
      for (const [repo, auth] of [
        [s.pruned, s.authA],
        [s.other, s.authB],
      ] as const) {
        await (await fetch(`${repo}?create=true`, { method: 'POST', headers: headers(auth) })).arrayBuffer();
      }
      const config = Buffer.from('a small file the other user reads');
      await (
        await fetch(`${s.other}config`, { method: 'POST', headers: headers(s.authB), body: config })
      ).arrayBuffer();
      const seeded = await runLoad('seed', s.pruned, s.authA, o.pruneFiles);
      if (seeded.failed > 0) throw new Error(`${s.name}: ${seeded.failed} uploads failed while seeding`);
      const probeAuth = s.authB === '-' ? null : s.authB;
      const alone = await probe(`${s.other}config`, probeAuth, new Promise((r) => setTimeout(r, 3000)));
      const before = serverStats(s.server.pid);
      const pruning = runLoad('delete', s.pruned, s.authA, o.pruneFiles);
      const during = await probe(`${s.other}config`, probeAuth, pruning);
      const pruned = await pruning;
      const after = serverStats(s.server.pid);
      lines.push(
        `| ${s.name} | ${ms(percentile(alone, 50))} / ${ms(percentile(alone, 99))} | ${ms(percentile(during, 50))} / ${ms(percentile(during, 99))} / ${ms(during[during.length - 1] ?? NaN)} | ${during.length} | ${pruned.seconds.toFixed(2)} (${(o.pruneFiles / pruned.seconds).toFixed(0)}/s, ${pruned.failed} failed) | ${(after.cpuSeconds - before.cpuSeconds).toFixed(2)} |`,
      );
    }
  } finally {
    await sr.stop();
    await rc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    '\n| server | other user alone, p50 / p99 (ms) | during the prune, p50 / p99 / max (ms) | requests during | prune (s) | server CPU during (s) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const l of lines) console.log(l);
  console.log('(target on the account server: p99 during the prune under 50 ms)');
  console.log(`(${loadAverage()} after)`);
}

// ---------- s3 ----------

/** Deterministic incompressible bytes, made piece by piece (a 2 GiB pack is never in memory). */
function* packPieces(seed: string, size: number): Generator<Buffer> {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  const piece = Buffer.alloc(4 * MiB);
  for (let sent = 0; sent < size; sent += piece.length) {
    yield cipher.update(piece.subarray(0, Math.min(piece.length, size - sent)));
  }
}

async function uploadPack(
  url: string,
  auth: string,
  seed: string,
  size: number,
  pid: number,
): Promise<{ status: number | string; seconds: number; sampledPeakMiB: number }> {
  let sampledPeakMiB = 0;
  const sampler = setInterval(() => (sampledPeakMiB = Math.max(sampledPeakMiB, residentMiB(pid))), 200);
  const start = performance.now();
  try {
    const status = await new Promise<number | string>((resolve) => {
      const req = http.request(url, {
        method: 'POST',
        headers: { authorization: auth, 'content-length': String(size) },
      });
      req.once('response', (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode!));
      });
      req.once('error', (error) => resolve(`error: ${error.message}`));
      const pieces = packPieces(seed, size);
      const write = () => {
        for (let p = pieces.next(); !p.done; p = pieces.next()) {
          if (!req.write(p.value)) {
            req.once('drain', write);
            return;
          }
        }
        req.end();
      };
      write();
    });
    return { status, seconds: (performance.now() - start) / 1000, sampledPeakMiB };
  } finally {
    clearInterval(sampler);
  }
}

async function s3Table(o: ScaleOptions): Promise<void> {
  console.log(`\n## a ${o.s3PackMiB} MiB pack through the S3 store (${loadAverage()} before)`);
  const dir = path.join(o.base, 's3');
  const s3 = await startS3rver(path.join(dir, 's3rver'));
  const sr = await startStrongroom(path.join(dir, 'strongroom-server'), {
    storage: `s3://${s3.bucket}/accounts`,
    s3Endpoint: s3.endpoint,
  });
  const lines: string[] = [];
  try {
    const account = sr.accounts[0]!;
    const auth = `Basic ${Buffer.from(`${account.username}:${account.token}`).toString('base64')}`;
    const repo = `http://127.0.0.1:${sr.port}/storage/${account.username}/main/`;
    await (
      await fetch(`${repo}?create=true`, { method: 'POST', headers: { authorization: auth } })
    ).arrayBuffer();
    // A small pack first, not measured: the S3 SDK is loaded at the first upload (tens of MiB).
    const warmUp = Buffer.concat([...packPieces('s3 warm-up', MiB)]);
    const warmName = createHash('sha256').update(warmUp).digest('hex');
    const warm = await fetch(`${repo}data/${warmName}`, {
      method: 'POST',
      headers: { authorization: auth },
      body: new Uint8Array(warmUp),
    });
    await warm.arrayBuffer();
    for (const mib of [Math.max(1, Math.round(o.s3PackMiB / 8)), o.s3PackMiB]) {
      const size = mib * MiB;
      const seed = `s3 pack ${mib}`;
      const hash = createHash('sha256');
      for (const piece of packPieces(seed, size)) hash.update(piece);
      const name = hash.digest('hex');
      spawnSync('sync');
      const residentBefore = residentMiB(sr.pid);
      resetPeak(sr.pid);
      const up = await uploadPack(`${repo}data/${name}`, auth, seed, size, sr.pid);
      const peak = serverStats(sr.pid).peakMiB;
      const head = await fetch(`${repo}data/${name}`, { method: 'HEAD', headers: { authorization: auth } });
      lines.push(
        `| ${mib} | ${up.status} | ${up.seconds.toFixed(1)} | ${residentBefore.toFixed(0)} | ${Math.max(peak, up.sampledPeakMiB).toFixed(0)} | ${(Math.max(peak, up.sampledPeakMiB) - residentBefore).toFixed(0)} | ${head.status === 200 && head.headers.get('content-length') === String(size) ? 'yes' : 'NO'} |`,
      );
    }
  } finally {
    await sr.stop();
    await s3.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    '\n| pack (MiB) | answer | wall (s) | server resident before (MiB) | server peak (MiB) | growth (MiB) | stored whole |',
  );
  console.log('|---:|---|---:|---:|---:|---:|---|');
  for (const l of lines) console.log(l);
  console.log('(flat: the same peak for both sizes; a pack over 64 MiB holds two 16 MiB parts at a time)');
  console.log(`(${loadAverage()} after)`);
}
