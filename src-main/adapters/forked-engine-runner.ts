/**
 * The EngineRunner over child_process.fork: the harness, the tests and the benchmark. One process per
 * request (a crash affects one job), started from the TypeScript sources through tsx by default
 * (job-process/dev-entry.mjs), or from the bundled job-process.mjs; and the processes of repository
 * sessions (startSession), which answer many queries each.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { JobOutcome, JobRequest } from '../../src-shared/job-protocol';
import type { EngineRunHandlers, EngineRunner } from '../services/backup/engine-runner';
import type { SessionProcess, SessionProcessStarter } from '../services/backup/repository-sessions';
import {
  JobProcessSession,
  runOverJobProcess,
  type JobProcessHandle,
  type JobProcessTimeouts,
} from './job-process-connection';

export const DEV_JOB_PROCESS_ENTRY = fileURLToPath(new URL('../job-process/dev-entry.mjs', import.meta.url));

export interface ForkedEngineRunnerOptions extends JobProcessTimeouts {
  /** The script to fork; default: the sources through tsx. */
  entry?: string;
  env?: NodeJS.ProcessEnv;
  /** Run the job process as another user (tests running as root use this to have unreadable files). */
  uid?: number;
  gid?: number;
  /** Called with each started process (tests kill it to prove a crash is handled). */
  onSpawn?: (child: ChildProcess) => void;
}

/** How much of the process's stderr is kept for the log when it dies. */
const STDERR_TAIL = 4096;

export class ForkedEngineRunner implements EngineRunner, SessionProcessStarter {
  constructor(private readonly options: ForkedEngineRunnerOptions = {}) {}

  run(request: JobRequest, handlers: EngineRunHandlers, signal: AbortSignal): Promise<JobOutcome> {
    return runOverJobProcess(() => this.start(), request, handlers, signal, this.options);
  }

  startSession(): SessionProcess {
    return new JobProcessSession(() => this.start(), this.options);
  }

  private start(): JobProcessHandle {
    let stderr = '';
    const child = fork(this.options.entry ?? DEV_JOB_PROCESS_ENTRY, [], {
      // Not the parent's (vitest's or tsx's) flags: the entry brings its own loader if it needs one.
      execArgv: [],
      env: this.options.env ?? process.env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      ...(this.options.uid !== undefined ? { uid: this.options.uid } : {}),
      ...(this.options.gid !== undefined ? { gid: this.options.gid } : {}),
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      stderr = (stderr + s).slice(-STDERR_TAIL);
    });
    this.options.onSpawn?.(child);
    return forkedHandle(child, () => stderr.trim());
  }
}

function forkedHandle(child: ChildProcess, lastOutput: () => string): JobProcessHandle {
  let spawnError: Error | undefined;
  child.on('error', (err) => {
    spawnError = err;
  });
  return {
    send: (m) => {
      if (child.connected) child.send(m);
    },
    onMessage: (listener) => child.on('message', listener),
    // 'close', not 'exit': it comes after the IPC channel has delivered the process's last messages.
    onExit: (listener) =>
      child.on('close', (code, sig) => {
        listener(
          spawnError
            ? `could not run: ${spawnError.message}`
            : sig
              ? `killed by ${sig}`
              : `exit code ${code ?? 'unknown'}`,
        );
      }),
    kill: () => child.kill('SIGKILL'),
    lastOutput,
  };
}
