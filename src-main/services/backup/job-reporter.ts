/**
 * After each job that ran, the desktop tells the account server it signs in to what happened
 * (item, kind, status, counts, bytes, duration, the backup's id; never a file name), with the
 * device token, so the panel shows whether backups happen (POST /api/device/job-reports).
 * Reporting never blocks or fails a job: the report goes to the outbox first and is sent in the
 * background; what cannot be sent now (offline, server down, token refused until the next unlock)
 * is retried every REPORT_RETRY_MS and after each job, oldest first for each account. A report the
 * server refuses as malformed is dropped (it would never be accepted); nothing here logs a token.
 */
import type { JobRecord } from '../../../src-shared/backup-jobs';
import type { JobReportInput } from '../../../src-shared/http-api';
import type { JobOutcome } from '../../../src-shared/job-protocol';
import type { Clock, TimerHandle } from '../ports';
import { ServiceError } from '../service-error';
import type { DeviceAccount } from './account-storage';
import type { JobReportOutbox } from './job-report-outbox';

export const REPORT_RETRY_MS = 5 * 60_000;

export interface JobReporterOptions {
  outbox: JobReportOutbox;
  device: DeviceAccount;
  /** AccountClient.reportJob. */
  send(serverUrl: string, deviceToken: string, report: JobReportInput): Promise<void>;
  clock: Clock;
  log?: (message: string) => void;
}

/** null: not reported (the file catalogue is this computer's own index, not a backup job). */
const KINDS: Record<JobRecord['kind'], JobReportInput['kind'] | null> = {
  backup: 'backup',
  restore: 'restore',
  verify: 'check',
  retention: 'prune',
  catalogue: null,
};
const STATUSES: Partial<Record<JobRecord['status'], JobReportInput['status']>> = {
  success: 'succeeded',
  warning: 'partial',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** The figures of a finished job, or null for one that never ran (skipped) or has not ended. */
export function jobReport(job: JobRecord, outcome?: JobOutcome): JobReportInput | null {
  const status = STATUSES[job.status];
  const kind = KINDS[job.kind];
  if (!status || !kind || !job.endedAt) return null;
  const startedAt = job.startedAt ?? job.queuedAt;
  const int = (n: number | undefined) => Math.max(0, Math.round(n ?? 0));
  return {
    item: (job.itemName ?? job.vaultName).trim().slice(0, 200) || 'Strongroom',
    kind,
    status,
    startedAt,
    durationMs: int(Date.parse(job.endedAt) - Date.parse(startedAt)),
    filesProcessed: int(job.filesDone),
    filesNew: int(outcome?.filesNew),
    filesChanged: int(outcome?.filesChanged),
    errors: int(job.filesFailed),
    bytesProcessed: int(job.bytesDone),
    bytesAdded: int(job.bytesAdded),
    // The backup's id lets the panel name a backup whose record was deleted (it cannot read it).
    backupId: kind === 'backup' && /^[0-9a-f]{64}$/.test(job.snapshotId ?? '') ? job.snapshotId : null,
  };
}

export class JobReporter {
  private flushing: Promise<void> | null = null;
  private again = false;
  private retryTimer: TimerHandle | null = null;
  private stopped = false;

  constructor(private readonly o: JobReporterOptions) {}

  /** A job ended: keep its report for the account the app signs in to, then try to send. */
  jobEnded(job: JobRecord, outcome?: JobOutcome): void {
    const report = jobReport(job, outcome);
    if (!report || this.stopped) return;
    void this.o.device
      .signedInAccount()
      .then((account) => {
        if (!account || this.stopped) return;
        this.o.outbox.add(account.serverUrl, account.username, report);
        return this.flush();
      })
      .catch((error: unknown) => this.o.log?.(`job report not kept: ${reason(error)}`));
  }

  /** Sends what is waiting, oldest first; stops at the first report that cannot go now. */
  flush(): Promise<void> {
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      try {
        do {
          this.again = false;
          await this.sendPending();
        } while (this.again && !this.stopped);
      } catch (error) {
        this.o.log?.(`job reports not sent: ${reason(error)}`);
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== null) this.o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** Oldest first per account; an account whose report cannot go now waits, the others go on. */
  private async sendPending(): Promise<void> {
    const waiting = new Set<string>();
    if (this.stopped) return;
    for (const pending of this.o.outbox.pending()) {
      if (this.stopped) return;
      const key = `${pending.serverUrl}/${pending.username}`;
      if (waiting.has(key)) continue;
      const account = { serverUrl: pending.serverUrl, username: pending.username };
      const token = await this.o.device.deviceToken(account).catch(() => null);
      try {
        if (!token) throw new ServiceError('session_expired', 'no device token for that account');
        await this.o.send(pending.serverUrl, token, pending.report);
      } catch (error) {
        if (error instanceof ServiceError && error.code === 'bad_request') {
          this.o.log?.(`job report refused by the server and dropped: ${error.message}`);
          this.o.outbox.remove(pending.id);
          continue;
        }
        // Offline, the server down, or the token refused: this account's reports wait.
        waiting.add(key);
        continue;
      }
      if (this.stopped) return; // quitting: the outbox is closed; the server may get it twice
      this.o.outbox.remove(pending.id);
    }
    if (waiting.size > 0) this.retryLater();
  }

  private retryLater(): void {
    if (this.retryTimer !== null || this.stopped) return;
    this.retryTimer = this.o.clock.setTimeout(() => {
      this.retryTimer = null;
      void this.flush();
    }, REPORT_RETRY_MS);
  }
}

function reason(error: unknown): string {
  return error instanceof ServiceError ? error.code : error instanceof Error ? error.name : typeof error;
}
