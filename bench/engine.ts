/**
 * `npm run bench -- engine [--shapes mixed,source,tiny] [--scale F] [--runs N] [--tools strongroom,restic,borg]
 *                          [--size-mib N] [--source-mib N] [--source-files N] [--tiny-files N] [--keep] [--dir DIR]`
 *
 * Runs Strongroom, restic and borg in the same run on deterministic datasets of three shapes:
 * - mixed (~1 GiB): source-like text, incompressible binaries, duplicates, a large file and a copy
 *   shifted by one byte; steps: first backup, unchanged re-run, re-run after 1% of the files changed,
 *   restore.
 * - source (~1 GiB): a source tree / home folder: tens of thousands of small files (most 1-16 KiB) over
 *   thousands of folders, some medium files and some larger documents and binaries.
 * - tiny: 200,000 files of 10-1000 bytes.
 * The last two: first backup, unchanged re-run, restore. Each step reports wall time, CPU seconds
 * (user + system) and peak memory (maximum RSS), all from `/usr/bin/time -v` around the whole command,
 * with Strongroom's ratio to the best peer and the targets (first backup and restore at most
 * 0.8x the best peer, unchanged re-run at most 0.5x, peak memory at most 1.5x the leanest).
 *
 * `--scale F` (or STRONGROOM_BENCH_SCALE) multiplies every size and file count: `--scale 0.02 --runs 1`
 * runs all three shapes in about a minute. restic and borg come from Debian's packages and are
 * installed with apt-get when missing.
 */
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDataset, randomBytes, sourceText, type Dataset } from './datasets';
import { duBytes, measure as measureCommand, sameTree, type Measure } from './measure';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const scale = Number(opt('scale') ?? process.env.STRONGROOM_BENCH_SCALE ?? 1);
if (!(scale > 0)) throw new Error(`--scale must be a positive number, not ${opt('scale')}`);
const sizeMiB = Number(opt('size-mib') ?? 1024) * scale;
const sourceMiB = Number(opt('source-mib') ?? 1024) * scale;
const sourceFiles = Math.max(10, Math.round(Number(opt('source-files') ?? 30_000) * scale));
const tinyFiles = Math.max(10, Math.round(Number(opt('tiny-files') ?? 200_000) * scale));
const SHAPES = ['mixed', 'source', 'tiny'] as const;
type ShapeName = (typeof SHAPES)[number];
const shapes = (opt('shapes') ?? SHAPES.join(',')).split(',') as ShapeName[];
for (const sh of shapes)
  if (!SHAPES.includes(sh)) throw new Error(`unknown shape ${sh}; shapes: ${SHAPES.join(', ')}`);
const tools = (opt('tools') ?? 'strongroom,restic,borg').split(',');
const keep = args.includes('--keep');
const runs = Math.max(1, Number(opt('runs') ?? 3));
const base = fs.mkdtempSync(path.join(opt('dir') ?? os.tmpdir(), 'strongroom-bench-'));
const CLI = fileURLToPath(new URL('../bin/strongroom-backup.js', import.meta.url));
const PASSWORD = 'benchmark password';
const env = {
  ...process.env,
  STRONGROOM_PASSWORD: PASSWORD,
  RESTIC_PASSWORD: PASSWORD,
  BORG_PASSPHRASE: PASSWORD,
  BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
  BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
};
const MiB = 1024 * 1024;

// ---------- peers ----------
function ensureTool(bin: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0) return;
  console.log(`${bin} is missing: installing Debian package ${pkg}`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const run = (a: string[]) => {
    const r = spawnSync(sudo[0] ?? a[0]!, sudo.length ? a : a.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (r.status !== 0) throw new Error(`${a.join(' ')} failed`);
  };
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', pkg]);
}
if (tools.includes('restic')) ensureTool('restic', 'restic');
if (tools.includes('borg')) ensureTool('borg', 'borgbackup');

// ---------- dataset ----------

/** xorshift32: a small seeded PRNG, so every run builds the same tree. */
function prng32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/**
 * A source tree or home folder: `fileCount` small files (most 1-16 KiB: source, configuration, notes)
 * over folders up to five deep, one in twenty a medium file of 16-256 KiB, and larger documents and
 * binaries of 1-8 MiB (half compressible text, half random) until the total reaches `totalMiB`.
 */
function makeSourceTree(root: string, totalMiB: number, fileCount: number): Dataset {
  const files: string[] = [];
  let bytes = 0;
  const rnd = prng32(20_000);
  const put = (rel: string, data: Buffer) => {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
    files.push(p);
    bytes += data.length;
  };
  const exts = ['ts', 'js', 'json', 'md', 'css', 'py', 'go', 'txt', 'yml', 'html'];
  const folders = Math.max(1, Math.round(fileCount / 15));
  const folder = (i: number) => {
    const parts: string[] = [];
    let n = i;
    for (let d = 0; d < 1 + (i % 5); d++) {
      parts.push(`${['lib', 'src', 'pkg', 'docs', 'test', 'app'][n % 6]}${n % 37}`);
      n = Math.floor(n / 6);
    }
    return parts.join('/');
  };
  for (let i = 0; i < fileCount; i++) {
    const r = rnd();
    const medium = r % 20 === 0;
    // Small files: 1-16 KiB, skewed toward the small end as real source trees are.
    const size = medium
      ? 16384 + (rnd() % (240 * 1024))
      : 1024 + Math.floor(((rnd() % 1000) / 1000) ** 2 * 15 * 1024);
    const rel = `${folder(rnd() % folders)}/file${i}.${exts[r % exts.length]}`;
    put(rel, medium && r % 3 === 0 ? randomBytes(`medium ${i}`, size) : sourceText(i + 7, size));
  }
  for (let i = 0; bytes < totalMiB * MiB; i++) {
    const size = Math.min(MiB + (rnd() % (7 * MiB)), Math.max(4096, totalMiB * MiB - bytes));
    if (i % 2 === 0) put(`Documents/report${i}.pdf`, randomBytes(`doc ${i}`, size));
    else put(`Documents/notes${i}.txt`, sourceText(1_000_000 + i, size));
  }
  return { root, files, bytes };
}

/** `count` tiny files of 10-1000 bytes, 100 to a folder. */
function makeTinyFiles(root: string, count: number): Dataset {
  const files: string[] = [];
  let bytes = 0;
  const rnd = prng32(200_000);
  for (let i = 0; i < count; i++) {
    if (i % 100 === 0)
      fs.mkdirSync(path.join(root, `d${Math.floor(i / 100) % 50}`, `d${Math.floor(i / 100)}`), {
        recursive: true,
      });
    const p = path.join(root, `d${Math.floor(i / 100) % 50}`, `d${Math.floor(i / 100)}`, `f${i}`);
    const data = Buffer.from(`${i} ${'x'.repeat(rnd() % 990)}\n`);
    fs.writeFileSync(p, data);
    files.push(p);
    bytes += data.length;
  }
  return { root, files, bytes };
}

/** Changes 1% of the files: an edit in the middle of each (text gets a line, binaries 4 KiB rewritten). */
function changeOnePercent(ds: Dataset): number {
  let changed = 0;
  for (let i = 0; i < ds.files.length; i += 100) {
    const f = ds.files[i]!;
    const data = fs.readFileSync(f);
    const mid = data.length >> 1;
    const patch = f.endsWith('.ts')
      ? Buffer.from(`\n// changed by the benchmark ${i}\n`)
      : randomBytes(`patch ${i}`, 4096);
    fs.writeFileSync(
      f,
      Buffer.concat([
        data.subarray(0, mid),
        patch,
        data.subarray(mid + (f.endsWith('.ts') ? 0 : patch.length)),
      ]),
    );
    changed++;
  }
  return changed;
}

const measure = (label: string, cmd: string, argv: string[], cwd?: string): Measure =>
  measureCommand(label, cmd, argv, env, cwd);

interface Tool {
  name: string;
  version: string;
  init(repo: string): void;
  backup(repo: string, src: string, n: number): Measure;
  restore(repo: string, target: string): Measure;
}

const strongroom: Tool = {
  name: 'strongroom',
  version: `strongroom ${JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version} (node ${process.version})`,
  init: (repo) => void execFileSync(process.execPath, [CLI, '-r', repo, 'init'], { env, stdio: 'pipe' }),
  backup: (repo, src) =>
    measure('strongroom backup', process.execPath, [CLI, '-r', repo, '--quiet', 'backup', src]),
  restore: (repo, target) =>
    measure('strongroom restore', process.execPath, [
      CLI,
      '-r',
      repo,
      '--quiet',
      'restore',
      'latest',
      '--target',
      target,
    ]),
};
const restic: Tool = {
  name: 'restic',
  version: tools.includes('restic') ? execFileSync('restic', ['version'], { encoding: 'utf8' }).trim() : '',
  init: (repo) => void execFileSync('restic', ['-r', repo, 'init'], { env, stdio: 'pipe' }),
  backup: (repo, src) => measure('restic backup', 'restic', ['-r', repo, '--quiet', 'backup', src]),
  restore: (repo, target) =>
    measure('restic restore', 'restic', ['-r', repo, '--quiet', 'restore', 'latest', '--target', target]),
};
let borgLatest = '';
const borg: Tool = {
  name: 'borg',
  version: tools.includes('borg') ? execFileSync('borg', ['--version'], { encoding: 'utf8' }).trim() : '',
  init: (repo) =>
    void execFileSync('borg', ['init', '--encryption', 'repokey', repo], { env, stdio: 'pipe' }),
  backup: (repo, src, n) => {
    borgLatest = `run${n}`;
    return measure('borg create', 'borg', ['create', `${repo}::${borgLatest}`, src]);
  },
  restore: (repo, target) => {
    fs.mkdirSync(target, { recursive: true });
    return measure('borg extract', 'borg', ['extract', `${repo}::${borgLatest}`], target);
  },
};

// ---------- run ----------
const selected = [strongroom, restic, borg].filter((t) => tools.includes(t.name));
console.log(`benchmark directory: ${base}`);

type Step = 'initial' | 'unchanged' | 'changed' | 'restore';
const STEP_LABEL: Record<Step, string> = {
  initial: 'first backup',
  unchanged: 'unchanged re-run',
  changed: 're-run after 1% changed',
  restore: 'full restore',
};
/** The targets, as Strongroom / best peer: time, and peak memory against the leanest. */
const TIME_TARGET: Record<Step, number | undefined> = {
  initial: 0.8,
  unchanged: 0.5,
  changed: undefined,
  restore: 0.8,
};
const MEMORY_TARGET = 1.5;

interface ShapeResult {
  name: ShapeName;
  description: string;
  steps: Step[];
  measures: Map<string, Partial<Record<Step, Measure>>>;
  repoBytes: Map<string, number>;
  restoredOk: Map<string, boolean>;
}

/**
 * Each step runs `runs` times (tools taking turns, so a burst of load on this shared machine hits all of
 * them alike) and keeps the fastest time, the least CPU and the highest peak memory. The 1%-changed step
 * runs once: it needs the unchanged state it changes.
 */
const best = (ms: Measure[]): Measure => ({
  seconds: Math.min(...ms.map((m) => m.seconds)),
  cpuSeconds: Math.min(...ms.map((m) => m.cpuSeconds)),
  maxRssMiB: Math.max(...ms.map((m) => m.maxRssMiB)),
});

function runShape(name: ShapeName): ShapeResult {
  const dir = path.join(base, name);
  const t0 = Date.now();
  const ds =
    name === 'mixed'
      ? makeDataset(path.join(dir, 'data'), sizeMiB)
      : name === 'source'
        ? makeSourceTree(path.join(dir, 'data'), sourceMiB, sourceFiles)
        : makeTinyFiles(path.join(dir, 'data'), tinyFiles);
  const description = `${ds.files.length} files, ${(ds.bytes / MiB).toFixed(0)} MiB`;
  console.log(`\n# shape ${name}: ${description}, made in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const steps: Step[] =
    name === 'mixed' ? ['initial', 'unchanged', 'changed', 'restore'] : ['initial', 'unchanged', 'restore'];
  const res: ShapeResult = {
    name,
    description,
    steps,
    measures: new Map(selected.map((t) => [t.name, {}])),
    repoBytes: new Map(),
    restoredOk: new Map(),
  };
  const repoOf = (t: Tool) => path.join(dir, `repo-${t.name}`);
  for (const t of selected) t.init(repoOf(t));
  let archiveNo = 0;
  const stage = (step: Step, times: number, fn: (t: Tool, repo: string, i: number) => Measure) => {
    const got = new Map<string, Measure[]>(selected.map((t) => [t.name, []]));
    for (let i = 0; i < times; i++) for (const t of selected) got.get(t.name)!.push(fn(t, repoOf(t), i));
    for (const t of selected) {
      const m = best(got.get(t.name)!);
      res.measures.get(t.name)![step] = m;
      console.log(
        `${t.name.padEnd(10)} ${step.padEnd(9)} ${m.seconds.toFixed(2).padStart(7)} s  ${m.cpuSeconds.toFixed(2).padStart(7)} s CPU  ${m.maxRssMiB.toFixed(0).padStart(5)} MiB peak` +
          (times > 1
            ? `  (best of ${times}: ${got
                .get(t.name)!
                .map((x) => x.seconds.toFixed(2))
                .join(', ')})`
            : ''),
      );
    }
  };
  stage('initial', runs, (t, repo, i) => {
    if (i > 0) {
      fs.rmSync(repo, { recursive: true, force: true });
      t.init(repo);
    }
    return t.backup(repo, ds.root, ++archiveNo);
  });
  stage('unchanged', runs, (t, repo) => t.backup(repo, ds.root, ++archiveNo));
  if (steps.includes('changed')) {
    console.log(`changed ${changeOnePercent(ds)} files (1%)`);
    stage('changed', 1, (t, repo) => t.backup(repo, ds.root, ++archiveNo));
  }
  for (const t of selected) res.repoBytes.set(t.name, duBytes(repoOf(t)));
  stage('restore', runs, (t, repo, i) => {
    const target = path.join(dir, `restore-${t.name}`);
    const m = t.restore(repo, target);
    if (i === 0) {
      // restic and strongroom restore absolute paths under the target; borg extracts them relative to cwd.
      res.restoredOk.set(t.name, sameTree(ds.root, path.join(target, ds.root.replace(/^\//, ''))));
    }
    fs.rmSync(target, { recursive: true, force: true });
    return m;
  });
  for (const t of selected)
    console.log(`${t.name.padEnd(10)} restored tree ${res.restoredOk.get(t.name) ? 'identical' : 'DIFFERS'}`);
  if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  return res;
}

const results = shapes.map(runShape);

// ---------- report ----------
const cpu =
  (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ??
  os.cpus()[0]?.model ??
  'unknown';
const fsType = (() => {
  try {
    return execFileSync('df', ['-T', base], { encoding: 'utf8' }).trim().split('\n')[1]!.split(/\s+/)[1];
  } catch {
    return 'unknown';
  }
})();
console.log('\n## machine');
console.log(
  `${cpu}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${os.release()}, ${fsType} in ${path.dirname(base)}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
for (const t of selected) console.log(`- ${t.version}`);
console.log(`runs per step: ${runs} (best kept); scale ${scale}`);

const names = selected.map((t) => t.name);
/** Strongroom / best peer, with whether the target (a ratio) is met. */
function ratio(sr: number | undefined, peers: number[], target: number | undefined): [string, string] {
  const bestPeer = Math.min(...peers);
  if (sr === undefined || !Number.isFinite(bestPeer) || bestPeer <= 0) return ['-', '-'];
  const r = sr / bestPeer;
  const text = `${r.toFixed(Math.abs(r - 1) < 0.01 ? 3 : 2)}${sr < bestPeer ? ' (ahead)' : sr > bestPeer ? ' (behind)' : ''}`;
  return [text, target === undefined ? '' : r <= target ? `<= ${target}: met` : `<= ${target}: NOT met`];
}
for (const r of results) {
  console.log(`\n### ${r.name}: ${r.description}`);
  console.log(`\n| step | figure | ${names.join(' | ')} | strongroom / best peer | target |`);
  console.log(`|---|---|${names.map(() => '---:').join('|')}|---:|---|`);
  for (const step of r.steps) {
    const get = (n: string) => r.measures.get(n)?.[step];
    const peersOf = (f: (m: Measure) => number) =>
      names.filter((n) => n !== 'strongroom').map((n) => (get(n) ? f(get(n)!) : Infinity));
    const row = (figure: string, f: (m: Measure) => number, digits: number, target: number | undefined) => {
      const sr = get('strongroom');
      const [rt, tg] = ratio(sr ? f(sr) : undefined, peersOf(f), target);
      console.log(
        `| ${STEP_LABEL[step]} | ${figure} | ${names.map((n) => (get(n) ? f(get(n)!).toFixed(digits) : '-')).join(' | ')} | ${rt} | ${tg} |`,
      );
    };
    row('time (s)', (m) => m.seconds, 2, TIME_TARGET[step]);
    row('CPU (s)', (m) => m.cpuSeconds, 2, undefined);
    row('peak memory (MiB)', (m) => m.maxRssMiB, 0, MEMORY_TARGET);
  }
  const sizes = names.map((n) => (r.repoBytes.get(n) ?? 0) / MiB);
  const [rt] = ratio(
    r.repoBytes.get('strongroom'),
    names.filter((n) => n !== 'strongroom').map((n) => r.repoBytes.get(n) ?? Infinity),
    undefined,
  );
  console.log(`| repository | size (MiB) | ${sizes.map((v) => v.toFixed(1)).join(' | ')} | ${rt} | |`);
  console.log(
    `| restore | identical to source | ${names.map((n) => (r.restoredOk.get(n) ? 'yes' : 'NO')).join(' | ')} | | |`,
  );
}
if (!keep) fs.rmSync(base, { recursive: true, force: true });
else console.log(`kept ${base}`);
