/**
 * What an operation of the job process reports through: throttled progress, log entries, the
 * engine's problem records (passed on as records, and those that left a file out counted), and
 * the cancel signal. It remembers the latest counts, so a job that fails or is cancelled half-way
 * still reports how far it got.
 */
import type { JobOutcome, progressMessage } from '../../src-shared/job-protocol';
import type { z } from 'zod';
import { EngineError, type RepositoryProblem, type TransferProgress } from '../../src-engine/index';
import type { EngineProblem } from '../../src-shared/engine-records';
import { ProgressThrottle } from './progress-throttle';

export type ProgressMessage = z.infer<typeof progressMessage>;
export type LogLevel = 'info' | 'warning' | 'error';

/** The engine's progress of a backup or restore as the job's (`currentFile`: what to show instead). */
export function transferProgress(
  phase: ProgressMessage['phase'],
  p: TransferProgress,
  currentFile: string | null = p.currentFile || null,
): ProgressMessage {
  return {
    phase,
    filesDone: p.filesDone,
    filesTotal: p.filesTotal,
    bytesDone: p.bytesDone,
    bytesTotal: p.bytesTotal,
    currentFile,
    rate: p.rate,
    eta: p.eta ?? null,
  };
}

export interface JobReporter {
  progress(p: ProgressMessage): void;
  log(level: LogLevel, path: string | null, message: string): void;
  /** One of the engine's problem records, passed on as it is. */
  problem(p: EngineProblem): void;
}

/** Log lines are bounded by the protocol (8 KiB); a longer engine message is cut, never dropped. */
const MAX_LOG = 8000;

export class JobContext {
  filesFailed = 0;
  /** Files of the vault itself that could not be read and were skipped (see `vaultProblem`). */
  vaultFilesDamaged = 0;
  private last: ProgressMessage | undefined;
  private readonly throttle: ProgressThrottle<ProgressMessage>;

  constructor(
    readonly signal: AbortSignal,
    private readonly reporter: JobReporter,
    progressIntervalMs?: number,
  ) {
    this.throttle = new ProgressThrottle((p) => reporter.progress(p), progressIntervalMs);
  }

  progress(p: ProgressMessage): void {
    // A new phase is shown at once; within a phase, a few updates a second.
    const newPhase = this.last?.phase !== p.phase;
    this.last = p;
    this.throttle.push(p);
    if (newPhase) this.throttle.flush();
  }

  /** Sends the latest progress now (before `done`). */
  flushProgress(): void {
    this.throttle.flush();
  }

  log(level: LogLevel, path: string | null, message: string): void {
    this.reporter.log(level, path, message.length > MAX_LOG ? `${message.slice(0, MAX_LOG)}…` : message);
  }

  /** One of the engine's problem records: passed on to main, and counted if it left a file out. */
  engineProblem(p: EngineProblem): void {
    if (p.kind === 'not-stored' || p.kind === 'not-restored') this.filesFailed++;
    this.reporter.problem(p.reason.length > MAX_LOG ? { ...p, reason: `${p.reason.slice(0, MAX_LOG)}…` } : p);
  }

  /**
   * A file of the vault the engine skipped: a damaged one is a warning in the job's log, named by its
   * place in the vault, and counted (the job cannot be a plain success); one that is not the vault's
   * (a .DS_Store) is said and changes nothing.
   */
  vaultProblem(p: RepositoryProblem): void {
    if (p.kind === 'foreign') {
      this.log('info', p.file, 'not a file of the vault; left alone');
      return;
    }
    this.vaultFilesDamaged++;
    this.log(
      'warning',
      p.file,
      `this file of the vault could not be read (${p.cause ?? 'damaged'}); skipped`,
    );
  }

  /** Throws the engine's cancel error when cancel was asked; for engine calls that take no signal. */
  throwIfCancelled(): void {
    if (this.signal.aborted) throw new EngineError('CANCELLED', 'cancelled');
  }

  /** How far the job got, for an outcome that did not finish. */
  countsSoFar(): Pick<JobOutcome, 'filesTotal' | 'filesDone' | 'filesFailed' | 'bytesTotal' | 'bytesDone'> {
    return {
      filesTotal: this.last?.filesTotal ?? 0,
      filesDone: this.last?.filesDone ?? 0,
      filesFailed: this.filesFailed,
      bytesTotal: this.last?.bytesTotal ?? 0,
      bytesDone: this.last?.bytesDone ?? 0,
    };
  }
}
