/**
 * The EngineRunner port: how main's services (JobQueue, VaultService) run one engine request in the
 * job process, without knowing which process technology backs it (Electron's utilityProcess in the
 * app, child_process.fork in the harness and tests). Built on src-shared/job-protocol.ts.
 *
 * The promise never rejects for engine or process failures: a wrong password, a missing repository,
 * a crash or a kill of the job process all resolve to an outcome with status 'failed', a message a
 * person can read and an errorCode (src-shared/job-protocol.ts's jobErrorCode). Aborting `signal` asks the job to stop;
 * the outcome is then 'cancelled' (or what the job reached before it could stop).
 */
import type { EngineProblem } from '../../../src-shared/engine-records';
import type { JobOutcome, JobRequest, FromJobProcess } from '../../../src-shared/job-protocol';

export type JobProgressMessage = Extract<FromJobProcess, { type: 'progress' }>['progress'];

export interface EngineLogEntry {
  level: 'info' | 'warning' | 'error';
  /** The file the entry is about, if any. */
  path: string | null;
  message: string;
}

export interface EngineRunHandlers {
  /** Throttled (a few per second) while the job runs. */
  onProgress(progress: JobProgressMessage): void;
  /** Milestones and the job's own words. */
  onLog(entry: EngineLogEntry): void;
  /** Each of the engine's problem records (a file not stored or not restored, metadata not set, a note); queries have none. */
  onProblem?(problem: EngineProblem): void;
}

export interface EngineRunner {
  run(request: JobRequest, handlers: EngineRunHandlers, signal: AbortSignal): Promise<JobOutcome>;
}
