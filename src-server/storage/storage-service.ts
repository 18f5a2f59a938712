/**
 * The account storage's rules, between the REST routes and the store: which names may be
 * written, create-only and checked; quotas (early on the announced size, and with the bytes of
 * uploads still in flight reserved); uploads that must keep a minimum pace; deletions by a token
 * kept as "recently deleted" for the grace period; the alerts deletions raise; the sweep that
 * purges them after; and the recovery of uploads a crash left half-way.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StorageDeletionAlert } from '../../src-shared/http-api';
import { KEY_FILE_MAX_BYTES, parseKeyFile, type KeyFile } from '../../src-shared/repository-key-files';
import type { AuditLog, RequestContext } from '../services/audit-log';
import type { Clock } from '../services/clock';
import { BodyCheck } from './body-check';
import {
  ObjectExistsError,
  ObjectNotFoundError,
  OUT_OF_SPACE,
  StoreFullError,
  type ByteRange,
  type ObjectStore,
} from './object-store';
import type {
  AlertKind,
  FileType,
  ObjectRow,
  ObjectTable,
  RepoFigures,
  RepoRow,
  Writer,
} from './object-table';
import { keyFamily, resticKeyProblem, type KeyFamily } from './key-file-check';
import { paced, type PaceOptions } from './upload-pace';

export const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
export const DEFAULT_GRACE_DAYS = 30;
/** More than this share of a repository's bytes deleted within a day is a burst worth an alert. */
export const DEFAULT_BURST_SHARE = 0.5;
/** More than this share of a repository's snapshots (or of its index bytes) deleted within a day is an alert. */
export const KIND_BURST_SHARE = 0.25;
/**
 * The quota counts every file as at least one 4 KiB block, which is what it takes on disk: without
 * it, 100,000 empty files cost nothing and 400 MiB of disk. The same number is in the object
 * table's triggers (migration 4).
 */
export const MIN_CHARGED_BYTES = 4096;
export const DEFAULT_MAX_REPOSITORIES = 100;
/**
 * Uploads of one account at once: restic opens 5 connections, the engine a few; this leaves room
 * for three computers backing up together, and keeps one account from holding every socket and
 * reservation of the server.
 */
export const DEFAULT_MAX_UPLOADS_PER_ACCOUNT = 16;
/**
 * Lock files of both clients are a few hundred bytes sealed (restic's: time, host, user, pid,
 * uid, gid; the engine's: host, pid, user, times, command). 16 KiB is fifty times that, and keeps
 * a token from storing bulk data under names the SHA-256 check does not cover.
 */
export const LOCK_FILE_MAX_BYTES = 16 * 1024;
/**
 * Live lock files per repository. Every client command lists and reads every lock; a hundred is
 * far more than concurrent clients ever hold, and keeps a flood of locks from slowing them all.
 */
export const MAX_LOCKS_PER_REPO = 100;
/**
 * Live key files per repository. restic gives up after trying 20 keys (maxKeys in its global.go):
 * with more, keys added by a stolen token could push the owner's own past that point.
 */
export const MAX_KEYS_PER_REPO = 20;
/** Rows per page of a listing: about a millisecond of work, then other requests get their turn. */
const LISTING_PAGE = 1000;

export const REPO_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const OBJECT_NAME_PATTERN = /^[0-9a-f]{64}$/;

/** Files named by the SHA-256 of their bytes in both clients (restic and the engine). */
export function isContentAddressed(type: FileType): boolean {
  return type === 'data' || type === 'index' || type === 'snapshots';
}

/** What the quota counts for a file of this size. */
export function chargedBytes(size: number): number {
  return Math.max(size, MIN_CHARGED_BYTES);
}

export type RefusalReason =
  'not_found' | 'exists' | 'quota' | 'bad_request' | 'range' | 'limit' | 'busy' | 'too_slow';

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
  maxRepositories?: number;
  maxUploadsPerAccount?: number;
  /** The slowest pace an upload may keep (null: none). */
  uploadPace?: PaceOptions | null;
}

/** A live key file and what its bytes are: a key file of one kind, or why they are none. */
export interface KeyFileEntry {
  row: ObjectRow;
  parsed: { ok: true; key: KeyFile } | { ok: false; reason: string };
}

/** What an administrator's or the owner's purge would remove, or removed. */
export interface PurgeSummary {
  repositories: Array<{ name: string; files: number; bytes: number; wholeRepository: boolean }>;
  files: number;
  bytes: number;
}

export class StorageService {
  readonly store: ObjectStore;
  readonly table: ObjectTable;
  readonly graceMs: number;
  readonly defaultQuotaBytes: number | null;
  readonly maxRepositories: number;
  private readonly clock: Clock;
  private readonly audit: AuditLog;
  private readonly burstShare: number;
  private readonly maxUploads: number;
  private readonly pace: PaceOptions | null;
  /** Bytes of uploads in flight per account: two parallel uploads cannot both fit the last gap. */
  private readonly reserved = new Map<number, number>();
  /** Uploads in flight per account. */
  private readonly uploading = new Map<number, number>();

  constructor(opts: StorageServiceOptions) {
    this.store = opts.store;
    this.table = opts.table;
    this.clock = opts.clock;
    this.audit = opts.audit;
    this.graceMs = (opts.graceDays ?? DEFAULT_GRACE_DAYS) * DAY_MS;
    this.defaultQuotaBytes = opts.defaultQuotaBytes ?? null;
    this.burstShare = opts.burstShare ?? DEFAULT_BURST_SHARE;
    this.maxRepositories = opts.maxRepositories ?? DEFAULT_MAX_REPOSITORIES;
    this.maxUploads = opts.maxUploadsPerAccount ?? DEFAULT_MAX_UPLOADS_PER_ACCOUNT;
    this.pace = opts.uploadPace === undefined ? null : opts.uploadPace;
  }

  static key(account: StorageAccount, repo: string, type: FileType, name: string): string {
    const base = `${account.username}/${repo}`;
    if (type === 'config') return `${base}/config`;
    // data/ has 256 subfolders as in restic's layout, so no folder holds millions of files.
    if (type === 'data') return `${base}/data/${name.slice(0, 2)}/${name}`;
    return `${base}/${type}/${name}`;
  }

  // ---- repositories --------------------------------------------------------------------

  /** POST ?create=true: the repository exists afterwards (again: no change), within the account's limit. */
  createRepo(account: StorageAccount, repo: string): RepoRow {
    const existing = this.table.findRepo(account.id, repo);
    if (existing?.deleted_at != null) {
      throw new StorageRefusal(
        'limit',
        `The repository ${repo} was deleted and is kept as recently deleted until its files are purged: restore it in the panel, or choose another name.`,
      );
    }
    if (existing) return existing;
    if (this.table.countRepos(account.id) >= this.maxRepositories) {
      throw new StorageRefusal(
        'limit',
        `This account already has ${this.maxRepositories} repositories, the most this server allows: delete one in the panel, or ask the server's administrator.`,
      );
    }
    return dbWrite(() => this.table.ensureRepo(account.id, repo, this.clock.now()));
  }

  /** The repository as the protocol sees it: one its owner deleted is not there. */
  private repo(account: StorageAccount, name: string): RepoRow {
    const row = this.table.findRepo(account.id, name);
    if (!row || row.deleted_at !== null)
      throw new StorageRefusal('not_found', `There is no repository ${name}.`);
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

  /**
   * The repository's first `maxKeys` live key files, each read and parsed (one larger than
   * KEY_FILE_MAX_BYTES, stored before the server checked key files, is not read), and its
   * first `maxLocks` live lock files (sealed: named only), with how many of each there are.
   */
  async keyAndLockFiles(
    account: StorageAccount,
    repo: string,
    maxKeys: number,
    maxLocks: number,
  ): Promise<{ keys: KeyFileEntry[]; keyFilesTotal: number; locks: ObjectRow[]; lockFilesTotal: number }> {
    const repoRow = this.repo(account, repo);
    const keys: KeyFileEntry[] = [];
    for (const row of this.table.listLive(repoRow.id, 'keys', maxKeys)) {
      if (row.size > KEY_FILE_MAX_BYTES) {
        keys.push({ row, parsed: { ok: false, reason: `larger than ${KEY_FILE_MAX_BYTES} bytes` } });
        continue;
      }
      const chunks: Buffer[] = [];
      try {
        if (row.size > 0) {
          const key = StorageService.key(account, repo, 'keys', row.name);
          // The range bounds the read whatever the store holds under the name.
          for await (const chunk of await this.store.get(key, { start: 0, end: row.size - 1 })) {
            chunks.push(chunk as Buffer);
          }
        }
      } catch (error) {
        if (!(error instanceof ObjectNotFoundError)) throw error;
        keys.push({ row, parsed: { ok: false, reason: 'listed but missing from the store' } });
        continue;
      }
      keys.push({ row, parsed: parseKeyFile(Buffer.concat(chunks)) });
    }
    return {
      keys,
      keyFilesTotal: this.table.counts(repoRow.id, 'keys').liveFiles,
      locks: this.table.listLive(repoRow.id, 'locks', maxLocks),
      lockFilesTotal: this.table.counts(repoRow.id, 'locks').liveFiles,
    };
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

  /**
   * The live files of one type, a page at a time with a turn of the event loop between pages: a
   * listing of 100,000 files does not hold up the server's other requests.
   */
  async *list(
    account: StorageAccount,
    repo: string,
    type: FileType,
  ): AsyncGenerator<Array<{ name: string; size: number }>> {
    const repoId = this.repo(account, repo).id;
    let after = '';
    for (;;) {
      const page = this.table.listLivePage(repoId, type, after, LISTING_PAGE);
      if (page.length > 0) yield page;
      if (page.length < LISTING_PAGE) return;
      after = page[page.length - 1]!.name;
      await nextTurn();
    }
  }

  // ---- writing -------------------------------------------------------------------------

  quotaBytes(accountId: number): number | null {
    return this.table.quota(accountId) ?? this.defaultQuotaBytes;
  }

  /** What the quota counts: every stored file, recently deleted ones too, each at least 4 KiB. */
  usedBytes(accountId: number): number {
    return this.table.accountBytes(accountId);
  }

  /**
   * Stores a new file: refused if the name is taken (403) or the account would pass its quota
   * (507, before a byte is read); the store checks size and hash before the name appears. The
   * same bytes sent again under their own hash (a retry whose answer was lost) are answered as
   * stored. `onHeldBack` hears when the server stops reading the body for the store's sake.
   */
  async write(
    account: StorageAccount,
    repo: string,
    type: FileType,
    name: string,
    body: Readable,
    size: number,
    writer: Writer,
    onHeldBack?: (held: boolean) => void,
  ): Promise<void> {
    const repoRow = this.repo(account, repo);
    const label = type === 'config' ? 'config' : `${type}/${name}`;
    const existing = this.table.get(repoRow.id, type, name);
    if (existing) {
      // Bytes named by their hash are the same bytes: check the body, then take a recently deleted
      // file back, or confirm a live one. Anything else (config, keys, locks) is never replaced.
      if (!isContentAddressed(type) || existing.size !== size) {
        throw new StorageRefusal('exists', `${label} already exists.`);
      }
      // An upload like any other while it lasts (a slot, the pace), though it stores nothing new.
      const release = this.admit(account.id, 0);
      try {
        await this.verifyOnly(this.pace ? paced(body, this.pace, onHeldBack) : body, size, name);
      } finally {
        release();
      }
      if (existing.deleted_at !== null) dbWrite(() => this.table.undelete(repoRow.id, type, name));
      return;
    }
    this.checkSmallFile(repoRow, type, size);
    const release = this.admit(account.id, chargedBytes(size));
    let uploadId: number;
    try {
      uploadId = dbWrite(() =>
        this.table.beginUpload({
          repo_id: repoRow.id,
          type,
          name,
          size,
          started_at: this.clock.now(),
          writer_id: writer.id,
          writer_name: writer.name,
        }),
      );
    } catch (error) {
      release();
      throw error;
    }
    const key = StorageService.key(account, repo, type, name);
    try {
      let source = this.pace ? paced(body, this.pace, onHeldBack) : body;
      if (type === 'keys')
        source = Readable.from([await this.checkedKeyFile(account, repoRow, source, size)]);
      try {
        await this.store.putIfAbsent(key, source, {
          size,
          ...(isContentAddressed(type) ? { sha256: name } : {}),
        });
      } catch (error) {
        if (!(error instanceof ObjectExistsError) || !isContentAddressed(type)) throw error;
        // Another upload of the same name committed first (a retry racing its original, or an
        // object a crash left without its row): the same bytes, once this body is shown to be them.
        if (!error.verified) await this.verifyOnly(source, size, name);
      }
      this.addRow(repoRow, type, name, size, writer, key);
    } catch (error) {
      if (error instanceof ObjectExistsError) throw new StorageRefusal('exists', `${label} already exists.`);
      throw error;
    } finally {
      release();
      // The row is gone once the object has its row, or was refused; a crash leaves it for recover().
      try {
        this.table.endUpload(uploadId);
      } catch {
        // A full database: recover() at the next start settles it.
      }
    }
  }

  private addRow(
    repo: RepoRow,
    type: FileType,
    name: string,
    size: number,
    writer: Writer,
    key: string,
  ): void {
    const now = this.clock.now();
    try {
      dbWrite(() => {
        const added = this.table.insert({
          repo_id: repo.id,
          type,
          name,
          size,
          created_at: now,
          writer_id: writer.id,
          writer_name: writer.name,
        });
        if (added) this.table.recordActivity(repo.id, type, Math.floor(now / HOUR_MS), 'written', 1, size);
      });
    } catch (error) {
      // The object is stored but cannot be listed: remove it, so the quota and the store agree.
      if (error instanceof StoreFullError) void this.store.delete(key).catch(() => undefined);
      throw error;
    }
  }

  /** Reads the body through the size and hash check, storing nothing. */
  private async verifyOnly(body: Readable, size: number, sha256: string): Promise<void> {
    const check = new BodyCheck({ size, sha256 });
    await pipeline(body, check, discard());
    check.verify();
  }

  /**
   * Key and lock files are not named by their hash, so nothing else checks what they hold: both
   * are small and bounded in number per repository, and a key file must be one a client can use.
   */
  private checkSmallFile(repo: RepoRow, type: FileType, size: number): void {
    if (type !== 'locks' && type !== 'keys') return;
    const [what, maxBytes, maxFiles, advice] =
      type === 'locks'
        ? [
            'lock file',
            LOCK_FILE_MAX_BYTES,
            MAX_LOCKS_PER_REPO,
            'remove stale ones (restic unlock, strongroom-backup unlock) first',
          ]
        : [
            'key file',
            KEY_FILE_MAX_BYTES,
            MAX_KEYS_PER_REPO,
            'remove one you no longer use (restic key remove, strongroom-backup key remove) first',
          ];
    if (size > maxBytes) {
      throw new StorageRefusal(
        'bad_request',
        `A ${what} is at most ${maxBytes} bytes; this one would be ${size}.`,
      );
    }
    if (this.table.counts(repo.id, type).liveFiles >= maxFiles) {
      throw new StorageRefusal('limit', `This repository already holds ${maxFiles} ${what}s: ${advice}.`);
    }
  }

  /**
   * Reads a key file (at most KEY_FILE_MAX_BYTES) and refuses it unless every client of the
   * repository can get past it: restic's key or one of the engine's kinds, scrypt inside the shared
   * bound, of the same family as the repository's other keys, and for restic in the exact form its
   * parser takes. Anything else would make a client fail to open the repository (restic stops at
   * the first key file it cannot read), or allocate gigabytes trying.
   */
  private async checkedKeyFile(
    account: StorageAccount,
    repo: RepoRow,
    body: Readable,
    size: number,
  ): Promise<Buffer> {
    const check = new BodyCheck({ size });
    const chunks: Buffer[] = [];
    // pipeline, not pipe: a body that fails (too slow, cut off) must end the read with its error.
    await pipeline(
      body,
      check,
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          chunks.push(chunk);
          callback();
        },
      }),
    );
    check.verify();
    const bytes = Buffer.concat(chunks);
    const refuse = (reason: string) =>
      new StorageRefusal(
        'bad_request',
        `Not a key file restic or Strongroom can use (${reason}): nothing was stored.`,
      );
    const parsed = parseKeyFile(bytes);
    if (!parsed.ok) throw refuse(parsed.reason);
    if (parsed.key.kind === 'restic') {
      const problem = resticKeyProblem(bytes.toString('utf8'), parsed.key.file);
      if (problem) throw refuse(`restic could not read it: ${problem}`);
    }
    const family = keyFamily(parsed.key);
    const existing = await this.repoKeyFamily(account, repo);
    if (existing !== null && existing !== family) {
      throw refuse(
        `this repository's key files are ${existing === 'restic' ? "restic's" : "Strongroom's"}, and restic stops at a key file of another kind`,
      );
    }
    return bytes;
  }

  /** The family of the repository's first live key file that is a key file (null: none yet). */
  private async repoKeyFamily(account: StorageAccount, repo: RepoRow): Promise<KeyFamily | null> {
    for (const { name } of this.table.listLivePage(repo.id, 'keys', '', MAX_KEYS_PER_REPO)) {
      try {
        const stream = await this.store.get(StorageService.key(account, repo.name, 'keys', name));
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        const parsed = parseKeyFile(Buffer.concat(chunks));
        // Stored before the server checked key files, perhaps: the next one tells.
        if (parsed.ok) return keyFamily(parsed.key);
      } catch (error) {
        if (!(error instanceof ObjectNotFoundError)) throw error;
      }
    }
    return null;
  }

  /** Takes an upload slot and reserves its bytes against the quota; the returned function gives both back. */
  private admit(accountId: number, bytes: number): () => void {
    const running = this.uploading.get(accountId) ?? 0;
    if (running >= this.maxUploads) {
      throw new StorageRefusal(
        'busy',
        `This account already has ${this.maxUploads} uploads in progress: try again when one has finished.`,
      );
    }
    const quota = this.quotaBytes(accountId);
    const inFlight = this.reserved.get(accountId) ?? 0;
    if (bytes > 0 && quota !== null && this.usedBytes(accountId) + inFlight + bytes > quota) {
      throw new StorageRefusal('quota', 'The storage quota of this account is full.');
    }
    this.reserved.set(accountId, inFlight + bytes);
    this.uploading.set(accountId, running + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      decrement(this.reserved, accountId, bytes);
      decrement(this.uploading, accountId, 1);
    };
  }

  /** Bytes reserved by the account's uploads in flight (the panel and tests read it). */
  reservedBytes(accountId: number): number {
    return this.reserved.get(accountId) ?? 0;
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
      dbWrite(() => this.table.remove(repoRow.id, type, name));
      await this.store.delete(StorageService.key(account, repo, type, name));
      return;
    }
    const now = this.clock.now();
    dbWrite(() => {
      if (!this.table.markDeleted(repoRow.id, type, name, now, writer)) return;
      this.table.recordActivity(repoRow.id, type, Math.floor(now / HOUR_MS), 'deleted', 1, row.size);
      this.checkAlerts(account.id, repoRow, row, now, ctx);
    });
  }

  /**
   * Deletions worth telling the owner about, from the counters (never a scan of the repository):
   * config or a key at once (without them the packs cannot be read); more than a quarter of the
   * snapshots within a day; more than a quarter of the index bytes within a day, net of the index
   * written meanwhile (every prune rewrites the whole index, and `repair index` rebuilds it from
   * the packs); more than half of all bytes within a day.
   */
  private checkAlerts(
    accountId: number,
    repo: RepoRow,
    row: ObjectRow,
    now: number,
    ctx: RequestContext,
  ): void {
    const type = row.type;
    const alert = (
      kind: AlertKind,
      figures: { deletedBytes: number; repoBytes: number; deletedFiles: number; repoFiles: number },
    ) => {
      this.table.addAlert({
        repo_id: repo.id,
        at: now,
        kind,
        deleted_bytes: figures.deletedBytes,
        repo_bytes: figures.repoBytes,
        deleted_files: figures.deletedFiles,
        repo_files: figures.repoFiles,
        device: ctx.device,
      });
      this.audit.record(accountId, 'storage_deletion_burst', ctx);
    };
    const lastDay = (kind: AlertKind) => {
      const last = this.table.lastAlertAt(repo.id, kind);
      return last !== null && last > now - DAY_MS;
    };
    const totals = this.table.figures(repo.id);
    const repoBytes = totals.liveBytes + totals.deletedBytes;
    const repoFiles = totals.liveFiles + totals.deletedFiles;

    if (type === 'config' || type === 'keys') {
      const counts = this.table.counts(repo.id, type);
      alert(type, {
        deletedBytes: row.size,
        repoBytes,
        deletedFiles: 1,
        repoFiles: counts.liveFiles + 1,
      });
    }
    const activity = this.table.activitySince(repo.id, Math.floor(now / HOUR_MS) - 23);
    if ((type === 'snapshots' || type === 'index') && !lastDay(type)) {
      const a = activity.get(type);
      const live = this.table.counts(repo.id, type);
      if (a && type === 'snapshots') {
        // Counted against the snapshots there were a day ago, so uploading junk first hides nothing.
        const before = live.liveFiles - a.writtenFiles + a.deletedFiles;
        if (a.deletedFiles > KIND_BURST_SHARE * before) {
          alert('snapshots', {
            deletedBytes: a.deletedBytes,
            repoBytes,
            deletedFiles: a.deletedFiles,
            repoFiles: before,
          });
        }
      } else if (a) {
        const before = live.liveBytes - a.writtenBytes + a.deletedBytes;
        if (a.deletedBytes - a.writtenBytes > KIND_BURST_SHARE * before) {
          alert('index', {
            deletedBytes: a.deletedBytes,
            repoBytes: before,
            deletedFiles: a.deletedFiles,
            repoFiles: live.liveFiles + a.deletedFiles,
          });
        }
      }
    }
    if (!lastDay('bytes')) {
      let deleted = 0;
      let deletedFiles = 0;
      for (const a of activity.values()) {
        deleted += a.deletedBytes;
        deletedFiles += a.deletedFiles;
      }
      if (repoBytes > 0 && deleted > this.burstShare * repoBytes) {
        alert('bytes', { deletedBytes: deleted, repoBytes, deletedFiles, repoFiles });
      }
    }
  }

  /** The account's deletion alerts of the last 30 days, newest first, as the panel shows them. */
  deletionAlerts(accountId: number): StorageDeletionAlert[] {
    return this.table.alerts(accountId, this.clock.now() - 30 * DAY_MS).map((a) => ({
      repository: a.repo_name,
      at: new Date(a.at).toISOString(),
      kind: a.kind,
      deletedBytes: a.deleted_bytes,
      repositoryBytes: a.repo_bytes,
      deletedFiles: a.deleted_files,
      repositoryFiles: a.repo_files,
      device: a.device,
    }));
  }

  /**
   * Puts recently deleted files back (all of the repository's, or the ones named), a page at a
   * time with a turn of the event loop between pages.
   */
  async restore(
    account: StorageAccount,
    repo: string,
    files?: Array<{ type: FileType; name: string }>,
  ): Promise<number> {
    const repoRow = this.table.findRepo(account.id, repo);
    if (!repoRow) throw new StorageRefusal('not_found', `There is no repository ${repo}.`);
    let n = 0;
    const undelete = (page: Array<{ type: FileType; name: string }>) =>
      dbWrite(() => {
        for (const f of page) if (this.table.undelete(repoRow.id, f.type, f.name)) n++;
      });
    if (files) {
      for (let i = 0; i < files.length; i += LISTING_PAGE) {
        undelete(files.slice(i, i + LISTING_PAGE));
        await nextTurn();
      }
    } else {
      for (let after = null as { type: FileType; name: string } | null; ;) {
        const page = this.table.listDeletedPage(repoRow.id, after, LISTING_PAGE);
        if (page.length === 0) break;
        undelete(page);
        after = page[page.length - 1]!;
        await nextTurn();
      }
    }
    // A repository its owner deleted comes back with its files.
    if (repoRow.deleted_at !== null && n > 0) this.table.markRepoDeleted(repoRow.id, null);
    return n;
  }

  /**
   * The owner deletes a whole repository: every live file moves to recently deleted (restorable
   * until the grace period ends, like a token's deletions), and the repository disappears from
   * the protocol. The caller has re-authenticated the owner.
   */
  async deleteRepository(account: StorageAccount, repo: string, by: Writer): Promise<number> {
    const repoRow = this.repo(account, repo);
    const now = this.clock.now();
    let n = 0;
    for (const type of ['config', 'keys', 'locks', 'snapshots', 'index', 'data'] as const) {
      for (;;) {
        const page = this.table.listLivePage(repoRow.id, type, '', LISTING_PAGE);
        if (page.length === 0) break;
        dbWrite(() => {
          for (const f of page) if (this.table.markDeleted(repoRow.id, type, f.name, now, by)) n++;
        });
        await nextTurn();
      }
    }
    dbWrite(() => this.table.markRepoDeleted(repoRow.id, now));
    return n;
  }

  /**
   * The owner removes one live key or lock file (one that locks clients out, a stale lock): a key
   * file moves to recently deleted like a token's deletion, restorable, without an alert (the
   * owner did it, and the audit log says so); a lock file holds no backup data and is removed.
   * The caller has checked a fresh sign-in and the code. Returns 1, or 0 for no such live file.
   */
  async removeByOwner(
    account: StorageAccount,
    repo: string,
    type: 'keys' | 'locks',
    name: string,
    by: Writer,
  ): Promise<number> {
    const repoRow = this.repo(account, repo);
    const row = this.table.get(repoRow.id, type, name);
    if (!row || row.deleted_at !== null) return 0;
    if (type === 'locks') {
      dbWrite(() => this.table.remove(repoRow.id, type, name));
      await this.store.delete(StorageService.key(account, repo, type, name));
      return 1;
    }
    return dbWrite(() => (this.table.markDeleted(repoRow.id, type, name, this.clock.now(), by) ? 1 : 0));
  }

  /**
   * Removes recently deleted files for good, now (the caller has re-authenticated the owner):
   * all of them, the ones named, or (a delayed purge) those deleted by `deletedUpTo`, so a file
   * deleted after the owner asked still gets its grace period.
   */
  async purge(
    account: StorageAccount,
    repo: string,
    files?: Array<{ type: FileType; name: string }>,
    deletedUpTo?: number,
  ): Promise<number> {
    const repoRow = this.table.findRepo(account.id, repo);
    if (!repoRow) throw new StorageRefusal('not_found', `There is no repository ${repo}.`);
    const deleted = this.table.listDeleted(repoRow.id);
    const wanted = files ? new Set(files.map((f) => `${f.type}/${f.name}`)) : null;
    let n = 0;
    for (const row of deleted) {
      if (wanted && !wanted.has(`${row.type}/${row.name}`)) continue;
      if (deletedUpTo !== undefined && row.deleted_at! > deletedUpTo) continue;
      await this.store.delete(StorageService.key(account, repo, row.type, row.name));
      this.table.remove(repoRow.id, row.type, row.name);
      n++;
    }
    // A repository its owner deleted goes once nothing of it is left (dropping it drops its rows).
    const left = this.table.figures(repoRow.id);
    if (repoRow.deleted_at !== null && left.liveFiles === 0 && left.deletedFiles === 0) {
      this.table.dropRepo(repoRow.id);
    }
    return n;
  }

  /**
   * A purge carried out later by the sweep (the owner without two-factor authentication: the
   * delay is the time to notice and cancel). Returns when it will run.
   */
  requestPurge(
    account: StorageAccount,
    repo: string,
    files: Array<{ type: FileType; name: string }> | undefined,
    requestedBy: string | null,
    delayMs = DAY_MS,
  ): { id: number; dueAt: number } {
    const repoRow = this.table.findRepo(account.id, repo);
    if (!repoRow) throw new StorageRefusal('not_found', `There is no repository ${repo}.`);
    const now = this.clock.now();
    const id = this.table.addPurgeRequest({
      repo_id: repoRow.id,
      requested_at: now,
      due_at: now + delayMs,
      files: files === undefined ? null : JSON.stringify(files),
      requested_by: requestedBy,
    });
    return { id, dueAt: now + delayMs };
  }

  /** The repository's purges waiting for their time. */
  pendingPurges(
    account: StorageAccount,
    repo: string,
  ): Array<{ id: number; requestedAt: number; dueAt: number; files: number | null }> {
    const repoRow = this.table.findRepo(account.id, repo);
    if (!repoRow) return [];
    return this.table.purgeRequests(repoRow.id).map((p) => ({
      id: p.id,
      requestedAt: p.requested_at,
      dueAt: p.due_at,
      files: p.files === null ? null : (JSON.parse(p.files) as unknown[]).length,
    }));
  }

  /** Cancels every purge waiting on the repository; the number cancelled. */
  cancelPurges(account: StorageAccount, repo: string): number {
    const repoRow = this.table.findRepo(account.id, repo);
    return repoRow ? this.table.cancelPurgeRequests(repoRow.id) : 0;
  }

  /**
   * The administrator's purge: the recently deleted files of the account (or of one repository),
   * or with `wholeRepository` every file of that repository and the repository itself. With
   * `dryRun`, only says what it would remove.
   */
  async adminPurge(
    account: StorageAccount,
    opts: { repo?: string; wholeRepository?: boolean; dryRun: boolean },
  ): Promise<PurgeSummary> {
    if (opts.wholeRepository && opts.repo === undefined) {
      throw new StorageRefusal('bad_request', 'Deleting a whole repository needs its name.');
    }
    let repos: RepoRow[];
    if (opts.repo === undefined) repos = this.table.listRepos(account.id);
    else {
      const repo = this.table.findRepo(account.id, opts.repo);
      if (!repo) throw new StorageRefusal('not_found', `There is no repository ${opts.repo}.`);
      repos = [repo];
    }
    const summary: PurgeSummary = { repositories: [], files: 0, bytes: 0 };
    for (const repo of repos) {
      const rows = opts.wholeRepository
        ? (['config', 'keys', 'locks', 'snapshots', 'index', 'data'] as const).flatMap((t) =>
            this.table.listByType(repo.id, t),
          )
        : this.table.listDeleted(repo.id);
      const bytes = rows.reduce((sum, r) => sum + r.size, 0);
      if (rows.length === 0 && !opts.wholeRepository) continue;
      summary.repositories.push({
        name: repo.name,
        files: rows.length,
        bytes,
        wholeRepository: opts.wholeRepository ?? false,
      });
      summary.files += rows.length;
      summary.bytes += bytes;
      if (opts.dryRun) continue;
      for (const row of rows) {
        await this.store.delete(StorageService.key(account, repo.name, row.type, row.name));
        this.table.remove(repo.id, row.type, row.name);
      }
      if (opts.wholeRepository) this.table.dropRepo(repo.id);
    }
    return summary;
  }

  /**
   * Purges what has been recently deleted for longer than the grace period, and the purges whose
   * time has come. A repository's last config or key is kept while any pack remains: without it
   * the packs could never be read again.
   */
  async sweep(usernameOf: (accountId: number) => string | undefined): Promise<number> {
    const now = this.clock.now();
    let n = 0;
    for (const request of this.table.duePurgeRequests(now)) {
      const username = usernameOf(request.account_id);
      if (username !== undefined) {
        const files =
          request.files === null
            ? undefined
            : (JSON.parse(request.files) as Array<{ type: FileType; name: string }>);
        n += await this.purge(
          { id: request.account_id, username },
          request.repo_name,
          files,
          request.requested_at,
        );
      }
      this.table.removePurgeRequest(request.id);
    }
    const cutoff = now - this.graceMs;
    const remove = async (row: ObjectRow & { account_id: number; repo_name: string }) => {
      const username = usernameOf(row.account_id);
      if (username !== undefined) {
        await this.store.delete(
          StorageService.key({ id: row.account_id, username }, row.repo_name, row.type, row.name),
        );
      }
      this.table.remove(row.repo_id, row.type, row.name);
      n++;
    };
    // Packs, indexes, snapshots and locks first, so a repository whose packs all went may then
    // lose its config and keys in the same sweep.
    for (;;) {
      const batch = this.table.expired(cutoff, 500, { except: ['config', 'keys'] });
      if (batch.length === 0) break;
      for (const row of batch) await remove(row);
    }
    let kept = 0;
    for (;;) {
      const batch = this.table.expired(cutoff, 500, { only: ['config', 'keys'] }, kept);
      if (batch.length === 0) break;
      for (const row of batch) {
        const packs = this.table.counts(row.repo_id, 'data');
        const last = this.table.counts(row.repo_id, row.type).liveFiles === 0;
        if (last && packs.liveFiles + packs.deletedFiles > 0) kept++;
        else await remove(row);
      }
    }
    for (const repo of this.table.emptyDeletedRepos()) this.table.dropRepo(repo.id);
    this.table.forgetActivity(Math.floor(now / HOUR_MS) - 48);
    return n;
  }

  // ---- after a restart -----------------------------------------------------------------

  /**
   * At start: removes the temporary files a crash left, and settles the uploads that were in
   * flight: an object the store committed gets its row (its bytes were checked before the
   * commit), an unfinished one is cleaned from the store.
   */
  async recover(
    usernameOf: (accountId: number) => string | undefined,
  ): Promise<{ temporary: number; committed: number; abandoned: number }> {
    const temporary = await this.store.removeTemporary();
    let committed = 0;
    let abandoned = 0;
    for (const upload of this.table.uploads()) {
      const repo = this.table.repoById(upload.repo_id);
      const username = repo && usernameOf(repo.account_id);
      if (!repo || username === undefined) {
        this.table.endUpload(upload.id);
        continue;
      }
      const key = StorageService.key({ id: repo.account_id, username }, repo.name, upload.type, upload.name);
      try {
        const stored = await this.store.stat(key);
        if (stored && stored.size === upload.size && !this.table.get(repo.id, upload.type, upload.name)) {
          this.table.insert({
            repo_id: repo.id,
            type: upload.type,
            name: upload.name,
            size: upload.size,
            created_at: upload.started_at,
            writer_id: upload.writer_id,
            writer_name: upload.writer_name,
          });
          committed++;
        } else if (!stored) {
          await this.store.abandon(key);
          abandoned++;
        }
        this.table.endUpload(upload.id);
      } catch (error) {
        // The store is unreachable: the server starts anyway, and the next start tries again.
        process.stderr.write(`storage: could not settle the upload of ${key}: ${(error as Error).message}\n`);
      }
    }
    return { temporary, committed, abandoned };
  }
}

function decrement(map: Map<number, number>, key: number, by: number): void {
  const left = (map.get(key) ?? 0) - by;
  if (left <= 0) map.delete(key);
  else map.set(key, left);
}

/**
 * Runs a database write; SQLite's "database or disk is full" becomes the store's out-of-space
 * refusal (507, in the server's words, not the quota's).
 */
export function dbWrite<T>(write: () => T): T {
  try {
    return write();
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_FULL') {
      throw new StoreFullError(OUT_OF_SPACE);
    }
    throw error;
  }
}

function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
}
