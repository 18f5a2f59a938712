/**
 * `npm run bench -- find [--snapshots N] [--paths N] [--change F] [--runs N] [--dir DIR] [--keep]`
 *
 * Issue 9's history (bench/find-history.ts): `--snapshots` (100) snapshots of a tree of `--paths`
 * (100,000) paths where `--change` (0.01) of the files change between two snapshots, backed up by the
 * engine and by Debian's restic into repositories of their own. Then, each command `--runs` (3) times,
 * the tools taking turns, best time kept, time and peak memory from `/usr/bin/time -v` around the whole
 * process:
 * - `strongroom-backup find` against `restic find -i` for a substring of a name and for a path fragment
 *   (the same matches: the bench checks that both count the same hits over all snapshots);
 * - `strongroom-backup diff` against `restic diff` for two neighbouring snapshots and for the first and
 *   the last (the same number of added, removed and modified lines).
 * Target (issue 9): find faster than restic find.
 *
 * `--dir DIR` builds the history there, or reuses the one already there with the same parameters (and
 * keeps it); building the full size takes a good half hour on a 2-core machine. `--snapshots 5 --paths 2000`
 * runs in a minute or two.
 *
 * Hook for the catalogue's figures: when bench/find-catalogue.ts exists, its export
 * `catalogueFigures(history: FindHistory, opts: { runs: number }): Promise<{ figure: string; value: string;
 * target?: string }[]>` runs on the same history after these figures and its rows are printed in a table
 * of their own.
 */
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFindHistory, filePath, historyLayout, type FindHistory } from './find-history';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const num = (name: string, dflt: number): number => {
  const v = Number(opt(name) ?? dflt);
  if (!(v > 0)) throw new Error(`--${name} must be a positive number, not ${opt(name)}`);
  return v;
};
const params = {
  snapshots: Math.max(2, Math.round(num('snapshots', 100))),
  paths: Math.max(200, Math.round(num('paths', 100_000))),
  changeRatio: num('change', 0.01),
};
const runs = Math.max(1, Math.round(num('runs', 3)));
const given = opt('dir');
const dir = given ? path.resolve(given) : fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-find-bench-'));
const keep = args.includes('--keep') || given !== undefined;
const CLI = fileURLToPath(new URL('../bin/strongroom-backup.js', import.meta.url));
const MiB = 1024 * 1024;

if (spawnSync('sh', ['-c', 'command -v restic']).status !== 0) {
  console.error("restic is missing: install Debian's package (apt-get install restic) and run again");
  process.exit(1);
}

// ---------- the history ----------
fs.mkdirSync(dir, { recursive: true });
console.log(
  `history: ${params.snapshots} snapshots of ${params.paths} paths, ${params.changeRatio * 100}% of files changing per step, in ${dir}`,
);
const started = Date.now();
const history = await buildFindHistory(dir, params, (done, total) => {
  if (done === 1 || done % 10 === 0 || done === total)
    console.log(`  backed up ${done}/${total} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
});
const env = { ...process.env, STRONGROOM_PASSWORD: history.password, RESTIC_PASSWORD: history.password };

// ---------- measuring ----------
interface Measure {
  seconds: number;
  maxRssMiB: number;
  stdout: string;
}

function measure(label: string, cmd: string, argv: string[], okCodes = [0]): Measure {
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...argv], { env, encoding: 'utf8', maxBuffer: 512 * MiB });
  const err = r.stderr ?? '';
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(err);
  if (!okCodes.includes(r.status ?? -1) || !rss || !wall)
    throw new Error(`${label} failed (exit ${r.status}):\n${err.slice(-3000)}`);
  const seconds = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
  return { seconds, maxRssMiB: Number(rss[1]) / 1024, stdout: r.stdout ?? '' };
}

interface Step {
  label: string;
  strongroom: () => Measure;
  restic: () => Measure;
  /** What each tool's output counts (matches, changes), to show they answered the same question. */
  count: { strongroom: (out: string) => number; restic: (out: string) => number };
  countLabel: string;
}

const sr =
  (...a: string[]) =>
  () =>
    measure(`strongroom-backup ${a[0]}`, process.execPath, [
      CLI,
      '-r',
      history.strongroomRepo,
      '--quiet',
      ...a,
    ]);
const rs =
  (...a: string[]) =>
  () =>
    measure(`restic ${a[0]}`, 'restic', ['-r', history.resticRepo!, ...a]);

const srFindHits = (out: string): number =>
  (JSON.parse(out) as { matches: { versions: { snapshots: unknown[] }[] }[] }).matches.reduce(
    (n, m) => n + m.versions.reduce((k, v) => k + v.snapshots.length, 0),
    0,
  );
const resticFindHits = (out: string): number =>
  (JSON.parse(out) as { hits: number }[]).reduce((n, s) => n + s.hits, 0);
/** Lines of added, removed and modified entries (metadata-only changes are not listed by either). */
const diffLines = (out: string): number => out.split('\n').filter((l) => /^[-+MT] {4}\//.test(l)).length;

// Patterns from the layout: a stem shared by ten file names, and one folder's files starting with a stem.
const layout = historyLayout(params.paths);
const probe = Math.floor(layout.files * 0.37);
const probeName = path.basename(filePath(layout, probe), '.txt');
const nameStem = probeName.slice(0, -1); // note-3662 → note-36620 … note-36629
const probeDir = path.basename(path.dirname(filePath(layout, probe)));
const fragment = `${probeDir}/${probeName.slice(0, -2)}`; // proj-0366/note-366 → up to 100 files
const snaps = history.strongroomSnapshots;
const rsnaps = history.resticSnapshots;
const mid = Math.floor(snaps.length / 2);

const steps: Step[] = [
  {
    label: `find, substring of a name ("${nameStem}")`,
    strongroom: sr('find', nameStem, '--json'),
    restic: rs('find', '-i', '--json', `*${nameStem}*`),
    count: { strongroom: srFindHits, restic: resticFindHits },
    countLabel: 'hits over all snapshots',
  },
  {
    label: `find, path fragment ("${fragment}")`,
    strongroom: sr('find', fragment, '--json'),
    restic: rs('find', '-i', '--json', `${fragment}*`),
    count: { strongroom: srFindHits, restic: resticFindHits },
    countLabel: 'hits over all snapshots',
  },
  {
    label: `diff, neighbouring snapshots (${mid} → ${mid + 1})`,
    strongroom: sr('diff', snaps[mid - 1]!, snaps[mid]!),
    restic: rs('diff', rsnaps[mid - 1]!, rsnaps[mid]!),
    count: { strongroom: diffLines, restic: diffLines },
    countLabel: 'changed paths listed',
  },
  {
    label: `diff, first → last (1 → ${snaps.length})`,
    strongroom: sr('diff', snaps[0]!, snaps[snaps.length - 1]!),
    restic: rs('diff', rsnaps[0]!, rsnaps[rsnaps.length - 1]!),
    count: { strongroom: diffLines, restic: diffLines },
    countLabel: 'changed paths listed',
  },
];

interface Row {
  step: Step;
  best: { strongroom: Measure; restic: Measure };
  counts: { strongroom: number; restic: number };
}
const rows: Row[] = [];
for (const step of steps) {
  let best: Row['best'] | undefined;
  for (let i = 0; i < runs; i++) {
    spawnSync('sync');
    const a = step.strongroom();
    const b = step.restic();
    best = best
      ? {
          strongroom: a.seconds < best.strongroom.seconds ? a : best.strongroom,
          restic: b.seconds < best.restic.seconds ? b : best.restic,
        }
      : { strongroom: a, restic: b };
  }
  const counts = {
    strongroom: step.count.strongroom(best!.strongroom.stdout),
    restic: step.count.restic(best!.restic.stdout),
  };
  rows.push({ step, best: best!, counts });
  console.log(
    `${step.label}: strongroom ${best!.strongroom.seconds.toFixed(2)} s, restic ${best!.restic.seconds.toFixed(2)} s`,
  );
}

// ---------- report ----------
const cpu =
  (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? os.cpus()[0]?.model;
const fsType = (() => {
  try {
    return execFileSync('df', ['-T', dir], { encoding: 'utf8' }).trim().split('\n')[1]!.split(/\s+/)[1];
  } catch {
    return 'unknown';
  }
})();
const du = (p: string) => Number(execFileSync('du', ['-sb', p], { encoding: 'utf8' }).split('\t')[0]) / MiB;
console.log('\n## machine');
console.log(
  `${cpu}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${os.release()}, ${fsType} in ${path.dirname(dir)}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(
  `- strongroom ${JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version} (node ${process.version})`,
);
console.log(`- ${execFileSync('restic', ['version'], { encoding: 'utf8' }).trim()}`);
console.log(
  `history: ${snaps.length} snapshots each; ${history.files} files in ${history.leafDirs} folders; repositories ${du(history.strongroomRepo).toFixed(1)} MiB (strongroom), ${du(history.resticRepo!).toFixed(1)} MiB (restic); backing it up took ${history.buildSeconds.strongroom.toFixed(0)} s (strongroom, in process) and ${history.buildSeconds.restic.toFixed(0)} s (restic)`,
);
console.log(`runs per step: ${runs} (best time kept)\n`);
console.log(
  '| step | strongroom time (s) | restic time (s) | strongroom / restic | strongroom peak (MiB) | restic peak (MiB) | same answer |',
);
console.log('|---|---:|---:|---:|---:|---:|---|');
for (const r of rows) {
  const ratio = r.best.strongroom.seconds / r.best.restic.seconds;
  const same =
    r.counts.strongroom === r.counts.restic
      ? `yes (${r.counts.strongroom} ${r.step.countLabel})`
      : `NO: ${r.counts.strongroom} vs ${r.counts.restic} ${r.step.countLabel}`;
  console.log(
    `| ${r.step.label} | ${r.best.strongroom.seconds.toFixed(2)} | ${r.best.restic.seconds.toFixed(2)} | ${ratio.toFixed(2)}${ratio < 1 ? ' (faster)' : ' (slower)'} | ${r.best.strongroom.maxRssMiB.toFixed(0)} | ${r.best.restic.maxRssMiB.toFixed(0)} | ${same} |`,
  );
}
const findRows = rows.filter((r) => r.step.label.startsWith('find'));
const met = findRows.every((r) => r.best.strongroom.seconds < r.best.restic.seconds);
console.log(`\ntarget: find faster than restic find: ${met ? 'met' : 'NOT met'}`);

// ---------- the catalogue's figures (bench/find-catalogue.ts, when present) ----------
const catalogueBench = new URL('./find-catalogue.ts', import.meta.url);
if (fs.existsSync(fileURLToPath(catalogueBench))) {
  const { catalogueFigures } = (await import(catalogueBench.href)) as {
    catalogueFigures: (
      h: FindHistory,
      o: { runs: number },
    ) => Promise<{ figure: string; value: string; target?: string }[]>;
  };
  const figures = await catalogueFigures(history, { runs });
  console.log('\n### catalogue\n\n| figure | value | target |\n|---|---:|---|');
  for (const f of figures) console.log(`| ${f.figure} | ${f.value} | ${f.target ?? ''} |`);
}

if (!keep) fs.rmSync(dir, { recursive: true, force: true });
else console.log(`\nkept ${dir}`);
