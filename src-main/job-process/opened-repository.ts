/**
 * The repository a session's job process keeps open between queries: its key (one key derivation for
 * the whole session), its index (read again when index files have appeared or gone since it was read,
 * after a backup by another job process or another computer) and its snapshot list (read again only
 * when the snapshot files changed). A held repository answers only a request for the exact location
 * and password it was opened with; any other request opens its own, and the one held is dropped.
 */
import crypto from 'node:crypto';
import { Repository, type Snapshot } from '../../src-engine/index';
import type { JobRequest, RepoLocation } from '../../src-shared/job-protocol';
import type { JobContext } from './job-context';
import { storageFor } from './repository-ops';

export type ListedSnapshot = Snapshot & { id: string };

/** The requests that open a repository with its password. */
type PasswordRequest = Extract<JobRequest, { password: string }>;

export interface SnapshotTotals {
  files: number;
  bytes: number;
}

/** The exact place, token included: another token may mean another account's view of the storage. */
function locationKey(location: RepoLocation): string {
  return location.kind === 'local'
    ? JSON.stringify(['local', location.path])
    : JSON.stringify(['account', location.url, location.token]);
}

function digest(password: string): Buffer {
  return crypto.createHash('sha256').update(password, 'utf8').digest();
}

export class OpenedRepository {
  /** Totals of snapshots whose summary lacks them, walked once in this session. */
  readonly walkedTotals = new Map<string, SnapshotTotals>();
  private snapshotNames = '';
  private snapshots: ListedSnapshot[] = [];

  constructor(
    readonly repo: Repository,
    private readonly location: string,
    private readonly passwordDigest: Buffer,
  ) {}

  /** Same place and same password (compared in constant time: it is a secret). */
  serves(request: PasswordRequest): boolean {
    return (
      locationKey(request.repo) === this.location &&
      crypto.timingSafeEqual(digest(request.password), this.passwordDigest)
    );
  }

  private indexing: Promise<void> | undefined;

  /**
   * The index as the repository has it now: read once, and again when its index files changed. One
   * read at a time: a query arriving while the index is being read waits for that read.
   */
  currentIndex(): Promise<void> {
    this.indexing ??= this.refreshIndex().finally(() => {
      this.indexing = undefined;
    });
    return this.indexing;
  }

  /**
   * Starts reading the index without waiting for it: after the backups list, the first folder a
   * person opens then finds it read. A failure here is the next query's to report.
   */
  warmIndex(): void {
    this.currentIndex().catch(() => undefined);
  }

  private async refreshIndex(): Promise<void> {
    const names = await this.repo.listNames('index');
    const loaded = new Set([...this.repo.indexFiles, ...this.repo.unreadableIndexFiles]);
    if (names.length !== loaded.size || names.some((n) => !loaded.has(n))) this.repo.clearIndex();
    await this.repo.loadIndex({ recover: false });
  }

  /** Every readable snapshot, oldest first; files already read are not read again (they never change). */
  async listSnapshots(): Promise<ListedSnapshot[]> {
    const names = (await this.repo.listNames('snapshots')).sort().join(',');
    if (names !== this.snapshotNames) {
      this.snapshots = await this.repo.listSnapshots();
      this.snapshotNames = names;
    }
    return this.snapshots;
  }
}

/** At most one opened repository, for the process's life. */
export class RepositoryHolder {
  private held: OpenedRepository | undefined;

  async open(request: PasswordRequest, ctx: JobContext): Promise<OpenedRepository> {
    if (this.held?.serves(request)) return this.held;
    // Dropped before the other is opened: one process never holds two repositories' keys.
    this.held = undefined;
    const repo = await Repository.open(storageFor(request.repo), request.password);
    ctx.throwIfCancelled();
    this.held = new OpenedRepository(repo, locationKey(request.repo), digest(request.password));
    return this.held;
  }
}
