/**
 * Job history and logs in one SQLite file in the app's data directory (<dataDir>/jobs.sqlite), so
 * "did my backup run?" always has an answer, across restarts and crashes. WAL with
 * synchronous=NORMAL: every committed write survives a crash of the app (what matters here); a
 * power cut may lose the last moments, never corrupt the file. FULL cost ~8 ms per log line on
 * the main thread, which a backup with many unreadable files cannot afford.
 *
 * Bounded: the newest MAX_JOBS jobs are kept (older ones go with their logs), and each job keeps
 * at most LOG_LINES_PER_JOB log lines, then one "… N more lines" entry. A job left 'running' or
 * 'waiting' by a crash is ended when the store opens, saying so.
 *
 * The scheduler's memory lives here too (the last scheduled slot handled per item), so a restart,
 * a sleep or a clock jump neither skips nor doubles a run.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { backupPhase, keptBothEntry, restoreSpace, type BackupPhase } from '../../../src-shared/job-protocol';
import type {
  JobKind,
  JobLogEntry,
  JobLogLevel,
  JobRecord,
  JobStatus,
  JobTrigger,
  RestoredFiles,
} from '../../../src-shared/backup-jobs';

export const MAX_JOBS = 2000;
export const LOG_LINES_PER_JOB = 1000;
export const CRASHED_MESSAGE = 'Strongroom stopped while this job was running.';
export const NEVER_STARTED_MESSAGE = 'Strongroom stopped before this job could start.';

export interface JobListQuery {
  itemId?: string;
  kind?: JobKind;
  status?: JobStatus;
  limit?: number;
  beforeJobId?: string;
}

interface JobRow {
  id: string;
  kind: JobKind;
  item_id: string | null;
  vault_id: string;
  item_name: string | null;
  vault_name: string;
  trigger: JobTrigger;
  status: JobStatus;
  queued_at: string;
  started_at: string | null;
  ended_at: string | null;
  message: string | null;
  snapshot_id: string | null;
  files_total: number;
  files_done: number;
  files_failed: number;
  bytes_total: number;
  bytes_done: number;
  bytes_added: number;
  files_new: number | null;
  files_changed: number | null;
  files_unmodified: number | null;
  /** JSON of JobRecord['phases']; NULL in rows written before phases existed. */
  phases: string | null;
  /** JSON of JobRecord['restored']; NULL for every other job and in rows from before it existed. */
  restored: string | null;
}

const COLUMNS: Record<keyof JobRecord, keyof JobRow> = {
  id: 'id',
  kind: 'kind',
  itemId: 'item_id',
  vaultId: 'vault_id',
  itemName: 'item_name',
  vaultName: 'vault_name',
  trigger: 'trigger',
  status: 'status',
  queuedAt: 'queued_at',
  startedAt: 'started_at',
  endedAt: 'ended_at',
  message: 'message',
  snapshotId: 'snapshot_id',
  filesTotal: 'files_total',
  filesDone: 'files_done',
  filesFailed: 'files_failed',
  bytesTotal: 'bytes_total',
  bytesDone: 'bytes_done',
  bytesAdded: 'bytes_added',
  filesNew: 'files_new',
  filesChanged: 'files_changed',
  filesUnmodified: 'files_unmodified',
  phases: 'phases',
  restored: 'restored',
};

/**
 * Columns added since the first version of the table, each with its definition: a history file of an
 * older version gains them when it opens (its rows read as "not known": NULL counts, no phases).
 */
const ADDED_COLUMNS: Record<string, string> = {
  files_new: 'INTEGER',
  files_changed: 'INTEGER',
  files_unmodified: 'INTEGER',
  phases: 'TEXT',
  restored: 'TEXT',
};

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  item_id TEXT,
  vault_id TEXT NOT NULL,
  item_name TEXT,
  vault_name TEXT NOT NULL,
  trigger TEXT NOT NULL,
  status TEXT NOT NULL,
  queued_at TEXT NOT NULL,
  started_at TEXT,
  ended_at TEXT,
  message TEXT,
  snapshot_id TEXT,
  files_total INTEGER NOT NULL DEFAULT 0,
  files_done INTEGER NOT NULL DEFAULT 0,
  files_failed INTEGER NOT NULL DEFAULT 0,
  bytes_total INTEGER NOT NULL DEFAULT 0,
  bytes_done INTEGER NOT NULL DEFAULT 0,
  bytes_added INTEGER NOT NULL DEFAULT 0,
  files_new INTEGER,
  files_changed INTEGER,
  files_unmodified INTEGER,
  phases TEXT,
  restored TEXT,
  log_lines INTEGER NOT NULL DEFAULT 0,
  log_dropped INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_item ON jobs (item_id, kind, status);
CREATE TABLE IF NOT EXISTS job_log (
  job_seq INTEGER NOT NULL REFERENCES jobs (seq) ON DELETE CASCADE,
  line INTEGER NOT NULL,
  at TEXT NOT NULL,
  level TEXT NOT NULL,
  path TEXT,
  message TEXT NOT NULL,
  PRIMARY KEY (job_seq, line)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS schedule_state (
  item_id TEXT PRIMARY KEY,
  last_slot INTEGER NOT NULL
) WITHOUT ROWID;
`;

export class JobHistoryStore {
  private readonly db: Database.Database;

  constructor(
    file: string,
    private readonly now: () => number = Date.now,
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.addMissingColumns();
    this.endInterruptedJobs();
  }

  insert(job: JobRecord): void {
    const row = toRow(job);
    const names = Object.keys(row);
    this.db.transaction(() => {
      this.db
        .prepare(`INSERT INTO jobs (${names.join(', ')}) VALUES (${names.map((n) => '@' + n).join(', ')})`)
        .run(row);
      // Bounded: the oldest finished jobs beyond MAX_JOBS go, with their logs (cascade).
      this.db
        .prepare(
          `DELETE FROM jobs WHERE seq <= (SELECT seq FROM jobs ORDER BY seq DESC LIMIT 1 OFFSET ?)
           AND status NOT IN ('running', 'waiting')`,
        )
        .run(MAX_JOBS);
    })();
  }

  update(id: string, patch: Partial<Omit<JobRecord, 'id'>>): JobRecord | null {
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined) as [keyof JobRecord, unknown][];
    if (entries.length > 0) {
      const sets = entries.map(([k]) => `${COLUMNS[k]} = @${COLUMNS[k]}`).join(', ');
      const values = Object.fromEntries(entries.map(([k, v]) => [COLUMNS[k], toColumn(k, v)]));
      this.db.prepare(`UPDATE jobs SET ${sets} WHERE id = @id`).run({ ...values, id });
    }
    return this.get(id);
  }

  get(id: string): JobRecord | null {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? fromRow(row) : null;
  }

  /** Newest first. */
  list(query: JobListQuery = {}): JobRecord[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: query.limit ?? 100 };
    if (query.itemId !== undefined) {
      where.push('item_id = @itemId');
      params.itemId = query.itemId;
    }
    if (query.kind !== undefined) {
      where.push('kind = @kind');
      params.kind = query.kind;
    }
    if (query.status !== undefined) {
      where.push('status = @status');
      params.status = query.status;
    }
    if (query.beforeJobId !== undefined) {
      where.push('seq < (SELECT seq FROM jobs WHERE id = @before)');
      params.before = query.beforeJobId;
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM jobs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT @limit`,
      )
      .all(params) as JobRow[];
    return rows.map(fromRow);
  }

  /** The newest job of this item and kind that has ended (any end status but skipped when `ranOnly`). */
  lastEnded(itemId: string, kind: JobKind, ranOnly = false): JobRecord | null {
    const row = this.db
      .prepare(
        `SELECT * FROM jobs WHERE item_id = ? AND kind = ? AND status NOT IN ('running', 'waiting'${
          ranOnly ? ", 'skipped'" : ''
        }) ORDER BY seq DESC LIMIT 1`,
      )
      .get(itemId, kind) as JobRow | undefined;
    return row ? fromRow(row) : null;
  }

  /**
   * The newest ended job of this vault among `kinds` with one of `statuses`, and its place in the
   * history (`seq`: later jobs have larger ones), e.g. "was there a backup since the last catalogue update?".
   */
  newestEndedOfVault(
    vaultId: string,
    kinds: readonly JobKind[],
    statuses: readonly JobStatus[],
  ): { job: JobRecord; seq: number } | null {
    const row = this.db
      .prepare(
        `SELECT * FROM jobs WHERE vault_id = ? AND kind IN (${kinds.map(() => '?').join(', ')})
         AND status IN (${statuses.map(() => '?').join(', ')}) ORDER BY seq DESC LIMIT 1`,
      )
      .get(vaultId, ...kinds, ...statuses) as (JobRow & { seq: number }) | undefined;
    return row ? { job: fromRow(row), seq: row.seq } : null;
  }

  /** When the newest ended job of this vault other than `exceptJobId` ended; null: none. */
  previousEndOfVault(vaultId: string, exceptJobId: string): string | null {
    const row = this.db
      .prepare(
        `SELECT ended_at FROM jobs WHERE vault_id = ? AND id != ? AND ended_at IS NOT NULL
         ORDER BY seq DESC LIMIT 1`,
      )
      .get(vaultId, exceptJobId) as { ended_at: string } | undefined;
    return row?.ended_at ?? null;
  }

  /** When this item's newest successful (or partially successful) backup ended. */
  lastSuccessAt(itemId: string): string | null {
    const row = this.db
      .prepare(
        `SELECT ended_at FROM jobs WHERE item_id = ? AND kind = 'backup' AND status IN ('success', 'warning')
         ORDER BY seq DESC LIMIT 1`,
      )
      .get(itemId) as { ended_at: string } | undefined;
    return row?.ended_at ?? null;
  }

  appendLog(jobId: string, entry: { level: JobLogLevel; path: string | null; message: string }): void {
    this.db.transaction(() => {
      const job = this.db.prepare('SELECT seq, log_lines FROM jobs WHERE id = ?').get(jobId) as
        { seq: number; log_lines: number } | undefined;
      if (!job) return;
      if (job.log_lines >= LOG_LINES_PER_JOB) {
        this.db.prepare('UPDATE jobs SET log_dropped = log_dropped + 1 WHERE seq = ?').run(job.seq);
        return;
      }
      this.db
        .prepare('INSERT INTO job_log (job_seq, line, at, level, path, message) VALUES (?, ?, ?, ?, ?, ?)')
        .run(
          job.seq,
          job.log_lines,
          new Date(this.now()).toISOString(),
          entry.level,
          entry.path,
          entry.message,
        );
      this.db.prepare('UPDATE jobs SET log_lines = log_lines + 1 WHERE seq = ?').run(job.seq);
    })();
  }

  /** The job's log in order; lines beyond the cap are summed up in a last "… N more lines" entry. */
  log(jobId: string): JobLogEntry[] {
    const job = this.db
      .prepare('SELECT seq, log_dropped, ended_at, queued_at FROM jobs WHERE id = ?')
      .get(jobId) as
      { seq: number; log_dropped: number; ended_at: string | null; queued_at: string } | undefined;
    if (!job) return [];
    const entries = this.db
      .prepare('SELECT at, level, path, message FROM job_log WHERE job_seq = ? ORDER BY line')
      .all(job.seq) as JobLogEntry[];
    if (job.log_dropped > 0) {
      entries.push({
        at: job.ended_at ?? entries.at(-1)?.at ?? job.queued_at,
        level: 'warning',
        path: null,
        message: `… ${job.log_dropped} more ${job.log_dropped === 1 ? 'line' : 'lines'} (not kept)`,
      });
    }
    return entries;
  }

  lastSlot(itemId: string): number | null {
    const row = this.db.prepare('SELECT last_slot FROM schedule_state WHERE item_id = ?').get(itemId) as
      { last_slot: number } | undefined;
    return row?.last_slot ?? null;
  }

  setLastSlot(itemId: string, slot: number): void {
    this.db
      .prepare(
        'INSERT INTO schedule_state (item_id, last_slot) VALUES (?, ?) ON CONFLICT (item_id) DO UPDATE SET last_slot = excluded.last_slot',
      )
      .run(itemId, slot);
  }

  forgetSchedule(itemId: string): void {
    this.db.prepare('DELETE FROM schedule_state WHERE item_id = ?').run(itemId);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private addMissingColumns(): void {
    const have = new Set(
      (this.db.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).map((c) => c.name),
    );
    for (const [name, type] of Object.entries(ADDED_COLUMNS)) {
      if (!have.has(name)) this.db.exec(`ALTER TABLE jobs ADD COLUMN ${name} ${type}`);
    }
  }

  /** After a crash (or a kill) nothing is running: say so instead of showing "running" forever. */
  private endInterruptedJobs(): void {
    const at = new Date(this.now()).toISOString();
    this.db
      .prepare(`UPDATE jobs SET status = 'failed', message = ?, ended_at = ? WHERE status = 'running'`)
      .run(CRASHED_MESSAGE, at);
    this.db
      .prepare(`UPDATE jobs SET status = 'skipped', message = ?, ended_at = ? WHERE status = 'waiting'`)
      .run(NEVER_STARTED_MESSAGE, at);
  }
}

function toColumn(key: keyof JobRecord, value: unknown): unknown {
  if (key === 'restored') return value === null ? null : JSON.stringify(value);
  return key === 'phases' ? JSON.stringify(value) : value;
}

function toRow(job: JobRecord): Record<string, unknown> {
  return Object.fromEntries(
    (Object.keys(COLUMNS) as (keyof JobRecord)[]).map((k) => [COLUMNS[k], toColumn(k, job[k])]),
  );
}

function fromRow(row: JobRow): JobRecord {
  const job = Object.fromEntries(
    (Object.keys(COLUMNS) as (keyof JobRecord)[]).map((k) => [k, row[COLUMNS[k]]]),
  ) as unknown as JobRecord;
  job.phases = phasesOf(row.phases);
  job.restored = restoredOf(row.restored);
  return job;
}

/** A restore's stored destination and renames; null when there are none or they do not parse. */
function restoredOf(text: string | null): RestoredFiles | null {
  if (text === null) return null;
  try {
    const parsed = restoredFiles.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

const restoredFiles = z
  .object({
    target: z.string(),
    keptBoth: z.array(keptBothEntry),
    keptBothCount: z.number().int().nonnegative(),
    tooLittleSpace: restoreSpace.optional(),
  })
  .strict();

/** The stored phases; a row from before phases, or one that does not parse, has none. */
function phasesOf(text: string | null): BackupPhase[] {
  if (text === null) return [];
  try {
    const parsed = z.array(backupPhase).safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}
