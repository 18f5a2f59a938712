/**
 * What the Backups, Restore and History pages ask for, on top of the configuration, the vaults,
 * the protected items, the queue and the history: the overview, "Back up now", scheduled runs
 * (the scheduler's target) with their clean-up and search-index phases, verify, restore, the
 * recovery kit. Jobs go through the queue; quick queries (snapshots, browsing) go to the runner
 * directly.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  EXCLUDE_PRESET_PATTERNS,
  type BackupPreferences,
  type ProtectedItem,
  type Vault,
} from '../../../src-shared/backup-config';
import type { JobLogEntry, JobRecord, JobTrigger } from '../../../src-shared/backup-jobs';
import type { BackupOverview, ChannelInput, ProtectedItemView } from '../../../src-shared/ipc-contract';
import {
  outcomeValue,
  type JobRequest,
  type KeepPolicy,
  type LsEntry,
  type SnapshotInfo,
} from '../../../src-shared/job-protocol';
import type { Clock } from '../ports';
import { ServiceError } from '../service-error';
import type { BackupConfigStore } from './backup-config-store';
import type { BackupScheduler, ScheduleTarget } from './backup-scheduler';
import type { EngineRunner } from './engine-runner';
import type { JobHistoryStore, JobListQuery } from './job-history-store';
import type { JobQueue, JobSpec } from './job-queue';
import type { ProtectedItemService } from './protected-item-service';
import { checkKitDestination, recoveryKitText, writeRecoveryKit } from './recovery-kit';
import { vaultPlace } from '../../../src-shared/repo-location';
import { engineError, type VaultService } from './vault-service';

export const DAY_MS = 24 * 3_600_000;

export interface BackupServiceOptions {
  config: BackupConfigStore;
  vaults: VaultService;
  items: ProtectedItemService;
  queue: JobQueue;
  history: JobHistoryStore;
  runner: EngineRunner;
  clock: Clock;
  /** For each item's next run. */
  scheduler: Pick<BackupScheduler, 'nextRunAt'>;
  /** Shown in snapshots as their host. */
  hostName: string;
  /** Checks the account password again (against the account server); throws when wrong. */
  verifyAccountPassword(password: string): Promise<void>;
  /** The vault's file catalogue, which each backup brings up to date as its last phase. */
  catalogueFile(vaultId: string): string;
}

export class BackupService implements ScheduleTarget {
  constructor(private readonly o: BackupServiceOptions) {}

  overview(): BackupOverview {
    const config = this.o.config.get();
    return {
      vaults: config.vaults.map((v) => this.o.vaults.view(v)),
      items: config.items.map((item) => this.itemView(item)),
      preferences: config.preferences,
    };
  }

  itemView(item: ProtectedItem): ProtectedItemView {
    const config = this.o.config.get();
    const vault = config.vaults.find((v) => v.id === item.vaultId);
    const lastJob = this.o.history.lastEnded(item.id, 'backup', true);
    const lastSuccessAt = this.o.history.lastSuccessAt(item.id);
    const activeJob = this.o.queue.activeForItem(item.id);
    const next = this.o.scheduler.nextRunAt(item);
    const staleDays = config.preferences.staleWarningDays;
    const since = Date.parse(lastSuccessAt ?? item.createdAt);
    return {
      item,
      vaultName: vault?.name ?? '',
      lastJob,
      lastSuccessAt,
      nextRunAt: next === null ? null : new Date(next).toISOString(),
      activeJob,
      progress: activeJob ? this.o.queue.progress(activeJob.id) : null,
      blockedReason:
        vault && !vault.passwordStored && item.schedule.kind !== 'manual'
          ? `The password of the vault "${vault.name}" is not kept on this computer: scheduled backups wait until you unlock Strongroom and enter it.`
          : null,
      stale: staleDays > 0 && this.o.clock.now() - since > staleDays * DAY_MS,
    };
  }

  setPreferences(patch: Partial<BackupPreferences>): BackupPreferences {
    return this.o.config.update((c) => {
      c.preferences = { ...c.preferences, ...patch };
    }).preferences;
  }

  backupNow(itemId: string): { jobId: string } {
    const item = this.o.items.find(itemId);
    const active = this.o.queue.activeForItem(itemId);
    if (active) return { jobId: active.id }; // already queued or running: the same job
    return { jobId: this.queueBackup(item, 'manual').id };
  }

  /** ScheduleTarget: a scheduled or catch-up run. One queued run per item is enough. */
  run(item: ProtectedItem, trigger: Extract<JobTrigger, 'schedule' | 'catch-up'>): void {
    if (this.o.queue.activeForItem(item.id)) return;
    this.queueBackup(item, trigger);
  }

  skip(item: ProtectedItem, trigger: Extract<JobTrigger, 'schedule' | 'catch-up'>, message: string): void {
    const vault = this.o.config.get().vaults.find((v) => v.id === item.vaultId);
    this.o.queue.recordSkipped(
      {
        kind: 'backup',
        trigger,
        vaultId: item.vaultId,
        vaultName: vault?.name ?? '',
        itemId: item.id,
        itemName: item.name,
      },
      message,
    );
  }

  verify(vaultId: string, readData: boolean): { jobId: string } {
    const vault = this.o.vaults.find(vaultId);
    const job = this.o.queue.enqueue({
      ...this.jobBase(vault, null, 'manual'),
      kind: 'verify',
      request: async (password) => ({
        op: 'verify',
        repo: await this.o.vaults.repoLocation(vault),
        password,
        readData,
      }),
    });
    return { jobId: job.id };
  }

  cancel(jobId: string): null {
    if (!this.o.queue.cancel(jobId)) {
      if (!this.o.history.get(jobId)) throw new ServiceError('not_found', 'That job does not exist.');
      // Already ended: nothing to cancel, and nothing wrong.
    }
    return null;
  }

  list(query: JobListQuery): JobRecord[] {
    return this.o.history.list(query);
  }

  get(jobId: string): { job: JobRecord; log: JobLogEntry[] } {
    const job = this.o.history.get(jobId);
    if (!job) throw new ServiceError('not_found', 'That job is not in the history (any more).');
    return { job, log: this.o.history.log(jobId) };
  }

  async snapshots(vaultId: string, itemId?: string): Promise<SnapshotInfo[]> {
    const vault = this.o.vaults.find(vaultId);
    const outcome = await this.query(vault, async (password) => ({
      op: 'snapshots',
      repo: await this.o.vaults.repoLocation(vault),
      password,
      ...(itemId ? { tag: itemTag(itemId) } : {}),
    }));
    return outcomeValue(outcome, 'snapshots').snapshots;
  }

  async browse(vaultId: string, snapshotId: string, dir: string): Promise<LsEntry[]> {
    const vault = this.o.vaults.find(vaultId);
    const outcome = await this.query(vault, async (password) => ({
      op: 'ls',
      repo: await this.o.vaults.repoLocation(vault),
      password,
      snapshotId,
      path: dir,
    }));
    return outcomeValue(outcome, 'ls').entries;
  }

  restore(input: ChannelInput<'restore:start'>): { jobId: string } {
    const vault = this.o.vaults.find(input.vaultId);
    const item = input.itemId ? (this.o.config.get().items.find((i) => i.id === input.itemId) ?? null) : null;
    let target = '/';
    let saveAs: string | undefined;
    let stripPrefix: string | undefined;
    if (input.destination.mode === 'folder') {
      target = restoreFolder(input.destination.path, item);
      if (item && !input.destination.keepFullPaths) {
        stripPrefix = itemRoot(item.paths);
        target = itemFolder(target, item.name);
      }
    } else if (input.destination.mode === 'copy-as') {
      if (input.include.length !== 1) {
        throw new ServiceError(
          'bad_request',
          `Save a copy as… saves one file: choose exactly one (${input.include.length} chosen).`,
        );
      }
      saveAs = copyDestination(input.destination.path);
      target = path.dirname(saveAs);
    }
    const job = this.o.queue.enqueue({
      ...this.jobBase(vault, item, 'manual'),
      kind: 'restore',
      request: async (password) => ({
        op: 'restore',
        repo: await this.o.vaults.repoLocation(vault),
        password,
        snapshotId: input.snapshotId,
        include: input.include,
        target,
        conflict: input.conflict,
        ...(saveAs ? { saveAs } : {}),
        ...(stripPrefix ? { stripPrefix } : {}),
      }),
    });
    return { jobId: job.id };
  }

  async saveRecoveryKit(input: ChannelInput<'vault:saveRecoveryKit'>): Promise<{ path: string }> {
    const vault = this.o.vaults.find(input.vaultId);
    const file = checkKitDestination(input.destinationPath);
    await this.o.verifyAccountPassword(input.accountPassword);
    const password = await this.o.vaults.get(vault.id);
    if (password === null) {
      throw new ServiceError('wrong_password', this.o.vaults.missingReason(vault.id));
    }
    writeRecoveryKit(file, recoveryKitText(vault, password, new Date(this.o.clock.now())));
    return { path: file };
  }

  /**
   * One job, one row in the History: the backup, then as its phases the clean-up of old backups (when
   * the item has a retention policy) and the search-index update, in the same job process.
   */
  private queueBackup(item: ProtectedItem, trigger: JobTrigger): JobRecord {
    const vault = this.o.vaults.find(item.vaultId);
    const excludes = [...item.excludes, ...item.excludePresets.flatMap((p) => EXCLUDE_PRESET_PATTERNS[p])];
    return this.o.queue.enqueue({
      ...this.jobBase(vault, item, trigger),
      kind: 'backup',
      request: async (password) => {
        // The item as it is when the job starts: its retention policy may have changed while it waited.
        const now = this.o.config.get().items.find((i) => i.id === item.id) ?? item;
        const retention = retentionPolicy(now);
        return {
          op: 'backup',
          repo: await this.o.vaults.repoLocation(vault),
          password,
          paths: item.paths,
          excludes,
          tags: [itemTag(item.id)],
          host: this.o.hostName,
          ...(retention ? { retention: { tag: itemTag(item.id), policy: retention, prune: true } } : {}),
          catalogueFile: this.o.catalogueFile(vault.id),
        };
      },
    });
  }

  private jobBase(
    vault: Vault,
    item: ProtectedItem | null,
    trigger: JobTrigger,
  ): Omit<JobSpec, 'kind' | 'request'> {
    return {
      trigger,
      vaultId: vault.id,
      vaultName: vault.name,
      itemId: item?.id ?? null,
      itemName: item?.name ?? null,
    };
  }

  private async query(vault: Vault, build: (password: string) => Promise<JobRequest>) {
    const password = await this.o.vaults.get(vault.id);
    if (password === null) throw new ServiceError('wrong_password', this.o.vaults.missingReason(vault.id));
    const outcome = await this.o.runner.run(
      await build(password),
      { onProgress: () => {}, onLog: () => {} },
      new AbortController().signal,
    );
    if (outcome.status !== 'success') throw engineError(outcome, vaultPlace(vault));
    return outcome;
  }
}

/** The keep policy of an item with one ("Keep everything": none). */
function retentionPolicy(item: ProtectedItem): KeepPolicy | null {
  if (item.retention.mode !== 'policy') return null;
  const r = item.retention;
  return Object.fromEntries(
    Object.entries({
      last: r.keepLast,
      hourly: r.keepHourly,
      daily: r.keepDaily,
      weekly: r.keepWeekly,
      monthly: r.keepMonthly,
      yearly: r.keepYearly,
    }).filter(([, v]) => v !== undefined),
  );
}

export function itemTag(itemId: string): string {
  return `item:${itemId}`;
}

/**
 * What an item's files are restored relative to: its folder, or the common parent of its paths (a
 * file's folder when it protects one file). The job process widens it to cover the backup's paths.
 */
export function itemRoot(paths: string[]): string {
  // One path is the folder itself, even gone (what a restore is often for), unless it is a file.
  const folders = paths.map((p) => (paths.length === 1 && !statOrNull(p)?.isFile() ? p : path.dirname(p)));
  let root = path.resolve(folders[0] ?? '/');
  for (const f of folders.slice(1)) {
    while (root !== '/' && f !== root && !f.startsWith(`${root}/`)) root = path.dirname(root);
  }
  return root;
}

/** `<folder>/<item name>`, the name made one safe folder name (no separators, not "." or ".."). */
export function itemFolder(folder: string, name: string): string {
  const safe = name
    // eslint-disable-next-line no-control-regex
    .replace(/[/\\\x00-\x1f]/g, '_')
    .trim()
    .slice(0, 200);
  return path.join(folder, safe === '' || safe === '.' || safe === '..' ? 'Restored' : safe);
}

/**
 * "To another folder": checked before anything starts, so a folder that cannot take the files fails
 * at once with what to do, instead of a restore that ends with every file refused.
 */
function restoreFolder(raw: string, item: ProtectedItem | null): string {
  if (!path.isAbsolute(raw)) throw new ServiceError('bad_request', 'Use a full path for the restore folder.');
  const folder = path.resolve(raw);
  const inside = item?.paths.find((p) => folder === p || folder.startsWith(`${p}${path.sep}`));
  if (inside) {
    throw new ServiceError(
      'bad_request',
      `${folder} is inside ${inside}, which "${item!.name}" backs up: the restored files would be backed up again. Choose a folder outside it.`,
    );
  }
  const stat = statOrNull(folder);
  if (stat && !stat.isDirectory()) throw new ServiceError('conflict', `${folder} is a file, not a folder.`);
  const existing = stat ? folder : path.dirname(folder);
  if (!stat && !statOrNull(existing)?.isDirectory()) {
    throw new ServiceError('not_found', `The folder ${existing} does not exist.`);
  }
  try {
    fs.accessSync(existing, fs.constants.W_OK | fs.constants.X_OK);
  } catch (error) {
    const readOnly = (error as NodeJS.ErrnoException).code === 'EROFS';
    throw new ServiceError(
      'bad_request',
      `Strongroom cannot write in ${existing} (${readOnly ? 'it is on a read-only disk' : 'permission denied'}). Choose another folder.`,
    );
  }
  if (!stat) fs.mkdirSync(folder, { mode: 0o700 });
  return folder;
}

/** "Save a copy as…": a full file path (not a folder) whose folder exists. */
function copyDestination(raw: string): string {
  if (!path.isAbsolute(raw)) throw new ServiceError('bad_request', 'Use a full path for the copy.');
  const file = path.resolve(raw);
  if (statOrNull(file)?.isDirectory()) {
    throw new ServiceError('bad_request', `${file} is a folder: add the name of the file to save.`);
  }
  if (!statOrNull(path.dirname(file))?.isDirectory()) {
    throw new ServiceError('not_found', `The folder ${path.dirname(file)} does not exist.`);
  }
  return file;
}

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch {
    return null;
  }
}
