/**
 * What the Backups page asks for, on top of the configuration, the vaults, the protected items, the
 * queue and the history: the overview, "Back up now", scheduled runs (the scheduler's target) with
 * their clean-up and search-index phases, and verify. Restore, the History page's jobs and the
 * recovery kit have services of their own beside it.
 */
import {
  EXCLUDE_PRESET_PATTERNS,
  type BackupPreferences,
  type ProtectedItem,
  type Vault,
} from '../../../src-shared/backup-config';
import type { JobRecord, JobTrigger } from '../../../src-shared/backup-jobs';
import type { BackupOverview, ProtectedItemView } from '../../../src-shared/ipc-contract';
import type { KeepPolicy } from '../../../src-shared/job-protocol';
import type { Clock } from '../ports';
import type { BackupConfigStore } from './backup-config-store';
import type { BackupScheduler, ScheduleTarget } from './backup-scheduler';
import type { JobHistoryStore } from './job-history-store';
import type { JobQueue, JobSpec } from './job-queue';
import type { ProtectedItemService } from './protected-item-service';
import type { VaultService } from './vault-service';

export const DAY_MS = 24 * 3_600_000;

export interface BackupServiceOptions {
  config: BackupConfigStore;
  vaults: VaultService;
  items: ProtectedItemService;
  queue: JobQueue;
  history: JobHistoryStore;
  clock: Clock;
  /** For each item's next run. */
  scheduler: Pick<BackupScheduler, 'nextRunAt'>;
  /** Shown in snapshots as their host. */
  hostName: string;
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
      ...jobFields(vault, null, 'manual'),
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

  /**
   * One job, one row in the History: the backup, then as its phases the clean-up of old backups (when
   * the item has a retention policy) and the search-index update, in the same job process.
   */
  private queueBackup(item: ProtectedItem, trigger: JobTrigger): JobRecord {
    const vault = this.o.vaults.find(item.vaultId);
    const excludes = [...item.excludes, ...item.excludePresets.flatMap((p) => EXCLUDE_PRESET_PATTERNS[p])];
    return this.o.queue.enqueue({
      ...jobFields(vault, item, trigger),
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

/** What every job row says of where it runs: its trigger, its vault and its item. */
export function jobFields(
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
