/**
 * The EngineRunner port: how main's services (JobQueue, VaultService) run one engine request in the
 * job process, without knowing which process technology backs it (Electron's utilityProcess in the
 * app, child_process.fork in the harness and tests). Built on src-shared/job-protocol.ts.
 *
 * The promise never rejects for engine or process failures: a wrong password, a missing repository,
 * a crash or a kill of the job process all resolve to an outcome with status 'failed', a message a
 * person can read and an errorCode (see ENGINE_ERROR_CODES). Aborting `signal` asks the job to stop;
 * the outcome is then 'cancelled' (or what the job reached before it could stop).
 */
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
  /** Each problem (an unreadable file: its path and the reason) and milestones. */
  onLog(entry: EngineLogEntry): void;
}

export interface EngineRunner {
  run(request: JobRequest, handlers: EngineRunHandlers, signal: AbortSignal): Promise<JobOutcome>;
}

/** The errorCode values an outcome can carry (null on success). */
export const ENGINE_ERROR_CODES = [
  'wrong_password',
  'not_a_repository',
  'already_exists',
  'locked',
  'not_found',
  'disk_full',
  'corrupt',
  'invalid_argument',
  'io',
  /** Account storage: the server refused this device's token (revoked, or the password changed). */
  'unauthorized',
  /** Account storage: the server could not be reached (or kept failing). */
  'unreachable',
  /** Account storage: the account's quota (or the server's disk) is full. */
  'storage_full',
  /** The job process exited or crashed before it answered. */
  'process_crashed',
  'internal',
] as const;
export type EngineErrorCode = (typeof ENGINE_ERROR_CODES)[number];

/** An outcome with no counts: the base of failed and cancelled outcomes made outside the engine. */
export function emptyOutcome(
  status: JobOutcome['status'],
  message: string,
  errorCode: EngineErrorCode | null,
): JobOutcome {
  return {
    status,
    message,
    errorCode,
    snapshotId: null,
    filesTotal: 0,
    filesDone: 0,
    filesFailed: 0,
    bytesTotal: 0,
    bytesDone: 0,
    bytesAdded: 0,
    value: null,
  };
}
