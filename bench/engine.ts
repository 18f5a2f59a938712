/**
 * `npm run bench -- engine [--size-mib N] [--runs N] [--tools strongroom,restic,borg] [--keep] [--dir DIR]`
 *
 * Builds a deterministic mixed dataset (~1 GiB by default: source-like text, incompressible binaries,
 * duplicated files, a large file and a copy shifted by one byte), then runs Strongroom, restic and borg
 * on it in the same run: initial backup, unchanged re-run, re-run after 1% of the files changed, full
 * restore, repository size, and the peak memory of each, with Strongroom's ratio to the best peer.
 * restic and borg come from Debian's packages and are installed with apt-get when missing.
 */
import { spawnSync, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const sizeMiB = Number(opt('size-mib') ?? 1024);
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
/** Deterministic bytes: AES-256-CTR keystream of a seed. */
function randomBytes(seed: string, size: number): Buffer {
  const key = crypto.createHash('sha256').update(seed).digest();
  return crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

const WORDS = (
  'const let function return if else for while import export from class interface type extends implements ' +
  'async await new this null undefined true false string number boolean void Promise Array Map Set error ' +
  'value result config options request response buffer stream handler callback index length push pop ' +
  'parse stringify encode decode read write open close path file dir node module require process env'
).split(' ');

/** Source-like text: indented lines of identifiers, literals and punctuation, varied by a seeded PRNG. */
function sourceText(seed: number, size: number): Buffer {
  let s = seed >>> 0 || 1;
  const rnd = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const parts: string[] = [];
  let n = 0;
  while (n < size) {
    const indent = '  '.repeat(rnd() % 5);
    const words = 3 + (rnd() % 8);
    let line = indent;
    for (let i = 0; i < words; i++) {
      const r = rnd();
      line += r % 7 === 0 ? `${r % 100000}` : WORDS[r % WORDS.length]!;
      line += i % 3 === 2 ? '(' : i === words - 1 ? ');' : ' ';
    }
    line += '\n';
    parts.push(line);
    n += line.length;
  }
  return Buffer.from(parts.join('').slice(0, size));
}

interface Dataset {
  root: string;
  files: string[];
  bytes: number;
}

function makeDataset(root: string, totalMiB: number): Dataset {
  const scale = totalMiB / 1024;
  const files: string[] = [];
  let bytes = 0;
  const put = (rel: string, data: Buffer) => {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
    files.push(p);
    bytes += data.length;
  };
  // ~300 MiB of source-like text in ~4000 files of 2-150 KiB, over a few hundred directories.
  const textCount = Math.round(4000 * scale);
  for (let i = 0; i < textCount; i++) {
    const size = 2048 + ((i * 2654435761) % (150 * 1024));
    put(`src/pkg${i % 40}/mod${(i >> 3) % 12}/file${i}.ts`, sourceText(i + 1, size));
  }
  // ~320 MiB of incompressible binaries: 40 x 8 MiB.
  const binCount = Math.max(1, Math.round(40 * scale));
  for (let i = 0; i < binCount; i++) put(`media/blob${i}.bin`, randomBytes(`bin ${i}`, 8 * MiB));
  // ~100 MiB of duplicates: 10 binaries and 200 text files copied elsewhere.
  for (let i = 0; i < Math.max(1, Math.round(10 * scale)); i++) {
    put(`backup-copy/media/blob${i}.bin`, fs.readFileSync(path.join(root, `media/blob${i}.bin`)));
  }
  for (let i = 0; i < Math.round(200 * scale); i++) {
    put(
      `backup-copy/src/file${i}.ts`,
      fs.readFileSync(path.join(root, `src/pkg${i % 40}/mod${(i >> 3) % 12}/file${i}.ts`)),
    );
  }
  // A large file (half text, half random) and a copy shifted by one inserted byte: 2 x 128 MiB.
  const largeHalf = Math.round(64 * scale) * MiB;
  const large = Buffer.concat([sourceText(999_999, largeHalf), randomBytes('large', largeHalf)]);
  put('vm/disk.img', large);
  put('vm/disk-shifted.img', Buffer.concat([Buffer.from([0x42]), large]));
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

// ---------- measuring ----------
interface Measure {
  seconds: number;
  maxRssMiB: number;
}

function measure(label: string, cmd: string, argv: string[], cwd?: string): Measure {
  // Flush the previous step's dirty pages first, so no tool pays for another's writeback.
  spawnSync('sync');
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...argv], {
    env,
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * MiB,
  });
  const err = r.stderr ?? '';
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(err);
  if (r.status !== 0 || !rss || !wall) {
    throw new Error(
      `${label} failed (exit ${r.status}):\n${err.slice(-3000)}\n${(r.stdout ?? '').slice(-2000)}`,
    );
  }
  const seconds = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
  return { seconds, maxRssMiB: Number(rss[1]) / 1024 };
}

function duBytes(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

function sameTree(a: string, b: string): boolean {
  const r = spawnSync('diff', ['-rq', '--no-dereference', a, b], { encoding: 'utf8' });
  if (r.status !== 0) console.log((r.stdout ?? '').split('\n').slice(0, 5).join('\n'));
  return r.status === 0;
}

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
const t0 = Date.now();
const ds = makeDataset(path.join(base, 'data'), sizeMiB);
console.log(
  `dataset: ${ds.files.length} files, ${(ds.bytes / MiB).toFixed(0)} MiB, made in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
);

type Row = {
  initial: Measure;
  unchanged: Measure;
  changed: Measure;
  restore: Measure;
  repoBytes: number;
  restoredOk: boolean;
};
const rows = new Map<string, Row>();
const partial = new Map<string, Partial<Row>>();
for (const t of selected) {
  t.init(path.join(base, `repo-${t.name}`));
  partial.set(t.name, {});
}
/**
 * Each step runs `runs` times (tools taking turns, so a burst of load on this shared machine hits all of
 * them alike) and keeps the fastest time and the highest peak memory. The 1%-changed step runs once: it
 * needs the unchanged state it changes.
 */
const best = (ms: Measure[]): Measure => ({
  seconds: Math.min(...ms.map((m) => m.seconds)),
  maxRssMiB: Math.max(...ms.map((m) => m.maxRssMiB)),
});
let archiveNo = 0;
const repoOf = (t: Tool) => path.join(base, `repo-${t.name}`);
const stage = (name: keyof Row, times: number, fn: (t: Tool, repo: string, i: number) => Measure) => {
  const got = new Map<string, Measure[]>(selected.map((t) => [t.name, []]));
  for (let i = 0; i < times; i++) for (const t of selected) got.get(t.name)!.push(fn(t, repoOf(t), i));
  for (const t of selected) {
    const m = best(got.get(t.name)!);
    (partial.get(t.name) as Record<string, unknown>)[name] = m;
    console.log(
      `${t.name.padEnd(10)} ${name.padEnd(9)} ${m.seconds.toFixed(2).padStart(7)} s  ${m.maxRssMiB.toFixed(0).padStart(5)} MiB peak` +
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
const changed = changeOnePercent(ds);
console.log(`changed ${changed} files (1%)`);
stage('changed', 1, (t, repo) => t.backup(repo, ds.root, ++archiveNo));
for (const t of selected) partial.get(t.name)!.repoBytes = duBytes(repoOf(t));
stage('restore', runs, (t, repo, i) => {
  const target = path.join(base, `restore-${t.name}`);
  const m = t.restore(repo, target);
  if (i === 0) {
    // restic and strongroom restore absolute paths under the target; borg extracts them relative to cwd.
    partial.get(t.name)!.restoredOk = sameTree(ds.root, path.join(target, ds.root.replace(/^\//, '')));
  }
  fs.rmSync(target, { recursive: true, force: true });
  return m;
});
for (const t of selected) {
  const p = partial.get(t.name)!;
  console.log(`${t.name.padEnd(10)} restored tree ${p.restoredOk ? 'identical' : 'DIFFERS'}`);
  rows.set(t.name, p as Row);
}

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
  `${cpu}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${os.release()}, ${fsType} in ${os.tmpdir()}`,
);
for (const t of selected) console.log(`- ${t.version}`);
console.log(
  `dataset: ${ds.files.length} files, ${(ds.bytes / MiB).toFixed(0)} MiB; ${changed} files changed for the third run`,
);

const figures: [string, (r: Row) => number, (v: number) => string][] = [
  ['initial backup (s)', (r) => r.initial.seconds, (v) => v.toFixed(2)],
  ['unchanged re-run (s)', (r) => r.unchanged.seconds, (v) => v.toFixed(2)],
  ['1% changed re-run (s)', (r) => r.changed.seconds, (v) => v.toFixed(2)],
  ['full restore (s)', (r) => r.restore.seconds, (v) => v.toFixed(2)],
  ['repository size (MiB)', (r) => r.repoBytes / MiB, (v) => v.toFixed(1)],
  [
    'peak memory, backup (MiB)',
    (r) => Math.max(r.initial.maxRssMiB, r.unchanged.maxRssMiB, r.changed.maxRssMiB),
    (v) => v.toFixed(0),
  ],
  ['peak memory, restore (MiB)', (r) => r.restore.maxRssMiB, (v) => v.toFixed(0)],
];
const names = selected.map((t) => t.name);
console.log(`\n| figure | ${names.join(' | ')} | strongroom / best peer |`);
console.log(`|---|${names.map(() => '---:').join('|')}|---:|`);
for (const [label, get, fmt] of figures) {
  const vals = names.map((n) => get(rows.get(n)!));
  const peers = names.map((n, i) => (n === 'strongroom' ? Infinity : vals[i]!));
  const best = Math.min(...peers);
  const sr = rows.has('strongroom') ? get(rows.get('strongroom')!) : NaN;
  const ratio =
    Number.isFinite(best) && Number.isFinite(sr)
      ? `${(sr / best).toFixed(Math.abs(sr / best - 1) < 0.01 ? 3 : 2)}${sr < best ? ' (ahead)' : sr > best ? ' (behind)' : ''}`
      : '-';
  console.log(`| ${label} | ${vals.map(fmt).join(' | ')} | ${ratio} |`);
}
console.log(
  `| restore identical to source | ${names.map((n) => (rows.get(n)!.restoredOk ? 'yes' : 'NO')).join(' | ')} | |`,
);
if (!keep) fs.rmSync(base, { recursive: true, force: true });
else console.log(`kept ${base}`);
