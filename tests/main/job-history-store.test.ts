/** The job history against a real SQLite file: order, filters, bounds, and what a crash leaves. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import type { JobRecord } from '../../src-shared/backup-jobs';
import {
  CRASHED_MESSAGE,
  JobHistoryStore,
  LOG_LINES_PER_JOB,
  MAX_JOBS,
  NEVER_STARTED_MESSAGE,
} from '../../src-main/services/backup/job-history-store';

let dir: string;
let file: string;
let store: JobHistoryStore;
let seq = 0;

function job(extra: Partial<JobRecord> = {}): JobRecord {
  seq++;
  return {
    id: `job-${String(seq).padStart(6, '0')}`,
    kind: 'backup',
    itemId: 'item-000001',
    vaultId: 'vault-000001',
    itemName: 'Documents',
    vaultName: 'USB',
    trigger: 'manual',
    status: 'success',
    queuedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
    startedAt: null,
    endedAt: new Date(Date.UTC(2026, 0, 1, 0, 1, seq)).toISOString(),
    message: null,
    snapshotId: null,
    filesTotal: 0,
    filesDone: 0,
    filesFailed: 0,
    bytesTotal: 0,
    bytesDone: 0,
    bytesAdded: 0,
    filesNew: null,
    filesChanged: null,
    filesUnmodified: null,
    phases: [],
    restored: null,
    ...extra,
  };
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-history-'));
  file = path.join(dir, 'jobs.sqlite');
  store = new JobHistoryStore(file);
});
afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('JobHistoryStore', () => {
  it('keeps jobs across reopening, newest first, with filters and paging', () => {
    const a = job({ status: 'failed' });
    const b = job({ itemId: 'item-000002' });
    const c = job({ kind: 'restore' });
    [a, b, c].forEach((j) => store.insert(j));
    store.close();
    store = new JobHistoryStore(file);
    expect(store.list().map((j) => j.id)).toEqual([c.id, b.id, a.id]);
    expect(store.list({ itemId: 'item-000001' }).map((j) => j.id)).toEqual([c.id, a.id]);
    expect(store.list({ status: 'failed' })).toEqual([a]);
    expect(store.list({ kind: 'restore' })).toEqual([c]);
    expect(store.list({ beforeJobId: c.id, limit: 1 }).map((j) => j.id)).toEqual([b.id]);
  });

  it("keeps a backup's counts and phases; a history file from before them opens, its rows read as not known", () => {
    const b = job({ filesNew: 3, filesChanged: 1, filesUnmodified: 9 });
    store.insert(b);
    const phases: JobRecord['phases'] = [
      { phase: 'retention', status: 'success', message: 'Retention: nothing to remove; 2 backups kept.' },
      { phase: 'catalogue', status: 'failed', message: 'The search index update failed: disk full.' },
    ];
    store.update(b.id, { phases });
    expect(store.get(b.id)).toMatchObject({ filesNew: 3, filesChanged: 1, filesUnmodified: 9, phases });

    // The table as the first version made it, with one row in it.
    store.close();
    const old = path.join(dir, 'old.sqlite');
    const db = new Database(old);
    const cols = (db0: Database.Database) =>
      (db0.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).map((c) => c.name);
    const current = new Database(file);
    const firstColumns = cols(current).filter(
      (c) => !['files_new', 'files_changed', 'files_unmodified', 'phases', 'restored'].includes(c),
    );
    current.close();
    db.exec(
      `CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, ${firstColumns
        .filter((c) => c !== 'seq')
        .map((c) => `${c} ${c === 'id' ? 'TEXT NOT NULL UNIQUE' : ''}`)
        .join(', ')})`,
    );
    db.prepare(
      `INSERT INTO jobs (id, kind, vault_id, vault_name, trigger, status, queued_at, files_total, files_done,
       files_failed, bytes_total, bytes_done, bytes_added, log_lines, log_dropped)
       VALUES ('job-old001', 'backup', 'vault-000001', 'USB', 'manual', 'success', '2025-01-01T00:00:00.000Z',
       2, 2, 0, 10, 10, 5, 0, 0)`,
    ).run();
    db.close();
    store = new JobHistoryStore(old);
    expect(store.get('job-old001')).toMatchObject({
      filesDone: 2,
      filesNew: null,
      filesChanged: null,
      filesUnmodified: null,
      phases: [],
      restored: null,
    });
  });

  it('keeps where a restore put the files and what it restored under new names', () => {
    const r = job({ kind: 'restore' });
    store.insert(r);
    expect(store.get(r.id)?.restored).toBeNull();
    const restored = {
      target: '/',
      keptBoth: [{ path: '/home/me/a.txt', restoredAs: '/home/me/a (restored).txt' }],
      keptBothCount: 7,
    };
    store.update(r.id, { restored });
    store.close();
    store = new JobHistoryStore(file);
    expect(store.get(r.id)?.restored).toEqual(restored);
  });

  it('updates a job and answers the last ended backup and success of an item', () => {
    const ok = job();
    const running = job({ status: 'running', endedAt: null });
    store.insert(ok);
    store.insert(running);
    expect(store.lastEnded('item-000001', 'backup')?.id).toBe(ok.id);
    store.update(running.id, { status: 'failed', message: 'disk full', endedAt: '2026-01-02T00:00:00.000Z' });
    expect(store.get(running.id)).toMatchObject({ status: 'failed', message: 'disk full' });
    expect(store.lastEnded('item-000001', 'backup')?.id).toBe(running.id);
    expect(store.lastSuccessAt('item-000001')).toBe(ok.endedAt);
  });

  it('marks jobs a crash left running as Failed, and waiting ones as Skipped, when it opens', () => {
    const running = job({ status: 'running', endedAt: null });
    const waiting = job({ status: 'waiting', endedAt: null });
    store.insert(running);
    store.insert(waiting);
    store.close(); // the app died here
    store = new JobHistoryStore(file, () => Date.UTC(2026, 1, 1));
    expect(store.get(running.id)).toMatchObject({ status: 'failed', message: CRASHED_MESSAGE });
    expect(store.get(running.id)?.endedAt).toBe('2026-02-01T00:00:00.000Z');
    expect(store.get(waiting.id)).toMatchObject({ status: 'skipped', message: NEVER_STARTED_MESSAGE });
  });

  it('caps a job log and ends it with "… N more lines"', () => {
    const j = job();
    store.insert(j);
    for (let i = 0; i < LOG_LINES_PER_JOB + 5; i++) {
      store.appendLog(j.id, { level: 'warning', path: `/data/f${i}`, message: 'permission denied' });
    }
    const log = store.log(j.id);
    expect(log).toHaveLength(LOG_LINES_PER_JOB + 1);
    expect(log[0]).toMatchObject({ path: '/data/f0', message: 'permission denied', level: 'warning' });
    expect(log.at(-1)!.message).toBe('… 5 more lines (not kept)');
  });

  it('keeps at most MAX_JOBS jobs, dropping the oldest with their logs', () => {
    const first = job();
    store.insert(first);
    store.appendLog(first.id, { level: 'info', path: null, message: 'hello' });
    for (let i = 0; i < MAX_JOBS; i++) store.insert(job());
    expect(store.get(first.id)).toBeNull();
    expect(store.log(first.id)).toEqual([]);
    expect(store.list({ limit: 500 })).toHaveLength(500);
    const db = new Database(file, { readonly: true });
    expect((db.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n).toBe(MAX_JOBS);
    expect((db.prepare('SELECT count(*) AS n FROM job_log').get() as { n: number }).n).toBe(0);
    db.close();
  });

  it('remembers the last scheduled slot per item', () => {
    expect(store.lastSlot('item-000001')).toBeNull();
    store.setLastSlot('item-000001', 1000);
    store.setLastSlot('item-000001', 2000);
    expect(store.lastSlot('item-000001')).toBe(2000);
    store.forgetSchedule('item-000001');
    expect(store.lastSlot('item-000001')).toBeNull();
  });

  it('uses WAL', () => {
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });
});
