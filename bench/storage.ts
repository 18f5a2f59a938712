/**
 * `npm run bench -- storage [--tables clients,parallel,prune,s3] [--size-mib N] [--runs N]
 *   [--only a,b,...] [--parallel-clients N] [--parallel-size-mib N] [--prune-files N]
 *   [--s3-pack-mib N] [--dir DIR] [--keep] [--profile-server DIR]`
 *
 * The account storage against yardsticks, in the same run, all over loopback. Four tables (all by
 * default; --tables picks some), each printing the load average before and after, as the machine
 * may be shared:
 *
 * clients: the engine benchmark's mixed dataset (~1 GiB: thousands of small text files, 8 MiB
 * binaries, duplicates, two 128 MiB files) backed up and restored by
 * - restic-strongroom: Debian's restic into the account server (restic's REST protocol, a device token);
 * - restic-rclone:     the same restic into `rclone serve restic` on a local folder (Debian's rclone);
 * - engine-strongroom: Strongroom's engine (`strongroom-backup --repo rest:...`) into the account server;
 * - engine-folder:     the engine into a local folder.
 * Steps: first backup into an empty repository, an unchanged re-run, a full restore (checked
 * identical with diff -r). The clients' wall time, CPU and peak memory come from `/usr/bin/time -v`
 * around each command; the servers' CPU seconds and peak memory from /proc (utime + stime, and
 * VmHWM after resetting it through clear_refs before each step). Targets: restic into the account
 * server at least as fast as into rclone's; the engine over HTTP within 1.2x of the engine to a
 * local folder. Each step runs `--runs` times (the configurations taking turns) and the fastest is
 * kept.
 *
 * parallel, prune, s3: bench/storage-scale.ts (8 restic clients at once, another user's latency
 * during a 10,000-file prune, a 2 GiB pack through the S3 store).
 */
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDataset } from './datasets';
import { duBytes, measure, sameTree, type Measure } from './measure';
import {
  loadAverage,
  resetPeak,
  serverStats,
  startRclone,
  startStrongroom,
  type Running,
  type StrongroomServer,
} from './storage-procs';
import { SCALE_TABLES, runScaleTables } from './storage-scale';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const TABLES = ['clients', ...SCALE_TABLES] as const;
const tables = (opt('tables') ?? TABLES.join(',')).split(',');
for (const t of tables) {
  if (!(TABLES as readonly string[]).includes(t))
    throw new Error(`--tables: unknown table ${t} (${TABLES.join(', ')})`);
}
const sizeMiB = Number(opt('size-mib') ?? 1024);
const runs = Math.max(1, Number(opt('runs') ?? 2));
const keep = args.includes('--keep');
if (!(sizeMiB > 0)) throw new Error(`--size-mib must be a positive number, not ${opt('size-mib')}`);
const base = fs.mkdtempSync(path.join(opt('dir') ?? os.tmpdir(), 'strongroom-bench-storage-'));
const CLI = fileURLToPath(new URL('../bin/strongroom-backup.js', import.meta.url));
const PASSWORD = 'benchmark password';
const MiB = 1024 * 1024;

for (const bin of ['restic', 'rclone']) {
  if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) {
    throw new Error(`${bin} is missing: install Debian's package (apt-get install ${bin})`);
  }
}

// ---------- configurations ----------
interface Config {
  name: string;
  server: 'strongroom' | 'rclone' | null;
  init(run: number): void;
  backup(run: number): Measure;
  restore(run: number, target: string): Measure;
}

async function run(): Promise<void> {
  console.log(`benchmark directory: ${base}`);
  try {
    if (tables.includes('clients')) await clientsTable();
    await runScaleTables({
      base,
      tables,
      parallelClients: Number(opt('parallel-clients') ?? 8),
      parallelSizeMiB: Number(opt('parallel-size-mib') ?? 256),
      pruneFiles: Number(opt('prune-files') ?? 10_000),
      s3PackMiB: Number(opt('s3-pack-mib') ?? 2048),
      password: PASSWORD,
    });
  } finally {
    if (!keep) fs.rmSync(base, { recursive: true, force: true });
    else console.log(`kept ${base}`);
  }
}

async function clientsTable(): Promise<void> {
  console.log(`\n## clients (${loadAverage()} before)`);
  const t0 = Date.now();
  const ds = makeDataset(path.join(base, 'data'), sizeMiB);
  console.log(
    `dataset: ${ds.files.length} files, ${(ds.bytes / MiB).toFixed(0)} MiB, made in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  const profileDir = opt('profile-server');
  const sr = await startStrongroom(path.join(base, 'strongroom-server'), profileDir ? { profileDir } : {});
  const rc = await startRclone(path.join(base, 'rclone-folder'));
  const servers = { strongroom: sr, rclone: rc };
  try {
    await bench(ds, sr, rc, servers);
  } finally {
    await sr.stop();
    await rc.stop();
    fs.rmSync(path.join(base, 'data'), { recursive: true, force: true });
    console.log(`(${loadAverage()} after)`);
  }
}

async function bench(
  ds: { root: string; files: string[]; bytes: number },
  sr: StrongroomServer,
  rc: Running & { port: number },
  servers: Record<'strongroom' | 'rclone', Running>,
): Promise<void> {
  const common = { ...process.env, RESTIC_PASSWORD: PASSWORD, STRONGROOM_PASSWORD: PASSWORD };
  const resticEnv = (repo: string) => ({
    ...common,
    RESTIC_REPOSITORY: repo,
    RESTIC_CACHE_DIR: path.join(base, 'restic-cache'),
  });
  const srRest = (repo: string) => `rest:http://127.0.0.1:${sr.port}/storage/${sr.username}/${repo}/`;
  const resticConfig = (name: string, server: 'strongroom' | 'rclone', repoOf: (run: number) => string) => ({
    name,
    server,
    init: (n: number) => void execFileSync('restic', ['init'], { env: resticEnv(repoOf(n)), stdio: 'pipe' }),
    backup: (n: number) =>
      measure(`${name} backup`, 'restic', ['--quiet', 'backup', ds.root], resticEnv(repoOf(n))),
    restore: (n: number, target: string) =>
      measure(
        `${name} restore`,
        'restic',
        ['--quiet', 'restore', 'latest', '--target', target],
        resticEnv(repoOf(n)),
      ),
  });
  const engineConfig = (
    name: string,
    server: 'strongroom' | null,
    repoOf: (run: number) => string,
    env: NodeJS.ProcessEnv,
  ): Config => ({
    name,
    server,
    init: (n) => void execFileSync(process.execPath, [CLI, '-r', repoOf(n), 'init'], { env, stdio: 'pipe' }),
    backup: (n) =>
      measure(`${name} backup`, process.execPath, [CLI, '-r', repoOf(n), '--quiet', 'backup', ds.root], env),
    restore: (n, target) =>
      measure(
        `${name} restore`,
        process.execPath,
        [CLI, '-r', repoOf(n), '--quiet', 'restore', 'latest', '--target', target],
        env,
      ),
  });
  const all: Config[] = [
    resticConfig('restic-strongroom', 'strongroom', (n) =>
      srRest(`restic-${n}`).replace('http://', `http://${sr.username}:${sr.token}@`),
    ),
    resticConfig('restic-rclone', 'rclone', (n) => `rest:http://127.0.0.1:${rc.port}/restic-${n}/`),
    engineConfig('engine-strongroom', 'strongroom', (n) => srRest(`engine-${n}`), {
      ...common,
      STRONGROOM_STORAGE_TOKEN: sr.token,
    }),
    engineConfig('engine-folder', null, (n) => path.join(base, `engine-folder-${n}`), common),
  ];
  const only = opt('only')?.split(',');
  const configs = only ? all.filter((c) => only.includes(c.name)) : all;

  type Step = 'initial' | 'unchanged' | 'restore';
  interface Row extends Measure {
    serverCpu?: number;
    serverPeakMiB?: number;
  }
  const results = new Map<string, Partial<Record<Step, Row>>>(configs.map((c) => [c.name, {}]));
  const restoredOk = new Map<string, boolean>();

  /** One measured command, with its server's CPU and peak memory over the same interval. */
  const step = (c: Config, fn: () => Measure): Row => {
    spawnSync('sync');
    const srv = c.server ? servers[c.server] : null;
    if (srv) resetPeak(srv.pid);
    const before = srv ? serverStats(srv.pid) : null;
    const m = fn();
    if (!srv || !before) return m;
    const after = serverStats(srv.pid);
    return { ...m, serverCpu: after.cpuSeconds - before.cpuSeconds, serverPeakMiB: after.peakMiB };
  };
  const best = (rows: Row[]): Row => {
    const fastest = rows.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    return { ...fastest, maxRssMiB: Math.max(...rows.map((r) => r.maxRssMiB)) };
  };
  const stage = (name: Step, fn: (c: Config, i: number) => Row) => {
    const got = new Map<string, Row[]>(configs.map((c) => [c.name, []]));
    for (let i = 0; i < runs; i++) for (const c of configs) got.get(c.name)!.push(fn(c, i));
    for (const c of configs) {
      const rows = got.get(c.name)!;
      const b = best(rows);
      results.get(c.name)![name] = b;
      console.log(
        `${c.name.padEnd(18)} ${name.padEnd(9)} ${b.seconds.toFixed(2).padStart(7)} s  client ${b.cpuSeconds.toFixed(2).padStart(6)} CPU-s ${b.maxRssMiB.toFixed(0).padStart(4)} MiB` +
          (b.serverCpu !== undefined
            ? `  server ${b.serverCpu.toFixed(2).padStart(6)} CPU-s ${b.serverPeakMiB!.toFixed(0).padStart(4)} MiB`
            : '') +
          (rows.length > 1 ? `  (runs: ${rows.map((r) => r.seconds.toFixed(2)).join(', ')})` : ''),
      );
    }
  };

  const lastRun = runs - 1;
  stage('initial', (c, i) => {
    c.init(i);
    return step(c, () => c.backup(i));
  });
  stage('unchanged', (c) => step(c, () => c.backup(lastRun)));
  stage('restore', (c, i) => {
    const target = path.join(base, `restore-${c.name}`);
    const row = step(c, () => c.restore(lastRun, target));
    if (i === 0) restoredOk.set(c.name, sameTree(ds.root, path.join(target, ds.root.replace(/^\//, ''))));
    fs.rmSync(target, { recursive: true, force: true });
    return row;
  });

  // ---------- report ----------
  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? 'unknown';
  console.log('\n## machine');
  console.log(
    `${cpu}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${os.release()}, Node ${process.version}, ${execFileSync('df', ['-T', base], { encoding: 'utf8' }).trim().split('\n')[1]!.split(/\s+/)[1]} in ${path.dirname(base)}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (shared with other sessions)`,
  );
  console.log(`- ${execFileSync('restic', ['version'], { encoding: 'utf8' }).trim()}`);
  console.log(`- ${execFileSync('rclone', ['version'], { encoding: 'utf8' }).split('\n')[0]}`);
  console.log(
    `dataset: ${ds.files.length} files, ${(ds.bytes / MiB).toFixed(0)} MiB; runs per step: ${runs} (fastest kept)`,
  );

  const steps: Array<[Step, string]> = [
    ['initial', 'first backup'],
    ['unchanged', 'unchanged re-run'],
    ['restore', 'full restore'],
  ];
  console.log(
    '\n| step | configuration | time (s) | client CPU (s) | client peak (MiB) | server CPU (s) | server peak (MiB) |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const [s, label] of steps) {
    for (const c of configs) {
      const r = results.get(c.name)![s];
      if (!r) continue;
      console.log(
        `| ${label} | ${c.name} | ${r.seconds.toFixed(2)} | ${r.cpuSeconds.toFixed(2)} | ${r.maxRssMiB.toFixed(0)} | ${r.serverCpu?.toFixed(2) ?? '-'} | ${r.serverPeakMiB?.toFixed(0) ?? '-'} |`,
      );
    }
  }
  const ratio = (a: string, b: string, s: Step, target: number) => {
    const x = results.get(a)?.[s];
    const y = results.get(b)?.[s];
    if (!x || !y) return;
    const r = x.seconds / y.seconds;
    console.log(
      `- ${a} / ${b}, ${steps.find(([k]) => k === s)![1]}: ${r.toFixed(2)} (target <= ${target}: ${r <= target ? 'met' : 'NOT met'})`,
    );
  };
  console.log('\nratios of wall time:');
  for (const [s] of steps) ratio('restic-strongroom', 'restic-rclone', s, 1);
  for (const [s] of steps) ratio('engine-strongroom', 'engine-folder', s, 1.2);
  console.log(
    `restored trees identical: ${configs.map((c) => `${c.name} ${restoredOk.get(c.name) ? 'yes' : 'NO'}`).join(', ')}`,
  );
  console.log(
    `server data: account server ${(duBytes(path.join(base, 'strongroom-server')) / MiB).toFixed(0)} MiB, rclone folder ${(duBytes(path.join(base, 'rclone-folder')) / MiB).toFixed(0)} MiB`,
  );
}

await run();
