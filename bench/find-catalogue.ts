/**
 * The file catalogue's figures for issue 9, on bench/find-history.ts's history (100 snapshots of a
 * tree of 100,000 paths, 1 % of the files changing between two): run by `npm run bench -- find` after
 * its own figures (the `catalogueFigures` hook), or alone:
 *
 *   npx tsx bench/find-catalogue.ts [--dir DIR] [--snapshots N] [--paths N] [--change F] [--runs N]
 *
 * (alone, it reuses the history in DIR whatever its parameters, or builds one without restic).
 *
 * - size on disk of the catalogue (the SQLite file after a checkpoint) against one flat listing per
 *   snapshot: a text line per path per snapshot with the fields the catalogue keeps (path, type, size,
 *   mtime, 64-hex content key), summed exactly from the catalogue's spans;
 * - time to catalogue one new snapshot: the writer's append (walk + SQLite writes, repository open),
 *   each of snapshots 2..N timed, median and max; and once, the whole catalogue job through the real
 *   job process (fork, scrypt, snapshot list, index, append) for the last snapshot;
 * - main's queries through the CatalogueReader main's catalogue worker thread uses: search for a
 *   substring of a name across all snapshots, a wildcard, a wildcard with no run of 3 plain
 *   characters (nothing for the trigram index: the case that reads paths in order), a path
 *   fragment, versions of one file, diff of two neighbouring snapshots and of the first and the
 *   last, each run many times with p50 and p99; and versions once more through the worker thread
 *   itself (CatalogueWorkerThread: the round trip main pays).
 * Targets (issue 9): size < 10 % of the flat listings, < 1 s per new snapshot, search p99 < 100 ms,
 * versions p99 < 20 ms.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CatalogueWorkerThread } from '../src-main/catalogue/catalogue-worker-thread';
import { ForkedEngineRunner } from '../src-main/adapters/forked-engine-runner';
import { CatalogueWriter, byTime, lineageOf } from '../src-main/catalogue/catalogue-writer';
import { createCatalogue } from '../src-main/catalogue/catalogue-file';
import { CatalogueReader } from '../src-main/catalogue/catalogue-reader';
import { compileSearchPattern } from '../src-main/catalogue/search-pattern';
import { LocalFolderStorage, Repository } from '../src-engine/index';
import {
  buildFindHistory,
  filePath,
  historyLayout,
  type FindHistory,
  type FindHistoryParams,
} from './find-history';

export interface Figure {
  figure: string;
  value: string;
  target?: string;
}

const MiB = 1024 * 1024;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function timeMs(fn: () => unknown): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const ms = (v: number) => `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`;

export async function catalogueFigures(history: FindHistory, opts: { runs: number }): Promise<Figure[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-catalogue-bench-'));
  const file = path.join(work, 'catalogue-bench-vault.sqlite');
  const figures: Figure[] = [];
  try {
    const repo = await Repository.open(new LocalFolderStorage(history.strongroomRepo), history.password);
    await repo.loadIndex({ recover: false });
    const snaps = (await repo.listSnapshots()).sort(byTime);
    const db = createCatalogue(file, repo.config.id);
    const writer = new CatalogueWriter(db);
    const { key, itemId } = lineageOf(snaps[0]!);
    const lineage = writer.lineage(key, itemId);

    // All but the last with the writer, each timed; the last through the real job process.
    const appendMs: number[] = [];
    const walkMs: number[] = [];
    let firstMs = 0;
    for (const [i, snap] of snaps.slice(0, -1).entries()) {
      const timing = { walkNs: 0n };
      const t = process.hrtime.bigint();
      await writer.append(repo, lineage, snap, { timing });
      const took = Number(process.hrtime.bigint() - t) / 1e6;
      if (i === 0) firstMs = took;
      else {
        appendMs.push(took);
        walkMs.push(Number(timing.walkNs) / 1e6);
      }
      if ((i + 1) % 10 === 0) console.log(`  catalogued ${i + 1}/${snaps.length}`);
    }
    writer.setUpdatedAt(new Date().toISOString());
    db.close();
    const t = process.hrtime.bigint();
    const job = await new ForkedEngineRunner().run(
      {
        op: 'catalogue',
        repo: { kind: 'local', path: history.strongroomRepo },
        password: history.password,
        catalogueFile: file,
        rebuild: false,
      },
      { onProgress: () => undefined, onLog: () => undefined },
      new AbortController().signal,
    );
    const jobMs = Number(process.hrtime.bigint() - t) / 1e6;
    // One new snapshot, unless the history is still being built beside this run.
    const jobAdded = job.status === 'success' ? (job.value as { added: number }).added : 0;
    if (jobAdded < 1) {
      throw new Error(`the catalogue job did not add the last snapshot: ${job.message}`);
    }

    // Size: the file after a checkpoint, against the flat listings the spans stand for.
    const check = new Database(file);
    check.pragma('wal_checkpoint(TRUNCATE)');
    const rows = (table: string) =>
      (check.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const counts = { paths: rows('path'), spans: rows('span'), snapshots: rows('snapshot') };
    // One line per (path, snapshot): path \t type \t size \t mtime (ISO) \t key \n.
    const head = (check.prepare('SELECT max(pos) AS p FROM snapshot').get() as { p: number }).p;
    const flat = (
      check
        .prepare(
          `SELECT sum((length(CAST(p.full AS BLOB)) + 4 + length(CAST(coalesce(s.size, '') AS TEXT)) + 24 + 64 + 5)
                      * ((coalesce(s.last_pos, ?) - s.first_pos) + 1)) AS bytes
           FROM span s JOIN path p ON p.id = s.path`,
        )
        .get(head) as { bytes: number }
    ).bytes;
    check.close();
    const size =
      fs.statSync(file).size + (fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0);

    figures.push(
      {
        figure: `catalogue size on disk (${counts.snapshots} snapshots, ${counts.paths} distinct paths, ${counts.spans} spans)`,
        value: `${(size / MiB).toFixed(1)} MiB = ${((size / flat) * 100).toFixed(2)} % of the flat listings (${(flat / MiB).toFixed(0)} MiB)`,
        target: '< 10 %',
      },
      { figure: 'catalogue the first snapshot (every path new)', value: `${(firstMs / 1000).toFixed(2)} s` },
      {
        figure: `catalogue one new snapshot (writer: walk + writes), ${appendMs.length} snapshots`,
        value: `median ${ms(percentile(appendMs, 50))}, max ${ms(Math.max(...appendMs))}`,
        target: '< 1 s',
      },
      {
        figure: "of which the engine's walk (reading the changed trees)",
        value: `median ${ms(percentile(walkMs, 50))}, max ${ms(Math.max(...walkMs))}`,
      },
      {
        figure: `catalogue job for ${jobAdded === 1 ? 'one new snapshot' : `${jobAdded} new snapshots`}, end to end (fork, open with scrypt, list, append)`,
        value: `${(jobMs / 1000).toFixed(2)} s`,
      },
    );

    // How fast this machine is right now (it is shared): a fixed busy loop, to scale the figures by.
    const loop = timeMs(() => {
      let x = 0;
      for (let i = 0; i < 5e7; i++) x += i % 7;
      return x;
    });
    figures.push({
      figure: 'CPU reference: a 5e7-step busy loop (about 60 ms on an idle core)',
      value: ms(loop),
    });

    // Main's queries, through main's reader.
    const reader = new CatalogueReader(file);
    const layout = historyLayout(history.params.paths);
    const n = Math.max(50, opts.runs * 100);
    const pickFile = (i: number) => (i * 7919) % history.files;
    const snapshotPath = (f: number) => path.join(history.source, filePath(layout, f));
    const queries: [string, (i: number) => string][] = [
      // a substring of a file name, matching ~10 files each time
      [
        'search a name substring ("note-NNNN", ~10 matches)',
        (i) => `note-${String(pickFile(i)).padStart(layout.fileDigits, '0').slice(0, -1)}`,
      ],
      [
        'search a wildcard ("proj-NN*note-N?", limit 200)',
        (i) => `proj-${String(i % 100).padStart(2, '0')}*/note-${i % 10}?`,
      ],
      [
        'search a wildcard with no run of 3 plain characters ("*.t?t", "n?te*", "no", "?1", "e", "x?y")',
        (i) => ['*.t?t', 'n?te*', 'no', '?1', 'e', 'x?y'][i % 6]!,
      ],
      [
        'search a path fragment ("proj-NNNN/note")',
        (i) => `proj-${String((i * 31) % history.leafDirs).padStart(4, '0')}/note`,
      ],
    ];
    for (const [label, query] of queries) {
      let matches = 0;
      const samples = Array.from({ length: n }, (_, i) =>
        timeMs(() => {
          matches += reader.search(compileSearchPattern(query(i)), 200).hits.length;
        }),
      );
      figures.push({
        figure: `${label}, across all snapshots, ${n} runs`,
        value: `p50 ${ms(percentile(samples, 50))}, p99 ${ms(percentile(samples, 99))} (${(matches / n).toFixed(0)} matches on average)`,
        target: '< 100 ms (p99)',
      });
    }
    let versionsSeen = 0;
    const versionSamples = Array.from({ length: n }, (_, i) =>
      timeMs(() => {
        versionsSeen += reader.versions(itemId, snapshotPath(pickFile(i))).versions.length;
      }),
    );
    figures.push({
      figure: `versions of one file, ${n} runs`,
      value: `p50 ${ms(percentile(versionSamples, 50))}, p99 ${ms(percentile(versionSamples, 99))} (${(versionsSeen / n).toFixed(1)} versions on average)`,
      target: '< 20 ms (p99)',
    });
    const worker = new CatalogueWorkerThread();
    try {
      await worker.query(file, { op: 'info' }); // started, reader open
      const throughWorker: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = process.hrtime.bigint();
        await worker.query(file, { op: 'versions', itemId, path: snapshotPath(pickFile(i)) });
        throughWorker.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      figures.push({
        figure: `versions of one file through main's catalogue worker thread (round trip), ${n} runs`,
        value: `p50 ${ms(percentile(throughWorker, 50))}, p99 ${ms(percentile(throughWorker, 99))}`,
        target: '< 20 ms (p99)',
      });
    } finally {
      await worker.dispose();
    }
    const ids = snaps.map((s) => s.id);
    const diffRuns = Math.max(5, opts.runs * 5);
    const neighbour = Array.from({ length: diffRuns }, (_, i) => {
      const k = 1 + ((i * 13) % (ids.length - 1));
      return timeMs(() => reader.diff(ids[k - 1]!, ids[k]!, 1000));
    });
    let total = 0;
    const wide = Array.from({ length: diffRuns }, () =>
      timeMs(() => {
        const d = reader.diff(ids[0]!, ids.at(-1)!, 1000);
        total = d.totals.added + d.totals.removed + d.totals.modified;
      }),
    );
    figures.push(
      {
        figure: `diff of two neighbouring snapshots, ${diffRuns} runs`,
        value: `p50 ${ms(percentile(neighbour, 50))}, max ${ms(Math.max(...neighbour))}`,
      },
      {
        figure: `diff of the first and the last snapshot (${total} changes), ${diffRuns} runs`,
        value: `p50 ${ms(percentile(wide, 50))}, max ${ms(Math.max(...wide))}`,
      },
    );
    reader.close();
    return figures;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

// Alone: `npx tsx bench/find-catalogue.ts [--dir DIR] [--snapshots N] [--paths N] [--change F] [--runs N]`.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const given = opt('dir');
  const dir = given
    ? path.resolve(given)
    : fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-find-catalogue-'));
  const recorded = path.join(dir, 'history.json');
  const params: FindHistoryParams = fs.existsSync(recorded)
    ? (JSON.parse(fs.readFileSync(recorded, 'utf8')) as FindHistory).params
    : {
        snapshots: Number(opt('snapshots') ?? 100),
        paths: Number(opt('paths') ?? 100_000),
        changeRatio: Number(opt('change') ?? 0.01),
        restic: false,
      };
  fs.mkdirSync(dir, { recursive: true });
  console.log(`history: ${params.snapshots} snapshots of ${params.paths} paths in ${dir}`);
  const history = await buildFindHistory(dir, params, (done, total) => {
    if (done % 10 === 0 || done === total) console.log(`  backed up ${done}/${total}`);
  });
  const figures = await catalogueFigures(history, { runs: Number(opt('runs') ?? 3) });
  console.log(
    `\n### catalogue (${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version})\n`,
  );
  console.log('| figure | value | target |\n|---|---:|---|');
  for (const f of figures) console.log(`| ${f.figure} | ${f.value} | ${f.target ?? ''} |`);
  if (!given) fs.rmSync(dir, { recursive: true, force: true });
}
