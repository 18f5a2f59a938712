/**
 * The object table: what the account storage holds, per account and repository. Listings,
 * quotas and the panel's figures are answered from here, never by walking the store. An
 * interface, so the table can move to PostgreSQL with the accounts; SQLite implements it today.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/database';

export const FILE_TYPES = ['data', 'keys', 'locks', 'snapshots', 'index'] as const;
export type FolderType = (typeof FILE_TYPES)[number];
export type FileType = FolderType | 'config';

export interface RepoRow {
  id: number;
  account_id: number;
  name: string;
  created_at: number;
  last_write_at: number | null;
  last_write_by: string | null;
  /** Set when the owner deleted the whole repository (its files are then recently deleted). */
  deleted_at: number | null;
}

export interface ObjectRow {
  repo_id: number;
  type: FileType;
  name: string;
  size: number;
  created_at: number;
  writer_id: string | null;
  writer_name: string | null;
  deleted_at: number | null;
  deleter_id: string | null;
  deleter_name: string | null;
}

export interface Writer {
  id: string;
  name: string;
}

export interface RepoFigures {
  liveBytes: number;
  liveFiles: number;
  deletedBytes: number;
  deletedFiles: number;
  lastWrite: { at: number; by: string | null } | null;
}

/** One file type's counters in one repository. */
export interface TypeCounts {
  liveFiles: number;
  liveBytes: number;
  deletedFiles: number;
  deletedBytes: number;
}

/** Files written and deleted in a window (the deletion alerts' view of the last day). */
export interface Activity {
  writtenFiles: number;
  writtenBytes: number;
  deletedFiles: number;
  deletedBytes: number;
}

export type AlertKind = 'bytes' | 'config' | 'keys' | 'snapshots' | 'index';

export interface DeletionAlertRow {
  id: number;
  repo_id: number;
  at: number;
  kind: AlertKind;
  deleted_bytes: number;
  repo_bytes: number;
  deleted_files: number;
  repo_files: number;
  device: string | null;
}

export interface UploadRow {
  id: number;
  repo_id: number;
  type: FileType;
  name: string;
  size: number;
  started_at: number;
  writer_id: string | null;
  writer_name: string | null;
}

export interface PurgeRequestRow {
  id: number;
  repo_id: number;
  requested_at: number;
  due_at: number;
  /** JSON list of { type, name }, or null for every recently deleted file. */
  files: string | null;
  requested_by: string | null;
}

export interface ObjectTable {
  findRepo(accountId: number, name: string): RepoRow | undefined;
  /** Creates the repository row if missing; returns it either way. */
  ensureRepo(accountId: number, name: string, now: number): RepoRow;
  listRepos(accountId: number): RepoRow[];
  repoById(id: number): RepoRow | undefined;
  countRepos(accountId: number): number;
  markRepoDeleted(repoId: number, at: number | null): void;
  /** Removes the repository's row and, with it, every row of its files. */
  dropRepo(repoId: number): void;
  /** The row, live or recently deleted. */
  get(repoId: number, type: FileType, name: string): ObjectRow | undefined;
  /** Adds a live row; false if the name is taken (live or deleted). */
  insert(row: Omit<ObjectRow, 'deleted_at' | 'deleter_id' | 'deleter_name'>): boolean;
  /** Live files of one type in name order, after `after` ('' from the start), at most `limit`: listings go page by page. */
  listLivePage(
    repoId: number,
    type: FileType,
    after: string,
    limit: number,
  ): Array<{ name: string; size: number }>;
  listByType(repoId: number, type: FileType): ObjectRow[];
  /** The first `limit` live rows of a type, in name order. */
  listLive(repoId: number, type: FileType, limit: number): ObjectRow[];
  listDeleted(repoId: number): ObjectRow[];
  /** Recently deleted files in (type, name) order after `after` (null: from the start), at most `limit`. */
  listDeletedPage(
    repoId: number,
    after: { type: FileType; name: string } | null,
    limit: number,
  ): Array<{ type: FileType; name: string }>;
  markDeleted(repoId: number, type: FileType, name: string, at: number, by: Writer): boolean;
  undelete(repoId: number, type: FileType, name: string): boolean;
  remove(repoId: number, type: FileType, name: string): void;
  /** What the quota counts: every stored file of the account, recently deleted ones included, each at least one block. */
  accountBytes(accountId: number): number;
  figures(repoId: number): RepoFigures;
  counts(repoId: number, type: FileType): TypeCounts;
  /** Adds to the repository's written or deleted tally of this hour. */
  recordActivity(
    repoId: number,
    type: FileType,
    hour: number,
    what: 'written' | 'deleted',
    files: number,
    bytes: number,
  ): void;
  /** Sums of the hours from `sinceHour` on, per type. */
  activitySince(repoId: number, sinceHour: number): Map<FileType, Activity>;
  /** Forgets activity older than `beforeHour`. */
  forgetActivity(beforeHour: number): void;
  /** Recently deleted rows whose grace period ended (deleted at or before `cutoff`), optionally of some types only. */
  expired(
    cutoff: number,
    limit: number,
    types: { only?: FileType[]; except?: FileType[] },
    offset?: number,
  ): Array<ObjectRow & { account_id: number; repo_name: string }>;
  /** Repositories their owner deleted that have no file left. */
  emptyDeletedRepos(): RepoRow[];
  /** Reindex: drops every row of every repository (the repositories stay). */
  clearObjects(): void;

  // Uploads between their first byte and their row.
  beginUpload(row: Omit<UploadRow, 'id'>): number;
  endUpload(id: number): void;
  uploads(): UploadRow[];

  // Per-account quota and the deletion alerts live beside the objects they are about.
  quota(accountId: number): number | null;
  setQuota(accountId: number, bytes: number | null): void;
  lastAlertAt(repoId: number, kind: AlertKind): number | null;
  addAlert(alert: Omit<DeletionAlertRow, 'id'>): void;
  alerts(accountId: number, since: number): Array<DeletionAlertRow & { repo_name: string }>;

  // Purges asked for now and carried out later.
  addPurgeRequest(row: Omit<PurgeRequestRow, 'id'>): number;
  purgeRequests(repoId: number): PurgeRequestRow[];
  cancelPurgeRequests(repoId: number): number;
  duePurgeRequests(now: number): Array<PurgeRequestRow & { account_id: number; repo_name: string }>;
  removePurgeRequest(id: number): void;
}

const ZERO_COUNTS: TypeCounts = { liveFiles: 0, liveBytes: 0, deletedFiles: 0, deletedBytes: 0 };

export class SqliteObjectTable implements ObjectTable {
  /** Compiled once: a DELETE runs a dozen of these, and compiling was most of its time. */
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Db) {}

  private statement<P extends unknown[] = unknown[], R = unknown>(sql: string): Statement<P, R> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement as unknown as Statement<P, R>;
  }

  findRepo(accountId: number, name: string): RepoRow | undefined {
    return this.statement<[number, string], RepoRow>(
      'SELECT * FROM storage_repos WHERE account_id = ? AND name = ?',
    ).get(accountId, name);
  }

  ensureRepo(accountId: number, name: string, now: number): RepoRow {
    this.statement('INSERT OR IGNORE INTO storage_repos (account_id, name, created_at) VALUES (?, ?, ?)').run(
      accountId,
      name,
      now,
    );
    return this.findRepo(accountId, name)!;
  }

  listRepos(accountId: number): RepoRow[] {
    return this.statement<[number], RepoRow>(
      'SELECT * FROM storage_repos WHERE account_id = ? ORDER BY name',
    ).all(accountId);
  }

  repoById(id: number): RepoRow | undefined {
    return this.statement<[number], RepoRow>('SELECT * FROM storage_repos WHERE id = ?').get(id);
  }

  countRepos(accountId: number): number {
    return this.statement<[number], { n: number }>(
      'SELECT COUNT(*) AS n FROM storage_repos WHERE account_id = ?',
    ).get(accountId)!.n;
  }

  markRepoDeleted(repoId: number, at: number | null): void {
    this.statement('UPDATE storage_repos SET deleted_at = ? WHERE id = ?').run(at, repoId);
  }

  dropRepo(repoId: number): void {
    this.statement('DELETE FROM storage_repos WHERE id = ?').run(repoId);
  }

  get(repoId: number, type: FileType, name: string): ObjectRow | undefined {
    return this.statement<[number, string, string], ObjectRow>(
      'SELECT * FROM storage_objects WHERE repo_id = ? AND type = ? AND name = ?',
    ).get(repoId, type, name);
  }

  insert(row: Omit<ObjectRow, 'deleted_at' | 'deleter_id' | 'deleter_name'>): boolean {
    const result = this.statement(
      `INSERT OR IGNORE INTO storage_objects (repo_id, type, name, size, created_at, writer_id, writer_name)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(row.repo_id, row.type, row.name, row.size, row.created_at, row.writer_id, row.writer_name);
    return result.changes === 1;
  }

  listLivePage(
    repoId: number,
    type: FileType,
    after: string,
    limit: number,
  ): Array<{ name: string; size: number }> {
    // The primary key (repo_id, type, name) walks this in order from `after`: no sort, no scan.
    // '' starts at the beginning, and config's name is ''.
    return this.statement<[number, string, string, number], { name: string; size: number }>(
      `SELECT name, size FROM storage_objects
         WHERE repo_id = ? AND type = ? AND name ${after === '' ? '>=' : '>'} ? AND deleted_at IS NULL
         ORDER BY name LIMIT ?`,
    ).all(repoId, type, after, limit);
  }

  listLive(repoId: number, type: FileType, limit: number): ObjectRow[] {
    return this.statement<[number, string, number], ObjectRow>(
      'SELECT * FROM storage_objects WHERE repo_id = ? AND type = ? AND deleted_at IS NULL ORDER BY name LIMIT ?',
    ).all(repoId, type, limit);
  }

  listByType(repoId: number, type: FileType): ObjectRow[] {
    return this.statement<[number, string], ObjectRow>(
      'SELECT * FROM storage_objects WHERE repo_id = ? AND type = ? ORDER BY created_at DESC, name',
    ).all(repoId, type);
  }

  listDeleted(repoId: number): ObjectRow[] {
    return this.statement<[number], ObjectRow>(
      'SELECT * FROM storage_objects WHERE repo_id = ? AND deleted_at IS NOT NULL ORDER BY deleted_at DESC, type, name',
    ).all(repoId);
  }

  listDeletedPage(
    repoId: number,
    after: { type: FileType; name: string } | null,
    limit: number,
  ): Array<{ type: FileType; name: string }> {
    // Walks the primary key from `after`: each page starts where the last one ended.
    return this.statement<[number, string, string, number], { type: FileType; name: string }>(
      `SELECT type, name FROM storage_objects
       WHERE repo_id = ? AND (type, name) > (?, ?) AND deleted_at IS NOT NULL ORDER BY type, name LIMIT ?`,
    ).all(repoId, after?.type ?? '', after?.name ?? '', limit);
  }

  markDeleted(repoId: number, type: FileType, name: string, at: number, by: Writer): boolean {
    return (
      this.statement(
        `UPDATE storage_objects SET deleted_at = ?, deleter_id = ?, deleter_name = ?
           WHERE repo_id = ? AND type = ? AND name = ? AND deleted_at IS NULL`,
      ).run(at, by.id, by.name, repoId, type, name).changes === 1
    );
  }

  undelete(repoId: number, type: FileType, name: string): boolean {
    return (
      this.statement(
        `UPDATE storage_objects SET deleted_at = NULL, deleter_id = NULL, deleter_name = NULL
           WHERE repo_id = ? AND type = ? AND name = ? AND deleted_at IS NOT NULL`,
      ).run(repoId, type, name).changes === 1
    );
  }

  remove(repoId: number, type: FileType, name: string): void {
    this.statement('DELETE FROM storage_objects WHERE repo_id = ? AND type = ? AND name = ?').run(
      repoId,
      type,
      name,
    );
  }

  accountBytes(accountId: number): number {
    return this.statement<[number], { n: number }>(
      `SELECT COALESCE(SUM(s.charged_bytes), 0) AS n FROM storage_type_stats s
         JOIN storage_repos r ON r.id = s.repo_id WHERE r.account_id = ?`,
    ).get(accountId)!.n;
  }

  figures(repoId: number): RepoFigures {
    const sums = this.statement<
      [number],
      { liveBytes: number; liveFiles: number; deletedBytes: number; deletedFiles: number }
    >(
      `SELECT COALESCE(SUM(live_bytes), 0) AS liveBytes, COALESCE(SUM(live_files), 0) AS liveFiles,
           COALESCE(SUM(deleted_bytes), 0) AS deletedBytes, COALESCE(SUM(deleted_files), 0) AS deletedFiles
         FROM storage_type_stats WHERE repo_id = ?`,
    ).get(repoId)!;
    const repo = this.statement<[number], { at: number | null; by: string | null }>(
      'SELECT last_write_at AS at, last_write_by AS by FROM storage_repos WHERE id = ?',
    ).get(repoId);
    return { ...sums, lastWrite: repo?.at == null ? null : { at: repo.at, by: repo.by } };
  }

  counts(repoId: number, type: FileType): TypeCounts {
    return (
      this.statement<[number, string], TypeCounts>(
        `SELECT live_files AS liveFiles, live_bytes AS liveBytes, deleted_files AS deletedFiles,
             deleted_bytes AS deletedBytes FROM storage_type_stats WHERE repo_id = ? AND type = ?`,
      ).get(repoId, type) ?? { ...ZERO_COUNTS }
    );
  }

  recordActivity(
    repoId: number,
    type: FileType,
    hour: number,
    what: 'written' | 'deleted',
    files: number,
    bytes: number,
  ): void {
    const column = what === 'written' ? 'written' : 'deleted';
    this.statement(
      `INSERT INTO storage_activity (repo_id, type, hour, ${column}_files, ${column}_bytes) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (repo_id, type, hour) DO UPDATE SET
           ${column}_files = ${column}_files + excluded.${column}_files,
           ${column}_bytes = ${column}_bytes + excluded.${column}_bytes`,
    ).run(repoId, type, hour, files, bytes);
  }

  activitySince(repoId: number, sinceHour: number): Map<FileType, Activity> {
    const rows = this.statement<[number, number], Activity & { type: FileType }>(
      `SELECT type, SUM(written_files) AS writtenFiles, SUM(written_bytes) AS writtenBytes,
           SUM(deleted_files) AS deletedFiles, SUM(deleted_bytes) AS deletedBytes
         FROM storage_activity WHERE repo_id = ? AND hour >= ? GROUP BY type`,
    ).all(repoId, sinceHour);
    return new Map(rows.map(({ type, ...activity }) => [type, activity]));
  }

  forgetActivity(beforeHour: number): void {
    this.statement('DELETE FROM storage_activity WHERE hour < ?').run(beforeHour);
  }

  expired(
    cutoff: number,
    limit: number,
    types: { only?: FileType[]; except?: FileType[] },
    offset = 0,
  ): Array<ObjectRow & { account_id: number; repo_name: string }> {
    const only = types.only ?? [];
    const except = types.except ?? [];
    const filter =
      (only.length > 0 ? ` AND o.type IN (${only.map(() => '?').join(', ')})` : '') +
      (except.length > 0 ? ` AND o.type NOT IN (${except.map(() => '?').join(', ')})` : '');
    return this.statement<unknown[], ObjectRow & { account_id: number; repo_name: string }>(
      `SELECT o.*, r.account_id AS account_id, r.name AS repo_name FROM storage_objects o
         JOIN storage_repos r ON r.id = o.repo_id
         WHERE o.deleted_at IS NOT NULL AND o.deleted_at <= ?${filter}
         ORDER BY o.deleted_at, o.repo_id, o.type, o.name LIMIT ? OFFSET ?`,
    ).all(cutoff, ...only, ...except, limit, offset);
  }

  emptyDeletedRepos(): RepoRow[] {
    return this.statement<[], RepoRow>(
      `SELECT * FROM storage_repos r WHERE deleted_at IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM storage_objects o WHERE o.repo_id = r.id)`,
    ).all();
  }

  clearObjects(): void {
    this.statement('DELETE FROM storage_objects').run();
  }

  beginUpload(row: Omit<UploadRow, 'id'>): number {
    return Number(
      this.statement(
        `INSERT INTO storage_uploads (repo_id, type, name, size, started_at, writer_id, writer_name)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(row.repo_id, row.type, row.name, row.size, row.started_at, row.writer_id, row.writer_name)
        .lastInsertRowid,
    );
  }

  endUpload(id: number): void {
    this.statement('DELETE FROM storage_uploads WHERE id = ?').run(id);
  }

  uploads(): UploadRow[] {
    return this.statement<[], UploadRow>('SELECT * FROM storage_uploads ORDER BY id').all();
  }

  quota(accountId: number): number | null {
    return (
      this.statement<[number], { bytes: number }>(
        'SELECT bytes FROM storage_quotas WHERE account_id = ?',
      ).get(accountId)?.bytes ?? null
    );
  }

  setQuota(accountId: number, bytes: number | null): void {
    if (bytes === null) this.statement('DELETE FROM storage_quotas WHERE account_id = ?').run(accountId);
    else
      this.statement(
        'INSERT INTO storage_quotas (account_id, bytes) VALUES (?, ?) ON CONFLICT(account_id) DO UPDATE SET bytes = excluded.bytes',
      ).run(accountId, bytes);
  }

  lastAlertAt(repoId: number, kind: AlertKind): number | null {
    return (
      this.statement<[number, string], { at: number }>(
        'SELECT at FROM storage_deletion_alerts WHERE repo_id = ? AND kind = ? ORDER BY at DESC LIMIT 1',
      ).get(repoId, kind)?.at ?? null
    );
  }

  addAlert(alert: Omit<DeletionAlertRow, 'id'>): void {
    this.statement(
      `INSERT INTO storage_deletion_alerts
           (repo_id, at, kind, deleted_bytes, repo_bytes, deleted_files, repo_files, device)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      alert.repo_id,
      alert.at,
      alert.kind,
      alert.deleted_bytes,
      alert.repo_bytes,
      alert.deleted_files,
      alert.repo_files,
      alert.device,
    );
  }

  alerts(accountId: number, since: number): Array<DeletionAlertRow & { repo_name: string }> {
    return this.statement<[number, number], DeletionAlertRow & { repo_name: string }>(
      `SELECT a.*, r.name AS repo_name FROM storage_deletion_alerts a
         JOIN storage_repos r ON r.id = a.repo_id WHERE r.account_id = ? AND a.at >= ? ORDER BY a.at DESC, a.id DESC`,
    ).all(accountId, since);
  }

  addPurgeRequest(row: Omit<PurgeRequestRow, 'id'>): number {
    return Number(
      this.statement(
        'INSERT INTO storage_purge_requests (repo_id, requested_at, due_at, files, requested_by) VALUES (?, ?, ?, ?, ?)',
      ).run(row.repo_id, row.requested_at, row.due_at, row.files, row.requested_by).lastInsertRowid,
    );
  }

  purgeRequests(repoId: number): PurgeRequestRow[] {
    return this.statement<[number], PurgeRequestRow>(
      'SELECT * FROM storage_purge_requests WHERE repo_id = ? ORDER BY due_at, id',
    ).all(repoId);
  }

  cancelPurgeRequests(repoId: number): number {
    return this.statement('DELETE FROM storage_purge_requests WHERE repo_id = ?').run(repoId).changes;
  }

  duePurgeRequests(now: number): Array<PurgeRequestRow & { account_id: number; repo_name: string }> {
    return this.statement<[number], PurgeRequestRow & { account_id: number; repo_name: string }>(
      `SELECT p.*, r.account_id AS account_id, r.name AS repo_name FROM storage_purge_requests p
         JOIN storage_repos r ON r.id = p.repo_id WHERE p.due_at <= ? ORDER BY p.due_at, p.id`,
    ).all(now);
  }

  removePurgeRequest(id: number): void {
    this.statement('DELETE FROM storage_purge_requests WHERE id = ?').run(id);
  }
}
