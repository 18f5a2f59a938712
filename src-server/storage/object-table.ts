/**
 * The object table: what the account storage holds, per account and repository. Listings,
 * quotas and the panel's figures are answered from here, never by walking the store. An
 * interface, so the table can move to PostgreSQL with the accounts; SQLite implements it today.
 */
import type { Db } from '../db/database';

export const FILE_TYPES = ['data', 'keys', 'locks', 'snapshots', 'index'] as const;
export type FolderType = (typeof FILE_TYPES)[number];
export type FileType = FolderType | 'config';

export interface RepoRow {
  id: number;
  account_id: number;
  name: string;
  created_at: number;
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

export interface ObjectTable {
  findRepo(accountId: number, name: string): RepoRow | undefined;
  /** Creates the repository row if missing; returns it either way. */
  ensureRepo(accountId: number, name: string, now: number): RepoRow;
  listRepos(accountId: number): RepoRow[];
  /** The row, live or recently deleted. */
  get(repoId: number, type: FileType, name: string): ObjectRow | undefined;
  /** Adds a live row; false if the name is taken (live or deleted). */
  insert(row: Omit<ObjectRow, 'deleted_at' | 'deleter_id' | 'deleter_name'>): boolean;
  /** Live files of one type, for the protocol's listings. */
  listLive(repoId: number, type: FileType): Array<{ name: string; size: number }>;
  listByType(repoId: number, type: FileType): ObjectRow[];
  listDeleted(repoId: number): ObjectRow[];
  markDeleted(repoId: number, type: FileType, name: string, at: number, by: Writer): boolean;
  undelete(repoId: number, type: FileType, name: string): boolean;
  remove(repoId: number, type: FileType, name: string): void;
  /** Bytes of every stored file of the account, recently deleted ones included (they use space). */
  accountBytes(accountId: number): number;
  figures(repoId: number): RepoFigures;
  /** Bytes deleted from the repository since `since`. */
  deletedBytesSince(repoId: number, since: number): number;
  /** Recently deleted rows whose grace period ended (deleted at or before `cutoff`). */
  expired(cutoff: number, limit: number): Array<ObjectRow & { account_id: number; repo_name: string }>;
  /** Reindex: drops every row of every repository (the repositories stay). */
  clearObjects(): void;

  // Per-account quota and the deletion alerts live beside the objects they are about.
  quota(accountId: number): number | null;
  setQuota(accountId: number, bytes: number | null): void;
  lastAlertAt(repoId: number): number | null;
  addAlert(alert: Omit<DeletionAlertRow, 'id'>): void;
  alerts(accountId: number, since: number): Array<DeletionAlertRow & { repo_name: string }>;
}

export interface DeletionAlertRow {
  id: number;
  repo_id: number;
  at: number;
  deleted_bytes: number;
  repo_bytes: number;
  device: string | null;
}

export class SqliteObjectTable implements ObjectTable {
  constructor(private readonly db: Db) {}

  findRepo(accountId: number, name: string): RepoRow | undefined {
    return this.db
      .prepare<[number, string], RepoRow>('SELECT * FROM storage_repos WHERE account_id = ? AND name = ?')
      .get(accountId, name);
  }

  ensureRepo(accountId: number, name: string, now: number): RepoRow {
    this.db
      .prepare('INSERT OR IGNORE INTO storage_repos (account_id, name, created_at) VALUES (?, ?, ?)')
      .run(accountId, name, now);
    return this.findRepo(accountId, name)!;
  }

  listRepos(accountId: number): RepoRow[] {
    return this.db
      .prepare<[number], RepoRow>('SELECT * FROM storage_repos WHERE account_id = ? ORDER BY name')
      .all(accountId);
  }

  get(repoId: number, type: FileType, name: string): ObjectRow | undefined {
    return this.db
      .prepare<[number, string, string], ObjectRow>(
        'SELECT * FROM storage_objects WHERE repo_id = ? AND type = ? AND name = ?',
      )
      .get(repoId, type, name);
  }

  insert(row: Omit<ObjectRow, 'deleted_at' | 'deleter_id' | 'deleter_name'>): boolean {
    const result = this.db
      .prepare(
        `INSERT OR IGNORE INTO storage_objects (repo_id, type, name, size, created_at, writer_id, writer_name)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(row.repo_id, row.type, row.name, row.size, row.created_at, row.writer_id, row.writer_name);
    return result.changes === 1;
  }

  listLive(repoId: number, type: FileType): Array<{ name: string; size: number }> {
    return this.db
      .prepare<[number, string], { name: string; size: number }>(
        'SELECT name, size FROM storage_objects WHERE repo_id = ? AND type = ? AND deleted_at IS NULL ORDER BY name',
      )
      .all(repoId, type);
  }

  listByType(repoId: number, type: FileType): ObjectRow[] {
    return this.db
      .prepare<[number, string], ObjectRow>(
        'SELECT * FROM storage_objects WHERE repo_id = ? AND type = ? ORDER BY created_at DESC, name',
      )
      .all(repoId, type);
  }

  listDeleted(repoId: number): ObjectRow[] {
    return this.db
      .prepare<[number], ObjectRow>(
        'SELECT * FROM storage_objects WHERE repo_id = ? AND deleted_at IS NOT NULL ORDER BY deleted_at DESC, type, name',
      )
      .all(repoId);
  }

  markDeleted(repoId: number, type: FileType, name: string, at: number, by: Writer): boolean {
    return (
      this.db
        .prepare(
          `UPDATE storage_objects SET deleted_at = ?, deleter_id = ?, deleter_name = ?
           WHERE repo_id = ? AND type = ? AND name = ? AND deleted_at IS NULL`,
        )
        .run(at, by.id, by.name, repoId, type, name).changes === 1
    );
  }

  undelete(repoId: number, type: FileType, name: string): boolean {
    return (
      this.db
        .prepare(
          `UPDATE storage_objects SET deleted_at = NULL, deleter_id = NULL, deleter_name = NULL
           WHERE repo_id = ? AND type = ? AND name = ? AND deleted_at IS NOT NULL`,
        )
        .run(repoId, type, name).changes === 1
    );
  }

  remove(repoId: number, type: FileType, name: string): void {
    this.db
      .prepare('DELETE FROM storage_objects WHERE repo_id = ? AND type = ? AND name = ?')
      .run(repoId, type, name);
  }

  accountBytes(accountId: number): number {
    return this.db
      .prepare<[number], { n: number }>(
        `SELECT COALESCE(SUM(o.size), 0) AS n FROM storage_objects o
         JOIN storage_repos r ON r.id = o.repo_id WHERE r.account_id = ?`,
      )
      .get(accountId)!.n;
  }

  figures(repoId: number): RepoFigures {
    const sums = this.db
      .prepare<
        [number],
        { liveBytes: number; liveFiles: number; deletedBytes: number; deletedFiles: number }
      >(
        `SELECT
           COALESCE(SUM(CASE WHEN deleted_at IS NULL THEN size END), 0) AS liveBytes,
           COUNT(CASE WHEN deleted_at IS NULL THEN 1 END) AS liveFiles,
           COALESCE(SUM(CASE WHEN deleted_at IS NOT NULL THEN size END), 0) AS deletedBytes,
           COUNT(deleted_at) AS deletedFiles
         FROM storage_objects WHERE repo_id = ?`,
      )
      .get(repoId)!;
    const last = this.db
      .prepare<[number], { at: number; by: string | null }>(
        `SELECT created_at AS at, writer_name AS by FROM storage_objects
         WHERE repo_id = ? AND type != 'locks' ORDER BY created_at DESC LIMIT 1`,
      )
      .get(repoId);
    return { ...sums, lastWrite: last ?? null };
  }

  deletedBytesSince(repoId: number, since: number): number {
    return this.db
      .prepare<[number, number], { n: number }>(
        `SELECT COALESCE(SUM(size), 0) AS n FROM storage_objects
         WHERE repo_id = ? AND deleted_at IS NOT NULL AND deleted_at >= ?`,
      )
      .get(repoId, since)!.n;
  }

  expired(cutoff: number, limit: number): Array<ObjectRow & { account_id: number; repo_name: string }> {
    return this.db
      .prepare<[number, number], ObjectRow & { account_id: number; repo_name: string }>(
        `SELECT o.*, r.account_id AS account_id, r.name AS repo_name FROM storage_objects o
         JOIN storage_repos r ON r.id = o.repo_id
         WHERE o.deleted_at IS NOT NULL AND o.deleted_at <= ? ORDER BY o.deleted_at LIMIT ?`,
      )
      .all(cutoff, limit);
  }

  clearObjects(): void {
    this.db.prepare('DELETE FROM storage_objects').run();
  }

  quota(accountId: number): number | null {
    return (
      this.db
        .prepare<[number], { bytes: number }>('SELECT bytes FROM storage_quotas WHERE account_id = ?')
        .get(accountId)?.bytes ?? null
    );
  }

  setQuota(accountId: number, bytes: number | null): void {
    if (bytes === null) this.db.prepare('DELETE FROM storage_quotas WHERE account_id = ?').run(accountId);
    else
      this.db
        .prepare(
          'INSERT INTO storage_quotas (account_id, bytes) VALUES (?, ?) ON CONFLICT(account_id) DO UPDATE SET bytes = excluded.bytes',
        )
        .run(accountId, bytes);
  }

  lastAlertAt(repoId: number): number | null {
    return (
      this.db
        .prepare<[number], { at: number }>(
          'SELECT at FROM storage_deletion_alerts WHERE repo_id = ? ORDER BY at DESC LIMIT 1',
        )
        .get(repoId)?.at ?? null
    );
  }

  addAlert(alert: Omit<DeletionAlertRow, 'id'>): void {
    this.db
      .prepare(
        'INSERT INTO storage_deletion_alerts (repo_id, at, deleted_bytes, repo_bytes, device) VALUES (?, ?, ?, ?, ?)',
      )
      .run(alert.repo_id, alert.at, alert.deleted_bytes, alert.repo_bytes, alert.device);
  }

  alerts(accountId: number, since: number): Array<DeletionAlertRow & { repo_name: string }> {
    return this.db
      .prepare<[number, number], DeletionAlertRow & { repo_name: string }>(
        `SELECT a.*, r.name AS repo_name FROM storage_deletion_alerts a
         JOIN storage_repos r ON r.id = a.repo_id WHERE r.account_id = ? AND a.at >= ? ORDER BY a.at DESC`,
      )
      .all(accountId, since);
  }
}
