/**
 * Notifications about background work nobody watches: always when a job fails and when a
 * scheduled run was skipped (missed, on battery, no password); on success only when the person
 * asked for it; and once per episode when a protected item has had no successful backup for
 * longer than the preferences' threshold (3 days by default).
 */
import type { JobRecord } from '../../../src-shared/backup-jobs';
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
  catalogue: 'File catalogue update',
};

export interface BackupNotifierOptions {
  notifier: Notifier;
  config: BackupConfigStore;
  history: Pick<JobHistoryStore, 'lastSuccessAt'>;
  clock: Clock;
}

export class BackupNotifier {
  private timer: TimerHandle | null = null;
  /** Items already warned about as stale, until their next successful backup. */
  private readonly warnedStale = new Set<string>();

  constructor(private readonly o: BackupNotifierOptions) {}

  /** Call with every job change; only ends notify. */
  jobChanged(job: JobRecord): void {
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

  private preferences() {
    try {
      return this.o.config.get().preferences;
    } catch {
      return null;
    }
  }
}
