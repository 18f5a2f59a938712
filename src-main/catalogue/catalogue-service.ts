/**
 * The file catalogue as main sees it: "find a file in every backup" (search), its versions, what
 * changed between two backups, each vault's catalogue status, and keeping the catalogues up to
 * date. Updates are jobs of kind 'catalogue' in the JobQueue (one job per vault at a time, in the
 * History, with progress): the job process writes the catalogue file, main only reads it.
 *
 * Each backup brings the catalogue up to date itself, as its last phase (in its own job process).
 * An update job is queued after a backup or retention run that changed the backups without that
 * phase, at unlock for vaults never catalogued (whose password is available), and when main finds
 * a catalogue damaged (then as a rebuild; a damaged file is never read from). A vault's catalogue
 * is deleted when the vault is removed from the configuration (and any left over at start-up).
 *
 * Every read goes through `reads` (the catalogue worker thread, which holds the readers), so a long
 * query never stops main's event loop; the answers are promises.
 */
import fs from 'node:fs';
import type { BackupConfig, Vault } from '../../src-shared/backup-config';
import type { JobRecord, JobTrigger } from '../../src-shared/backup-jobs';
import type {
  CatalogueMatch,
  CatalogueSearchResult,
  CatalogueStatus,
  ChannelInput,
  FileVersions,
  SnapshotDiff,
} from '../../src-shared/ipc-contract';
import type { BackupConfigStore } from '../services/backup/backup-config-store';
import type { JobHistoryStore } from '../services/backup/job-history-store';
import type { JobQueue } from '../services/backup/job-queue';
import type { VaultService } from '../services/backup/vault-service';
import { ServiceError } from '../services/service-error';
import {
  CatalogueUnusableError,
  catalogueFileFor,
  deleteCatalogueFiles,
  vaultIdOfCatalogueFile,
} from './catalogue-file';
import type { CatalogueAnswer, CatalogueQuery } from './worker-protocol';
import { compileSearchPattern } from './search-pattern';

export const DEFAULT_SEARCH_LIMIT = 200;
export const DEFAULT_DIFF_LIMIT = 1000;

/** Jobs after which a vault's backups may have changed. */
const CHANGING_KINDS = ['backup', 'retention'] as const;
const CHANGED_STATUSES = ['success', 'warning'] as const;

/** A backup whose search-index phase brought the catalogue up to date with what it changed. */
function catalogueUpdatedBy(job: JobRecord): boolean {
  return job.phases.some((p) => p.phase === 'catalogue' && p.status === 'success');
}

/** Answers queries on catalogue files away from main's event loop (CatalogueWorkerThread). */
export interface CatalogueReads {
  query<Q extends CatalogueQuery>(file: string, query: Q): Promise<CatalogueAnswer<Q>>;
  /** Forget any open reader of the file (it was replaced or deleted). */
  close(file: string): void;
  dispose(): Promise<void>;
}

export interface CatalogueServiceOptions {
  /** The app's data directory: catalogues are <dataDir>/catalogue-<vault id>.sqlite. */
  dataDir: string;
  config: BackupConfigStore;
  vaults: Pick<VaultService, 'find' | 'get' | 'repoLocation'>;
  queue: JobQueue;
  history: JobHistoryStore;
  reads: CatalogueReads;
  log?: (message: string) => void;
}

export class CatalogueService {
  /** Vaults whose catalogue main found unreadable; cleared by the next successful update. */
  private readonly damaged = new Set<string>();
  /**
   * Vaults whose catalogue is sound but of another schema version (every catalogue after an update
   * that changes the tables): rebuilt like a damaged one, but shown as not built yet, not as damaged.
   */
  private readonly otherVersion = new Set<string>();
  /** Queued catalogue jobs that rebuild from scratch. */
  private readonly rebuildJobs = new Set<string>();
  private readonly disposers: (() => void)[] = [];

  constructor(private readonly o: CatalogueServiceOptions) {}

  /** Listens to the queue and the configuration; deletes catalogues of vaults that no longer exist. */
  start(): void {
    this.disposers.push(this.o.queue.onChanged((job) => this.jobChanged(job)));
    this.disposers.push(this.o.config.onChange((config) => this.deleteOrphans(config)));
    try {
      this.deleteOrphans(this.o.config.get());
    } catch {
      // An invalid configuration: nothing is deleted until it can be read.
    }
  }

  dispose(): void {
    for (const d of this.disposers.splice(0)) d();
    void this.o.reads.dispose();
  }

  async status(): Promise<CatalogueStatus[]> {
    const vaults = this.o.config.get().vaults;
    const out: CatalogueStatus[] = [];
    for (const v of vaults) out.push(await this.vaultStatus(v));
    return out;
  }

  async search(input: ChannelInput<'catalogue:search'>): Promise<CatalogueSearchResult> {
    const config = this.o.config.get();
    const vaults = input.vaultId ? [this.o.vaults.find(input.vaultId)] : config.vaults;
    const limit = input.limit ?? DEFAULT_SEARCH_LIMIT;
    let pattern;
    try {
      pattern = compileSearchPattern(input.query);
    } catch (error) {
      throw new ServiceError('bad_request', (error as Error).message);
    }
    const matches: CatalogueMatch[] = [];
    const incompleteVaults: string[] = [];
    let truncated = false;
    for (const vault of vaults) {
      if ((await this.vaultStatus(vault)).state !== 'ready') incompleteVaults.push(vault.id);
      const found = await this.read(vault.id, { op: 'search', pattern, limit: limit - matches.length + 1 });
      if (!found) continue;
      for (const hit of found.hits) {
        if (matches.length === limit) {
          truncated = true;
          break;
        }
        matches.push({
          vaultId: vault.id,
          vaultName: vault.name,
          itemId: hit.itemId,
          itemName: config.items.find((i) => i.id === hit.itemId)?.name ?? null,
          path: hit.path,
          type: hit.type,
          versionCount: hit.versionCount,
          lastSeen: hit.lastSeen,
          inLatest: hit.inLatest,
        });
      }
      if (found.truncated) truncated = true;
      if (truncated) break;
    }
    return { matches, truncated, incompleteVaults };
  }

  async versions(input: ChannelInput<'catalogue:versions'>): Promise<FileVersions> {
    this.o.vaults.find(input.vaultId);
    const found = await this.read(input.vaultId, {
      op: 'versions',
      itemId: input.itemId,
      path: input.path,
    });
    return {
      vaultId: input.vaultId,
      itemId: input.itemId,
      path: input.path,
      versions: found?.versions ?? [],
      absences: found?.absences ?? [],
    };
  }

  async diff(input: ChannelInput<'catalogue:diff'>): Promise<SnapshotDiff> {
    this.o.vaults.find(input.vaultId);
    const found = await this.read(input.vaultId, {
      op: 'diff',
      fromSnapshotId: input.fromSnapshotId,
      toSnapshotId: input.toSnapshotId,
      limit: input.limit ?? DEFAULT_DIFF_LIMIT,
    });
    if (!found) {
      throw new ServiceError(
        'not_found',
        'This vault has no search index yet: it is being built (see History), then try again.',
      );
    }
    return found;
  }

  /** "Update catalogue" / "Rebuild catalogue": a catalogue job for the vault (the waiting one if any). */
  update(vaultId: string, rebuild: boolean, trigger: JobTrigger = 'manual'): { jobId: string } {
    const vault = this.o.vaults.find(vaultId);
    const waiting = this.activeJob(vaultId, 'waiting');
    if (waiting && (this.rebuildJobs.has(waiting.id) || !rebuild)) return { jobId: waiting.id };
    const file = catalogueFileFor(this.o.dataDir, vault.id);
    const job = this.o.queue.enqueue({
      kind: 'catalogue',
      trigger,
      vaultId: vault.id,
      vaultName: vault.name,
      itemId: null,
      itemName: null,
      request: async (password) => ({
        op: 'catalogue',
        repo: await this.o.vaults.repoLocation(vault),
        password,
        catalogueFile: file,
        rebuild,
      }),
    });
    if (rebuild) this.rebuildJobs.add(job.id);
    return { jobId: job.id };
  }

  /**
   * At unlock: vaults whose catalogue was never built get one, where their password is at hand; an
   * existing one is opened once, so that one of another version (after an update) or damaged is
   * rebuilt now rather than when Restore is next opened.
   */
  async catalogueNew(): Promise<void> {
    let vaults: Vault[];
    try {
      vaults = this.o.config.get().vaults;
    } catch {
      return;
    }
    for (const vault of vaults) {
      if (this.activeJob(vault.id)) continue;
      const password = await this.o.vaults.get(vault.id).catch(() => null);
      if (password === null) continue;
      if (fs.existsSync(catalogueFileFor(this.o.dataDir, vault.id))) {
        await this.read(vault.id, { op: 'info' }).catch(() => null);
        continue;
      }
      try {
        this.update(vault.id, false, 'catch-up');
      } catch (error) {
        this.o.log?.(`catalogue not queued: ${(error as Error).message}`);
      }
    }
  }

  private async vaultStatus(vault: Vault): Promise<CatalogueStatus> {
    const file = catalogueFileFor(this.o.dataDir, vault.id);
    const info =
      this.damaged.has(vault.id) || !fs.existsSync(file) ? null : await this.read(vault.id, { op: 'info' });
    // The jobs as they are once the answer is in (one may have ended meanwhile).
    const active = this.activeJob(vault.id);
    const base = { vaultId: vault.id, jobId: active?.id ?? null };
    if (!info) {
      return {
        ...base,
        snapshots: 0,
        updatedAt: null,
        state: this.damaged.has(vault.id) && !this.otherVersion.has(vault.id) ? 'damaged' : 'missing',
      };
    }
    const lastUpdate = this.o.history.newestEndedOfVault(vault.id, ['catalogue'], ['success']);
    const lastChange = this.o.history.newestEndedOfVault(vault.id, CHANGING_KINDS, CHANGED_STATUSES);
    const stale =
      active !== null ||
      info.updatedAt === null ||
      (lastChange !== null && (lastUpdate?.seq ?? 0) < lastChange.seq && !catalogueUpdatedBy(lastChange.job));
    return {
      ...base,
      snapshots: info.snapshots,
      updatedAt: info.updatedAt,
      state: stale ? 'stale' : 'ready',
    };
  }

  /**
   * Runs a query on the vault's catalogue. null: there is none yet (or it was deleted from under an
   * open reader: the worker never answers from an unlinked file), or it is damaged (a rebuild is
   * then queued, and it is not read from again until that has run).
   */
  private async read<Q extends CatalogueQuery>(
    vaultId: string,
    query: Q,
  ): Promise<CatalogueAnswer<Q> | null> {
    if (this.damaged.has(vaultId)) return null;
    try {
      return await this.o.reads.query(catalogueFileFor(this.o.dataDir, vaultId), query);
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      if (error instanceof CatalogueUnusableError && error.reason === 'missing') return null;
      // A running update (a catalogue job, or a backup's last phase) may be replacing the file under
      // this reader: read it again once it ends.
      const writing = this.o.queue
        .active()
        .some(
          (j) => j.vaultId === vaultId && j.status === 'running' && ['catalogue', 'backup'].includes(j.kind),
        );
      if (writing) {
        this.closeReader(vaultId);
        return null;
      }
      this.markDamaged(vaultId, error);
      return null;
    }
  }

  private markDamaged(vaultId: string, error: unknown): void {
    if (error instanceof CatalogueUnusableError && error.reason === 'other-version') {
      this.otherVersion.add(vaultId);
      this.o.log?.(
        `the file catalogue of vault ${vaultId} is of another version (${error.message}); rebuilding it`,
      );
    } else {
      this.o.log?.(
        `the file catalogue of vault ${vaultId} is damaged (${(error as Error).message}); rebuilding it`,
      );
    }
    this.closeReader(vaultId);
    this.damaged.add(vaultId);
    try {
      // Another version: the job finds that itself (and says so in its log) and starts afresh.
      if (this.otherVersion.has(vaultId)) this.update(vaultId, false, 'catch-up');
      else this.update(vaultId, true, 'manual');
    } catch (e) {
      this.o.log?.(`catalogue rebuild not queued: ${(e as Error).message}`);
    }
  }

  private jobChanged(job: JobRecord): void {
    if (job.status === 'waiting' || job.status === 'running') return;
    const phase = job.phases.find((p) => p.phase === 'catalogue');
    if (job.kind === 'catalogue' || phase) {
      // The job process may have replaced the file: read it afresh.
      this.closeReader(job.vaultId);
      this.rebuildJobs.delete(job.id);
      if (job.kind === 'catalogue' ? job.status === 'success' : phase?.status === 'success') {
        this.damaged.delete(job.vaultId);
        this.otherVersion.delete(job.vaultId);
      }
      if (!this.vaultExists(job.vaultId)) deleteCatalogueFiles(catalogueFileFor(this.o.dataDir, job.vaultId));
      return;
    }
    if (
      (CHANGING_KINDS as readonly string[]).includes(job.kind) &&
      (CHANGED_STATUSES as readonly string[]).includes(job.status)
    ) {
      // After the job's own follow-ups are queued (retention after a backup), so one update covers both.
      queueMicrotask(() => {
        if (!this.vaultExists(job.vaultId)) return;
        try {
          this.update(job.vaultId, false, job.trigger);
        } catch (error) {
          this.o.log?.(`catalogue update not queued: ${(error as Error).message}`);
        }
      });
    }
  }

  private activeJob(vaultId: string, status?: 'waiting' | 'running'): JobRecord | null {
    return (
      this.o.queue
        .active()
        .find((j) => j.kind === 'catalogue' && j.vaultId === vaultId && (!status || j.status === status)) ??
      null
    );
  }

  private vaultExists(vaultId: string): boolean {
    try {
      return this.o.config.get().vaults.some((v) => v.id === vaultId);
    } catch {
      return true; // unreadable configuration: delete nothing
    }
  }

  /** Catalogues hold private names: none outlives its vault. */
  private deleteOrphans(config: BackupConfig): void {
    const known = new Set(config.vaults.map((v) => v.id));
    let names: string[];
    try {
      names = fs.readdirSync(this.o.dataDir);
    } catch {
      return;
    }
    for (const name of names) {
      const vaultId = vaultIdOfCatalogueFile(name);
      if (vaultId === null || known.has(vaultId)) continue;
      for (const job of this.o.queue.active()) {
        if (job.kind === 'catalogue' && job.vaultId === vaultId) this.o.queue.cancel(job.id);
      }
      this.closeReader(vaultId);
      this.damaged.delete(vaultId);
      this.otherVersion.delete(vaultId);
      deleteCatalogueFiles(catalogueFileFor(this.o.dataDir, vaultId));
    }
  }

  private closeReader(vaultId: string): void {
    this.o.reads.close(catalogueFileFor(this.o.dataDir, vaultId));
  }
}
