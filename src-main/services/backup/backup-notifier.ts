/**
 * Notifications about background work nobody watches: always when a job fails and when a
 * scheduled run was skipped (missed, on battery, no password); on success only when the person
 * asked for it; and once per episode when a protected item has had no successful backup for
 * longer than the preferences' threshold (3 days by default). After a job on an account-storage
 * vault, once per alert, when the server says files of its repository were deleted.
 */
import type { JobRecord } from '../../../src-shared/backup-jobs';
import type { StorageDeletionAlert } from '../../../src-shared/http-api';
import type { Clock, Notifier, TimerHandle } from '../ports';
import type { BackupConfigStore } from './backup-config-store';
import type { JobHistoryStore } from './job-history-store';

export const STALE_CHECK_MS = 3_600_000;
const DAY_MS = 24 * 3_600_000;

const KIND_WORDS: Record<JobRecord['kind'], string> = {
  backup: 'Backup',
  restore: 'Restore',
  verify: 'Vault check',
  retention: 'Clean-up of old backups',
  catalogue: 'Search index update',
};

export interface BackupNotifierOptions {
  notifier: Notifier;
  config: BackupConfigStore;
  history: Pick<JobHistoryStore, 'lastSuccessAt' | 'previousEndOfVault'>;
  clock: Clock;
  /** The server's deletion alerts of an account-storage vault's repository (VaultService.storageUsage). */
  deletionAlerts?: (vaultId: string) => Promise<StorageDeletionAlert[]>;
}

/** The jobs after which an account-storage vault's alerts are asked for: the ones a person schedules. */
const ALERT_CHECK_KINDS: ReadonlySet<JobRecord['kind']> = new Set(['backup', 'retention', 'verify']);

export class BackupNotifier {
  private timer: TimerHandle | null = null;
  /** Items already warned about as stale, until their next successful backup. */
  private readonly warnedStale = new Set<string>();
  /** Deletion alerts already told of in this run (vault, kind and time). */
  private readonly toldAlerts = new Set<string>();

  constructor(private readonly o: BackupNotifierOptions) {}

  /** Call with every job change; only ends notify. */
  jobChanged(job: JobRecord): void {
    if (job.endedAt && ALERT_CHECK_KINDS.has(job.kind)) void this.checkDeletionAlerts(job);
    const what = `${KIND_WORDS[job.kind]}${job.itemName ? ` of "${job.itemName}"` : ` of the vault "${job.vaultName}"`}`;
    if (job.status === 'failed') {
      this.o.notifier.notify({ title: `${what} failed`, body: job.message ?? 'See History for details.' });
    } else if (job.status === 'skipped' && job.trigger !== 'manual') {
      this.o.notifier.notify({
        title: `${what} did not run`,
        body: job.message ?? 'See History for details.',
      });
    } else if ((job.status === 'success' || job.status === 'warning') && job.kind === 'backup') {
      if (job.itemId) this.warnedStale.delete(job.itemId);
      if (this.preferences()?.notifyOnSuccess) {
        this.o.notifier.notify({
          title: job.status === 'success' ? `${what} finished` : `${what} finished with warnings`,
          body: job.message ?? '',
        });
      }
    }
  }

  /**
   * Tells of the alerts raised since the vault's previous job (the older ones were there to be
   * told of after it), each once. The Backups page says what was deleted and how to restore it.
   */
  async checkDeletionAlerts(job: JobRecord): Promise<void> {
    const vault = this.vault(job.vaultId);
    if (!vault || vault.type !== 'account' || !this.o.deletionAlerts) return;
    const since = this.o.history.previousEndOfVault(vault.id, job.id);
    let alerts: StorageDeletionAlert[];
    try {
      alerts = await this.o.deletionAlerts(vault.id);
    } catch {
      return; // the server cannot be asked now: the job's own outcome says why, if it matters
    }
    const fresh = alerts.filter((a) => {
      const key = `${vault.id} ${a.kind} ${a.at}`;
      if (this.toldAlerts.has(key) || (since !== null && Date.parse(a.at) <= Date.parse(since))) return false;
      this.toldAlerts.add(key);
      return true;
    });
    if (fresh.length === 0) return;
    this.o.notifier.notify({
      title: `Files of the vault "${vault.name}" were deleted on the server`,
      body: 'If this was not you, restore them in the web panel’s Storage page. Backups in Strongroom says which.',
    });
  }

  start(): void {
    this.checkStale();
  }

  stop(): void {
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Warns once per item that has gone too long without a successful backup; looks again hourly. */
  checkStale(): void {
    this.stop();
    const prefs = this.preferences();
    let items: { id: string; name: string; createdAt: string }[] = [];
    try {
      items = this.o.config.get().items;
    } catch {
      // invalid configuration: the app says so; nothing to check
    }
    if (prefs && prefs.staleWarningDays > 0) {
      const now = this.o.clock.now();
      for (const item of items) {
        const since = Date.parse(this.o.history.lastSuccessAt(item.id) ?? item.createdAt);
        if (now - since <= prefs.staleWarningDays * DAY_MS || this.warnedStale.has(item.id)) continue;
        this.warnedStale.add(item.id);
        const days = Math.floor((now - since) / DAY_MS);
        this.o.notifier.notify({
          title: `"${item.name}" has not been backed up for ${days} days`,
          body: 'Open Strongroom to see why, or choose "Back up now".',
        });
      }
    }
    this.timer = this.o.clock.setTimeout(() => this.checkStale(), STALE_CHECK_MS);
  }

  private vault(vaultId: string) {
    try {
      return this.o.config.get().vaults.find((v) => v.id === vaultId) ?? null;
    } catch {
      return null;
    }
  }

  private preferences() {
    try {
      return this.o.config.get().preferences;
    } catch {
      return null;
    }
  }
}
