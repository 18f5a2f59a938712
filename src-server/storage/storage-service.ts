/**
 * The account storage's rules, between the REST routes and the store: which names may be
 * written, create-only and checked; quotas (early on the announced size, and with the bytes of
 * uploads still in flight reserved); deletions by a token kept as "recently deleted" for the
 * grace period; the sweep that purges them after; and the alert on a burst of deletions.
 */
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AuditLog, RequestContext } from '../services/audit-log';
import type { Clock } from '../services/clock';
import { BodyCheck } from './body-check';
import { ObjectExistsError, ObjectNotFoundError, type ByteRange, type ObjectStore } from './object-store';
import type {
  DeletionAlertRow,
  FileType,
  ObjectRow,
  ObjectTable,
  RepoFigures,
  RepoRow,
  Writer,
} from './object-table';

export const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_GRACE_DAYS = 30;
/** More than this share of a repository's bytes deleted within a day is a burst worth an alert. */
export const DEFAULT_BURST_SHARE = 0.5;

export const REPO_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const OBJECT_NAME_PATTERN = /^[0-9a-f]{64}$/;

/** Files named by the SHA-256 of their bytes in both clients (restic and the engine). */
export function isContentAddressed(type: FileType): boolean {
  return type === 'data' || type === 'index' || type === 'snapshots';
}

export type RefusalReason = 'not_found' | 'exists' | 'quota' | 'bad_request' | 'range';

/** A refusal the protocol layer turns into its status code. */
export class StorageRefusal extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
    this.name = 'StorageRefusal';
  }
}

export interface StorageAccount {
  id: number;
  username: string;
}

export interface StorageServiceOptions {
  store: ObjectStore;
  table: ObjectTable;
  clock: Clock;
  audit: AuditLog;
  graceDays?: number;
  /** Bytes per account when no quota is set for it; null: unlimited. */
  defaultQuotaBytes?: number | null;
  burstShare?: number;
}

export class StorageService {
  readonly store: ObjectStore;
  readonly table: ObjectTable;
  readonly graceMs: number;
  readonly defaultQuotaBytes: number | null;
  private readonly clock: Clock;
  private readonly audit: AuditLog;
  private readonly burstShare: number;
  /** Bytes of uploads in flight per account: two parallel uploads cannot both fit the last gap. */
  private readonly reserved = new Map<number, number>();

  constructor(opts: StorageServiceOptions) {
    this.store = opts.store;
    this.table = opts.table;
    this.clock = opts.clock;
    this.audit = opts.audit;
    this.graceMs = (opts.graceDays ?? DEFAULT_GRACE_DAYS) * DAY_MS;
    this.defaultQuotaBytes = opts.defaultQuotaBytes ?? null;
    this.burstShare = opts.burstShare ?? DEFAULT_BURST_SHARE;
  }

  static key(account: StorageAccount, repo: string, type: FileType, name: string): string {
    const base = `${account.username}/${repo}`;
    if (type === 'config') return `${base}/config`;
    // data/ has 256 subfolders as in restic's layout, so no folder holds millions of files.
    if (type === 'data') return `${base}/data/${name.slice(0, 2)}/${name}`;
    return `${base}/${type}/${name}`;
  }

  // ---- repositories --------------------------------------------------------------------

  createRepo(account: StorageAccount, repo: string): RepoRow {
    return this.table.ensureRepo(account.id, repo, this.clock.now());
  }

  private repo(account: StorageAccount, name: string): RepoRow {
    const row = this.table.findRepo(account.id, name);
    if (!row) throw new StorageRefusal('not_found', `There is no repository ${name}.`);
    return row;
  }

  listRepos(accountId: number): RepoRow[] {
    return this.table.listRepos(accountId);
  }

  // ---- the panel's view ----------------------------------------------------------------

  findRepo(accountId: number, name: string): RepoRow | undefined {
    return this.table.findRepo(accountId, name);
  }

  figures(repoId: number): RepoFigures {
    return this.table.figures(repoId);
  }

  /** Every snapshot file as received, recently deleted ones included. */
  receivedSnapshots(repoId: number): ObjectRow[] {
    return this.table.listByType(repoId, 'snapshots');
  }

  recentlyDeleted(repoId: number): ObjectRow[] {
    return this.table.listDeleted(repoId);
  }

  deletionAlerts(accountId: number, since: number): Array<DeletionAlertRow & { repo_name: string }> {
    return this.table.alerts(accountId, since);
  }

  // ---- reading -------------------------------------------------------------------------

  /** The live file's row, or a not_found refusal. */
  stat(account: StorageAccount, repo: string, type: FileType, name: string): ObjectRow {
    const row = this.table.get(this.repo(account, repo).id, type, name);
    if (!row || row.deleted_at !== null) throw new StorageRefusal('not_found', 'No such file.');
    return row;
  }

  async read(
    account: StorageAccount,
    repo: string,
    type: FileType,
    name: string,
    range?: ByteRange,
  ): Promise<Readable> {
    this.stat(account, repo, type, name);
    try {
      return await this.store.get(StorageService.key(account, repo, type, name), range);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) {
        throw new StorageRefusal('not_found', 'The file is listed but missing from the store.');
      }
      throw error;
    }
  }

  list(account: StorageAccount, repo: string, type: FileType): Array<{ name: string; size: number }> {
    return this.table.listLive(this.repo(account, repo).id, type);
  }

  // ---- writing -------------------------------------------------------------------------

  quotaBytes(accountId: number): number | null {
    return this.table.quota(accountId) ?? this.defaultQuotaBytes;
  }

  usedBytes(accountId: number): number {
    return this.table.accountBytes(accountId);
  }

  /**
   * Stores a new file: refused if the name is taken (403) or the account would pass its quota
   * (507, before a byte is read); the store checks size and hash before the name appears.
   */
  async write(
    account: StorageAccount,
    repo: string,
    type: FileType,
    name: string,
    body: Readable,
    size: number,
    writer: Writer,
  ): Promise<void> {
    const repoRow = this.repo(account, repo);
    const existing = this.table.get(repoRow.id, type, name);
    if (existing && existing.deleted_at === null) {
      throw new StorageRefusal(
        'exists',
        `${type === 'config' ? 'config' : `${type}/${name}`} already exists.`,
      );
    }
    if (existing) {
      // Recently deleted and sent again (a client re-uploading what its prune removed). Bytes named
      // by their hash are the same bytes: check the body and take the file back. Anything else
      // (config, keys, locks) is refused like any existing name.
      if (!isContentAddressed(type)) throw new StorageRefusal('exists', `${type}/${name} already exists.`);
      const check = new BodyCheck({ size, sha256: name });
      await pipeline(body, check, discard());
      check.verify();
      this.table.undelete(repoRow.id, type, name);
      return;
    }
    this.reserve(account.id, size);
    try {
      await this.store.putIfAbsent(StorageService.key(account, repo, type, name), body, {
        size,
        ...(isContentAddressed(type) ? { sha256: name } : {}),
      });
      this.table.insert({
        repo_id: repoRow.id,
        type,
        name,
        size,
        created_at: this.clock.now(),
        writer_id: writer.id,
        writer_name: writer.name,
      });
    } catch (error) {
      if (error instanceof ObjectExistsError) {
        throw new StorageRefusal('exists', `${type}/${name} already exists.`);
      }
      throw error;
    } finally {
      this.release(account.id, size);
    }
  }

  private reserve(accountId: number, size: number): void {
    const quota = this.quotaBytes(accountId);
    const inFlight = this.reserved.get(accountId) ?? 0;
    if (quota !== null && this.usedBytes(accountId) + inFlight + size > quota) {
      throw new StorageRefusal('quota', 'The storage quota of this account is full.');
    }
    this.reserved.set(accountId, inFlight + size);
  }

  private release(accountId: number, size: number): void {
    const left = (this.reserved.get(accountId) ?? 0) - size;
    if (left <= 0) this.reserved.delete(accountId);
    else this.reserved.set(accountId, left);
  }

  // ---- deleting ------------------------------------------------------------------------

  /**
   * A token's DELETE: the file moves to "recently deleted" and stays restorable for the grace
   * period. A lock the same token created is really removed (locks carry no backup data, and
   * every run of a client makes and removes one). Deleting a missing file is not an error, as
   * in rest-server, so retried requests stay harmless.
   */
  async deleteByToken(
    account: StorageAccount,
    repo: string,
    type: FileType,
    name: string,
    writer: Writer,
    ctx: RequestContext,
  ): Promise<void> {
    const repoRow = this.repo(account, repo);
    const row = this.table.get(repoRow.id, type, name);
    if (!row || row.deleted_at !== null) return;
    if (type === 'locks' && row.writer_id === writer.id) {
      this.table.remove(repoRow.id, type, name);
      await this.store.delete(StorageService.key(account, repo, type, name));
      return;
    }
    const now = this.clock.now();
    this.table.markDeleted(repoRow.id, type, name, now, writer);
    this.checkBurst(account.id, repoRow, now, ctx);
  }

  private checkBurst(accountId: number, repo: RepoRow, now: number, ctx: RequestContext): void {
    const last = this.table.lastAlertAt(repo.id);
    if (last !== null && last > now - DAY_MS) return;
    const deleted = this.table.deletedBytesSince(repo.id, now - DAY_MS);
    const figures = this.table.figures(repo.id);
    const total = figures.liveBytes + figures.deletedBytes;
    if (total === 0 || deleted <= this.burstShare * total) return;
    this.table.addAlert({
      repo_id: repo.id,
      at: now,
      deleted_bytes: deleted,
      repo_bytes: total,
      device: ctx.device,
    });
    this.audit.record(accountId, 'storage_deletion_burst', ctx);
  }

  /** Puts recently deleted files back (all of the repository's, or the ones named). */
  restore(account: StorageAccount, repo: string, files?: Array<{ type: FileType; name: string }>): number {
    const repoRow = this.repo(account, repo);
    const targets = files ?? this.table.listDeleted(repoRow.id);
    let n = 0;
    for (const f of targets) if (this.table.undelete(repoRow.id, f.type, f.name)) n++;
    return n;
  }

  /** Removes recently deleted files for good, now (the caller has re-authenticated the owner). */
  async purge(
    account: StorageAccount,
    repo: string,
    files?: Array<{ type: FileType; name: string }>,
  ): Promise<number> {
    const repoRow = this.repo(account, repo);
    const deleted = this.table.listDeleted(repoRow.id);
    const wanted = files ? new Set(files.map((f) => `${f.type}/${f.name}`)) : null;
    let n = 0;
    for (const row of deleted) {
      if (wanted && !wanted.has(`${row.type}/${row.name}`)) continue;
      await this.store.delete(StorageService.key(account, repo, row.type, row.name));
      this.table.remove(repoRow.id, row.type, row.name);
      n++;
    }
    return n;
  }

  /** Purges what has been recently deleted for longer than the grace period. */
  async sweep(usernameOf: (accountId: number) => string | undefined): Promise<number> {
    const cutoff = this.clock.now() - this.graceMs;
    let n = 0;
    for (;;) {
      const batch = this.table.expired(cutoff, 500);
      if (batch.length === 0) return n;
      for (const row of batch) {
        const username = usernameOf(row.account_id);
        if (username !== undefined) {
          await this.store.delete(
            StorageService.key({ id: row.account_id, username }, row.repo_name, row.type, row.name),
          );
        }
        this.table.remove(row.repo_id, row.type, row.name);
        n++;
      }
    }
  }
}

function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
}
