/**
 * The catalogue worker thread (src-main/catalogue-worker, driven by CatalogueWorkerThread) on a real
 * catalogue written by the real job process from real backups: it answers exactly as the in-process
 * CatalogueReader does, its errors keep their kind, a query holding the worker does not hold main's
 * event loop, and a worker that dies fails its pending queries and is replaced by the next query.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CatalogueWorkerThread } from '../../src-main/catalogue/catalogue-worker-thread';
import { ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import { CatalogueUnusableError } from '../../src-main/catalogue/catalogue-file';
import { CatalogueReader } from '../../src-main/catalogue/catalogue-reader';
import { compileSearchPattern } from '../../src-main/catalogue/search-pattern';
import { ServiceError } from '../../src-main/services/service-error';
import { backup, type Repository } from '../../src-engine/index';
import { answerQuery, type CatalogueQuery } from '../../src-main/catalogue/worker-protocol';
import { newRepo, PASSWORD, tempDir, writeFile } from '../engine/helpers';
import { RunRecorder } from './job-process-helpers';

const ITEM = 'item-worker-1';
let tmp: string;
let src: string;
let file: string;
const snaps: string[] = [];

beforeAll(async () => {
  tmp = await tempDir('catalogue-worker');
  src = path.join(tmp, 'src');
  const repoDir = path.join(tmp, 'vault');
  file = path.join(tmp, 'app', 'catalogue-worker-vault.sqlite');
  fs.mkdirSync(path.dirname(file));
  const repo: Repository = await newRepo(repoDir);
  const snapshot = async () =>
    snaps.push(
      (await backup(repo, { paths: [src], tags: [`item:${ITEM}`], host: 'h', workers: 1 })).snapshotId,
    );
  writeFile(path.join(src, 'docs', 'a.txt'), 'one');
  writeFile(path.join(src, 'docs', 'Report.TXT'), 'report');
  writeFile(path.join(src, 'notes.txt'), 'notes');
  writeFile(path.join(src, 'Été.txt'), 'summer');
  await snapshot();
  writeFile(path.join(src, 'docs', 'a.txt'), 'two (longer)');
  fs.rmSync(path.join(src, 'notes.txt'));
  await snapshot();
  writeFile(path.join(src, 'docs', 'a.txt'), 'one');
  writeFile(path.join(src, 'notes.txt'), 'notes');
  writeFile(path.join(src, 'new.txt'), 'new');
  await snapshot();
  const outcome = await new ForkedEngineRunner().run(
    {
      op: 'catalogue',
      repo: { kind: 'local', path: repoDir },
      password: PASSWORD,
      catalogueFile: file,
      rebuild: false,
    },
    new RunRecorder(),
    new AbortController().signal,
  );
  expect(outcome).toMatchObject({ status: 'success', value: { added: 3 } });
}, 120_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 10 });
});

/** The same question asked of the in-process reader. */
function inProcess(query: CatalogueQuery): unknown {
  const reader = new CatalogueReader(file);
  try {
    return answerQuery(reader, query);
  } finally {
    reader.close();
  }
}

/** An Int32Array gate (see CatalogueWorkerData): [0] 1 = open; [1] = queries waiting at it. */
function newGate(open: boolean) {
  const gate = new SharedArrayBuffer(8);
  const cells = new Int32Array(gate);
  cells[0] = open ? 1 : 0;
  return {
    gate,
    waiting: () => Atomics.load(cells, 1),
    open: () => {
      Atomics.store(cells, 0, 1);
      Atomics.notify(cells, 0);
    },
  };
}

describe('the catalogue worker thread', { timeout: 60_000 }, () => {
  it('answers search, versions, what changed and info exactly as the in-process reader', async () => {
    const worker = new CatalogueWorkerThread();
    try {
      const queries: CatalogueQuery[] = [
        { op: 'search', pattern: compileSearchPattern('*'), limit: 100 },
        { op: 'search', pattern: compileSearchPattern('txt'), limit: 2 },
        { op: 'search', pattern: compileSearchPattern('docs/*.txt'), limit: 100 },
        { op: 'search', pattern: compileSearchPattern('été'), limit: 100 },
        { op: 'versions', itemId: ITEM, path: `${src}/docs/a.txt` },
        { op: 'versions', itemId: ITEM, path: `${src}/notes.txt` },
        { op: 'versions', itemId: ITEM, path: `${src}/docs` },
        { op: 'diff', fromSnapshotId: snaps[0]!, toSnapshotId: snaps[2]!, limit: 1000 },
        { op: 'diff', fromSnapshotId: snaps[2]!.slice(0, 12), toSnapshotId: snaps[1]!, limit: 1 },
        { op: 'info' },
      ];
      for (const query of queries) {
        const expected = inProcess(query);
        expect(await worker.query(file, query)).toEqual(expected);
      }
      // Not vacuous: the answers hold what the history made.
      const a = (await worker.query(file, queries[4] as CatalogueQuery & { op: 'versions' })).versions;
      expect(a.map((v) => [v.size, v.backupCount])).toEqual([
        [3, 2],
        [12, 1],
      ]);
    } finally {
      await worker.dispose();
    }
  });

  it('keeps the kind of each error: missing, damaged, a person’s mistake; never answers from a deleted file', async () => {
    const worker = new CatalogueWorkerThread();
    const copy = path.join(tmp, 'app', 'catalogue-copy-vault.sqlite');
    const garbage = path.join(tmp, 'app', 'catalogue-garbage-vault.sqlite');
    try {
      const missing = await worker
        .query(path.join(tmp, 'app', 'nothing.sqlite'), { op: 'info' })
        .catch((e) => e);
      expect(missing).toBeInstanceOf(CatalogueUnusableError);
      expect(missing).toMatchObject({ reason: 'missing' });

      fs.writeFileSync(garbage, Buffer.alloc(4096, 0xa5));
      const damaged = await worker.query(garbage, { op: 'info' }).catch((e) => e);
      expect(damaged).toBeInstanceOf(CatalogueUnusableError);
      expect(damaged).toMatchObject({ reason: 'damaged' });

      const unknown = await worker
        .query(file, { op: 'diff', fromSnapshotId: 'deadbeef', toSnapshotId: snaps[1]!, limit: 10 })
        .catch((e) => e);
      expect(unknown).toBeInstanceOf(ServiceError);
      expect(unknown).toMatchObject({ code: 'not_found' });

      // An open reader on a file deleted from under it is never answered from.
      fs.copyFileSync(file, copy);
      expect(await worker.query(copy, { op: 'info' })).toMatchObject({ snapshots: 3 });
      fs.rmSync(copy);
      expect(await worker.query(copy, { op: 'info' }).catch((e) => e)).toMatchObject({ reason: 'missing' });
    } finally {
      await worker.dispose();
    }
  });

  it('keeps main’s event loop turning while a query holds the worker', async () => {
    const gate = newGate(false);
    const worker = new CatalogueWorkerThread({ gate: gate.gate });
    try {
      let settled = false;
      const diff = worker
        .query(file, { op: 'diff', fromSnapshotId: snaps[0]!, toSnapshotId: snaps[2]!, limit: 1000 })
        .finally(() => {
          settled = true;
        });
      // The worker's thread is blocked inside the query...
      await vi.waitFor(() => expect(gate.waiting()).toBe(1), { timeout: 30_000, interval: 10 });
      // ...while main's loop runs timers, I/O and immediates.
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(fs.readdirSync(path.dirname(file))).toContain(path.basename(file));
      await new Promise((resolve) => setImmediate(resolve));
      expect(settled).toBe(false);
      gate.open();
      expect(await diff).toEqual(
        inProcess({ op: 'diff', fromSnapshotId: snaps[0]!, toSnapshotId: snaps[2]!, limit: 1000 }),
      );
    } finally {
      await worker.dispose();
    }
  });

  it('fails the queries a dead worker held, and answers the next one from a new worker', async () => {
    const gate = newGate(false);
    const started: Worker[] = [];
    const worker = new CatalogueWorkerThread({ gate: gate.gate, onSpawn: (w) => started.push(w) });
    try {
      const held = [
        worker.query(file, { op: 'info' }).catch((e) => e),
        worker.query(file, { op: 'search', pattern: compileSearchPattern('a'), limit: 10 }).catch((e) => e),
      ];
      await vi.waitFor(() => expect(gate.waiting()).toBe(1), { timeout: 30_000, interval: 10 });
      await started[0]!.terminate();
      for (const error of await Promise.all(held)) {
        expect(error).toBeInstanceOf(ServiceError);
        expect(error).toMatchObject({
          code: 'internal',
          message: expect.stringMatching(/stopped before answering/),
        });
      }
      gate.open();
      expect(await worker.query(file, { op: 'info' })).toMatchObject({ snapshots: 3 });
      expect(started).toHaveLength(2);
    } finally {
      await worker.dispose();
    }
  });

  it('fails what is pending when disposed, and answers nothing after', async () => {
    const gate = newGate(false);
    const worker = new CatalogueWorkerThread({ gate: gate.gate });
    const pending = worker.query(file, { op: 'info' }).catch((e) => e);
    await vi.waitFor(() => expect(gate.waiting()).toBe(1), { timeout: 30_000, interval: 10 });
    await worker.dispose();
    expect(await pending).toMatchObject({ code: 'internal' });
    expect(await worker.query(file, { op: 'info' }).catch((e) => e)).toMatchObject({ code: 'internal' });
  });
});

describe('the reader’s search plans', { timeout: 60_000 }, () => {
  it('answers the same searches, in the same order, when paths are indexed by full path', () => {
    // A search without a trigram walks path_full in order (to stop at its limit) where it exists;
    // the same catalogue with and without that index.
    const copy = (name: string, sql: string) => {
      const to = path.join(tmp, 'app', `catalogue-${name}-vault.sqlite`);
      fs.copyFileSync(file, to);
      const db = new Database(to);
      db.exec(sql);
      db.close();
      return to;
    };
    const indexed = copy('indexed', 'CREATE INDEX IF NOT EXISTS path_full ON path (full)');
    const unindexed = copy('unindexed', 'DROP INDEX IF EXISTS path_full');
    const plain = new CatalogueReader(unindexed);
    const withIndex = new CatalogueReader(indexed);
    try {
      for (const query of ['*', 'e', 'no', '*.t?t', 'x?y', 'a*b', '?', 'été', 'S/?', 'docs/', 'report']) {
        for (const limit of [1, 2, 100]) {
          const expected = plain.search(compileSearchPattern(query), limit);
          expect(withIndex.search(compileSearchPattern(query), limit)).toEqual(expected);
        }
      }
      expect(plain.search(compileSearchPattern('*.t?t'), 100).hits.map((h) => h.path)).toEqual(
        ['docs/Report.TXT', 'docs/a.txt', 'new.txt', 'notes.txt', 'Été.txt'].map((rel) => `${src}/${rel}`),
      );
    } finally {
      plain.close();
      withIndex.close();
    }
  });
});
