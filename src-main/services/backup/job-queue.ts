/**
 * Runs jobs (backup, restore, verify, retention) through the EngineRunner, one per vault at a
 * time: the others show as 'waiting'. Every job is in the history from the moment it is queued to
 * its end, with its log. Runs whether the app is locked or not.
 *
 * A job whose vault password is not available (not kept on this computer, and not entered since
 * the last unlock) waits, saying so, and starts when the password is entered; after
 * WAIT_FOR_PASSWORD_MS it is skipped, saying why. A crashed job process is a Failed job (the
 * runner resolves it so); the next job starts a fresh process.
 */
import crypto from 'node:crypto';
import {
  newJobRecord,
  type JobKind,
  type JobProgress,
  type JobRecord,
  type JobTrigger,
} from '../../../src-shared/backup-jobs';
import { emptyOutcome, type JobOutcome, type JobRequest } from '../../../src-shared/job-protocol';
import type { Clock, TimerHandle } from '../ports';
import { ServiceError } from '../service-error';
import type { EngineProblem } from '../../../src-shared/engine-records';
import type { EngineLogEntry, EngineRunner } from './engine-runner';
import type { JobHistoryStore } from './job-history-store';

export const WAIT_FOR_PASSWORD_MS = 12 * 3_600_000;

export interface JobSpec {
  kind: JobKind;
  trigger: JobTrigger;
  vaultId: string;
  vaultName: string;
  itemId: string | null;
  itemName: string | null;
  /**
   * The engine request, built when the job starts (with the password available then, and for
   * account storage the device token and the check that the app still signs in to its account).
   * A ServiceError thrown here fails the job with its message.
   */
  request(password: string): JobRequest | Promise<JobRequest>;
  /** Runs after the job ended (e.g. retention after a successful backup). */
  after?(job: JobRecord, outcome: JobOutcome): void;
}

/** Where the queue gets a vault's password: memory (entered since unlock) or the keychain. */
export interface VaultPasswords {
  get(vaultId: string): Promise<string | null>;
  /** Why the password is missing, for the waiting job's message. */
  missingReason(vaultId: string): string;
}

interface Entry {
  id: string;
  spec: JobSpec;
  abort: AbortController;
  waitTimer: TimerHandle | null;
}

export interface JobQueueOptions {
  history: JobHistoryStore;
  runner: EngineRunner;
  clock: Clock;
  passwords: VaultPasswords;
  log?: (message: string) => void;
}

export class JobQueue {
  /** Waiting and running jobs, in queue order. */
  private readonly entries: Entry[] = [];
  private readonly running = new Set<string>();
  private readonly progressById = new Map<string, JobProgress>();
  private readonly changeListeners = new Set<(job: JobRecord) => void>();
  private readonly endListeners = new Set<(job: JobRecord, outcome: JobOutcome) => void>();
  private readonly progressListeners = new Set<(progress: JobProgress) => void>();
  private pumping = false;
  /** After shutdown(): outcomes that still arrive are ignored (the history is closed). */
  private stopped = false;
  private pumpAgain = false;

  constructor(private readonly o: JobQueueOptions) {}

  enqueue(spec: JobSpec): JobRecord {
    if (this.stopped) throw new Error('The job queue has stopped (Strongroom is quitting).');
    const job = newJobRecord({
      id: crypto.randomUUID(),
      kind: spec.kind,
      itemId: spec.itemId,
      vaultId: spec.vaultId,
      itemName: spec.itemName,
      vaultName: spec.vaultName,
      trigger: spec.trigger,
      status: 'waiting',
      queuedAt: this.iso(),
    });
    this.o.history.insert(job);
    this.entries.push({ id: job.id, spec, abort: new AbortController(), waitTimer: null });
    this.changed(job);
    void this.pump();
    return job;
  }

  /** Records a job that never ran (a missed schedule, on battery): it goes straight to 'skipped'. */
  recordSkipped(spec: Omit<JobSpec, 'request'>, message: string): JobRecord {
    const at = this.iso();
    const job: JobRecord = {
      ...newJobRecord({
        id: crypto.randomUUID(),
        kind: spec.kind,
        itemId: spec.itemId,
        vaultId: spec.vaultId,
        itemName: spec.itemName,
        vaultName: spec.vaultName,
        trigger: spec.trigger,
        status: 'skipped',
        queuedAt: at,
      }),
      endedAt: at,
      message,
    };
    this.o.history.insert(job);
    this.changed(job);
    return job;
  }

  /** Waiting: cancelled at once. Running: asked to stop; it ends 'cancelled' when the engine has. */
  cancel(jobId: string): boolean {
    const entry = this.entries.find((e) => e.id === jobId);
    if (!entry) return false;
    if (this.running.has(jobId)) {
      entry.abort.abort();
      this.o.history.appendLog(jobId, { level: 'info', path: null, message: 'Cancel requested.' });
      return true;
    }
    this.finishWithout(entry, 'cancelled', 'Cancelled before it started.');
    return true;
  }

  /** The waiting or running jobs, in queue order. */
  active(): JobRecord[] {
    return this.entries.map((e) => this.o.history.get(e.id)).filter((j): j is JobRecord => j !== null);
  }

  activeForItem(itemId: string, kind: JobKind = 'backup'): JobRecord | null {
    const entry = this.entries.find((e) => e.spec.itemId === itemId && e.spec.kind === kind);
    return entry ? this.o.history.get(entry.id) : null;
  }

  isRunning(): boolean {
    return this.running.size > 0;
  }

  progress(jobId: string): JobProgress | null {
    return this.progressById.get(jobId) ?? null;
  }

  /** A vault password was entered (or the vault changed): waiting jobs may start now. */
  passwordsChanged(): void {
    void this.pump();
  }

  onChanged(listener: (job: JobRecord) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** A job that ran has ended (not one cancelled or skipped before it started), with its outcome. */
  onEnded(listener: (job: JobRecord, outcome: JobOutcome) => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  onProgress(listener: (progress: JobProgress) => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  /** Cancels every waiting and running job (the tray's confirmed "Quit Strongroom"). */
  cancelAll(): void {
    for (const entry of [...this.entries]) this.cancel(entry.id);
  }

  /**
   * The app is quitting: running jobs are stopped and recorded as cancelled now (the history
   * closes next, before their processes answer), waiting ones as skipped. Nothing starts after.
   */
  shutdown(): void {
    if (this.stopped) return;
    this.stopped = true;
    const at = this.iso();
    for (const entry of this.entries.splice(0)) {
      if (entry.waitTimer !== null) this.o.clock.clearTimeout(entry.waitTimer);
      const wasRunning = this.running.has(entry.id);
      entry.abort.abort();
      this.o.history.update(entry.id, {
        status: wasRunning ? 'cancelled' : 'skipped',
        endedAt: at,
        message: wasRunning
          ? 'Stopped because Strongroom was quit. It runs again at its next scheduled time.'
          : 'Strongroom was quit before this job could start.',
      });
    }
    this.running.clear();
    this.progressById.clear();
  }

  /** Starts the first waiting job of every vault that has nothing running. Serialised. */
  private async pump(): Promise<void> {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        const busyVaults = new Set(
          this.entries.filter((e) => this.running.has(e.id)).map((e) => e.spec.vaultId),
        );
        for (const entry of [...this.entries]) {
          if (this.running.has(entry.id) || busyVaults.has(entry.spec.vaultId)) continue;
          busyVaults.add(entry.spec.vaultId); // first waiting job of this vault: the others stay behind it
          const password = await this.o.passwords.get(entry.spec.vaultId).catch(() => null);
          if (this.stopped || !this.entries.includes(entry)) continue; // cancelled meanwhile
          if (password === null) {
            this.waitForPassword(entry);
            continue;
          }
          this.start(entry, password);
        }
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  private waitForPassword(entry: Entry): void {
    const reason = this.o.passwords.missingReason(entry.spec.vaultId);
    const job = this.o.history.get(entry.id);
    if (job && job.message !== reason) this.changed(this.o.history.update(entry.id, { message: reason }));
    if (entry.waitTimer !== null) return;
    entry.waitTimer = this.o.clock.setTimeout(() => {
      entry.waitTimer = null;
      if (!this.entries.includes(entry) || this.running.has(entry.id)) return;
      this.finishWithout(
        entry,
        'skipped',
        `Skipped: the vault's password was not available for ${WAIT_FOR_PASSWORD_MS / 3_600_000} hours. ${reason}`,
      );
    }, WAIT_FOR_PASSWORD_MS);
  }

  private start(entry: Entry, password: string): void {
    if (entry.waitTimer !== null) this.o.clock.clearTimeout(entry.waitTimer);
    entry.waitTimer = null;
    this.running.add(entry.id);
    this.changed(
      this.o.history.update(entry.id, { status: 'running', startedAt: this.iso(), message: null }),
    );
    void this.run(entry, password);
  }

  private async run(entry: Entry, password: string): Promise<void> {
    let request: JobRequest;
    try {
      request = await entry.spec.request(password);
    } catch (error) {
      const message =
        error instanceof ServiceError ? error.message : `This job could not start: ${messageOf(error)}`;
      this.end(entry, emptyOutcome('failed', message, 'INTERNAL'));
      return;
    }
    if (this.stopped) return; // quit while the request was being built
    const run = this.o.runner.run(
      request,
      {
        onProgress: (p) => {
          const progress: JobProgress = { jobId: entry.id, ...p };
          this.progressById.set(entry.id, progress);
          for (const l of [...this.progressListeners]) l(progress);
        },
        onLog: (e) => this.o.history.appendLog(entry.id, e),
        onProblem: (p) => this.o.history.appendLog(entry.id, problemLogEntry(p)),
      },
      entry.abort.signal,
    );
    run.then(
      (outcome) => this.end(entry, outcome),
      // The runner promises never to reject; if it does anyway, the job still ends, clearly.
      (error: unknown) =>
        this.end(entry, emptyOutcome('failed', `The job process failed: ${messageOf(error)}`, 'INTERNAL')),
    );
  }

  private end(entry: Entry, outcome: JobOutcome): void {
    if (this.stopped) return;
    this.running.delete(entry.id);
    this.progressById.delete(entry.id);
    this.remove(entry);
    const job = this.o.history.update(entry.id, {
      status: outcome.status,
      endedAt: this.iso(),
      message: outcome.message,
      snapshotId: outcome.snapshotId,
      filesTotal: outcome.filesTotal,
      filesDone: outcome.filesDone,
      filesFailed: outcome.filesFailed,
      bytesTotal: outcome.bytesTotal,
      bytesDone: outcome.bytesDone,
      bytesAdded: outcome.bytesAdded,
      ...(outcome.value?.op === 'backup'
        ? {
            filesNew: outcome.value.filesNew,
            filesChanged: outcome.value.filesChanged,
            filesUnmodified: outcome.value.filesUnmodified,
            phases: outcome.value.phases,
          }
        : {}),
      ...(outcome.value?.op === 'restore'
        ? {
            restored: {
              target: outcome.value.target,
              keptBoth: outcome.value.keptBoth,
              keptBothCount: outcome.value.keptBothCount,
              ...(outcome.value.tooLittleSpace ? { tooLittleSpace: outcome.value.tooLittleSpace } : {}),
            },
          }
        : {}),
    });
    if (job) {
      this.changed(job);
      for (const l of [...this.endListeners, (j: JobRecord, o: JobOutcome) => entry.spec.after?.(j, o)]) {
        try {
          l(job, outcome);
        } catch (error) {
          this.o.log?.(`after-job step failed: ${messageOf(error)}`);
        }
      }
    }
    void this.pump();
  }

  private finishWithout(entry: Entry, status: 'cancelled' | 'skipped', message: string): void {
    if (entry.waitTimer !== null) this.o.clock.clearTimeout(entry.waitTimer);
    this.remove(entry);
    this.changed(this.o.history.update(entry.id, { status, endedAt: this.iso(), message }));
    void this.pump();
  }

  private remove(entry: Entry): void {
    const i = this.entries.indexOf(entry);
    if (i >= 0) this.entries.splice(i, 1);
  }

  private changed(job: JobRecord | null): void {
    if (!job) return;
    for (const l of [...this.changeListeners]) {
      try {
        l(job);
      } catch (error) {
        this.o.log?.(`a job listener failed: ${messageOf(error)}`);
      }
    }
  }

  private iso(): string {
    return new Date(this.o.clock.now()).toISOString();
  }
}

/**
 * How one of the engine's problem records reads in the job's log: a file left out (or stored while it
 * changed) is a warning; what only needed saying (a socket skipped, a folder's owner that could not be
 * set) is information, as it changes nothing about the job's outcome.
 */
export function problemLogEntry(p: EngineProblem): EngineLogEntry {
  switch (p.kind) {
    case 'not-stored':
    case 'changed':
      return { level: 'warning', path: p.path, message: p.reason };
    case 'not-restored':
      return { level: 'warning', path: p.path, message: `not restored (${p.reason})` };
    case 'metadata':
    case 'note':
      return { level: 'info', path: p.path, message: p.reason };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
