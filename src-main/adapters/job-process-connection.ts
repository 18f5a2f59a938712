/**
 * The main side of one job process, written once for both ways of starting it (child_process.fork,
 * Electron's utilityProcess): wait for `ready`, send the request, pass progress and log messages on,
 * and resolve with the `done` outcome. Whatever the process does, the promise resolves: a crash, a
 * kill, a start that never answers or a message that breaks the protocol becomes a failed outcome
 * with a clear message; a cancel that the process does not honour in time ends in a kill.
 */
import crypto from 'node:crypto';
import {
  JOB_PROTOCOL_VERSION,
  emptyOutcome,
  fromJobProcess,
  type JobOutcome,
  type JobRequest,
  type ToJobProcess,
} from '../../src-shared/job-protocol';
import type { EngineRunHandlers, JobProgressMessage } from '../services/backup/engine-runner';
import type { SessionProcess } from '../services/backup/repository-sessions';

/** One started job process, as the two adapters expose it. */
export interface JobProcessHandle {
  send(message: ToJobProcess): void;
  onMessage(listener: (message: unknown) => void): void;
  /** `how` in words: "exit code 1", "killed by SIGKILL". */
  onExit(listener: (how: string) => void): void;
  kill(): void;
  /** The end of what the process wrote to stderr, if it is captured (a crash's last words). */
  lastOutput?(): string;
}

export interface JobProcessTimeouts {
  /** From start to `ready`; generous, the machine may be busy (default 60 s). */
  startTimeoutMs?: number;
  /** From cancel to `done` before the process is killed (default 20 s; the process itself answers after 10). */
  cancelGraceMs?: number;
  /** From `done` + `exit` to the process being gone before it is killed (default 5 s). */
  exitGraceMs?: number;
}

const OP_WORDS: Record<JobRequest['op'], string> = {
  init: 'creating the vault',
  open: 'opening the vault',
  backup: 'the backup',
  restore: 'the restore',
  verify: 'the verify',
  retention: 'the retention clean-up',
  snapshots: 'listing the backups',
  ls: 'listing the folder',
  catalogue: 'updating the file catalogue',
  accountSlot: "writing the vault's account key",
  rekey: "replacing the vault's password key",
  openDrive: 'opening the drive with its account key',
};

export function runOverJobProcess(
  start: () => JobProcessHandle,
  request: JobRequest,
  handlers: EngineRunHandlers,
  signal: AbortSignal,
  timeouts: JobProcessTimeouts = {},
): Promise<JobOutcome> {
  const startTimeoutMs = timeouts.startTimeoutMs ?? 60_000;
  const cancelGraceMs = timeouts.cancelGraceMs ?? 20_000;
  const exitGraceMs = timeouts.exitGraceMs ?? 5_000;
  const what = OP_WORDS[request.op];
  if (signal.aborted) return Promise.resolve(emptyOutcome('cancelled', 'Cancelled before it started.', null));

  return new Promise<JobOutcome>((resolve) => {
    const requestId = crypto.randomUUID();
    let child: JobProcessHandle;
    let settled = false;
    let started = false;
    let cancelling = false;
    let exited = false;
    let last: JobProgressMessage | undefined;
    const timers = new Set<NodeJS.Timeout>();
    const later = (ms: number, fn: () => void) => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    };
    const counts = () => ({
      filesTotal: last?.filesTotal ?? 0,
      filesDone: last?.filesDone ?? 0,
      bytesTotal: last?.bytesTotal ?? 0,
      bytesDone: last?.bytesDone ?? 0,
    });
    const settle = (outcome: JobOutcome) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      resolve(outcome);
    };
    const send = (m: ToJobProcess) => {
      try {
        child.send(m);
      } catch {
        // The process is gone; its exit settles the job.
      }
    };
    const kill = () => {
      if (exited) return;
      try {
        child.kill();
      } catch {
        // Already gone.
      }
    };
    const guard = (fn: () => void) => {
      // A throwing handler (main's side) must not leave the job unanswered.
      try {
        fn();
      } catch {
        /* ignored: progress and log are best effort */
      }
    };
    const fail = (message: string, errorCode: 'PROCESS_CRASHED' | 'INTERNAL') => {
      kill();
      settle({ ...emptyOutcome('failed', message, errorCode), ...counts() });
    };

    function onAbort() {
      if (settled || cancelling) return;
      cancelling = true;
      if (!started) {
        kill();
        settle(emptyOutcome('cancelled', 'Cancelled before it started.', null));
        return;
      }
      send({ type: 'cancel', requestId });
      // The engine stops between files; a process stuck in a long read is stopped the hard way.
      later(cancelGraceMs, kill);
    }

    try {
      child = start();
    } catch (err) {
      resolve(
        emptyOutcome(
          'failed',
          `The job process could not be started: ${(err as Error).message}.`,
          'PROCESS_CRASHED',
        ),
      );
      return;
    }
    signal.addEventListener('abort', onAbort);
    later(startTimeoutMs, () => {
      if (!started)
        fail(
          `The job process did not start within ${Math.round(startTimeoutMs / 1000)} s.`,
          'PROCESS_CRASHED',
        );
    });

    child.onMessage((raw) => {
      if (settled) return;
      const parsed = fromJobProcess.safeParse(raw);
      if (!parsed.success) {
        fail('The job process sent a message that breaks the protocol; the job was stopped.', 'INTERNAL');
        return;
      }
      const m = parsed.data;
      if (m.type === 'ready') {
        if (started) return;
        started = true;
        if (m.protocol !== JOB_PROTOCOL_VERSION) {
          fail('The job process speaks another protocol version (a mixed installation?).', 'INTERNAL');
          return;
        }
        send({ type: 'run', requestId, request });
        return;
      }
      if (m.requestId !== requestId) return;
      if (m.type === 'progress') {
        last = m.progress;
        guard(() => handlers.onProgress(m.progress));
      } else if (m.type === 'log') {
        guard(() => handlers.onLog({ level: m.level, path: m.path, message: m.message }));
      } else if (m.type === 'problem') {
        guard(() => handlers.onProblem?.(m.problem));
      } else {
        if (m.outcome.value !== null && m.outcome.value.op !== request.op) {
          fail(
            `The job process answered with another request's result (${m.outcome.value.op}) instead of ${what}.`,
            'INTERNAL',
          );
          return;
        }
        settle(m.outcome);
        send({ type: 'exit' });
        // Done is done; a process that lingers is not waited for, but it is not left behind either.
        const t = setTimeout(kill, exitGraceMs);
        t.unref();
      }
    });

    child.onExit((how) => {
      exited = true;
      if (settled) return;
      if (cancelling) {
        settle({
          ...emptyOutcome('cancelled', `Cancelled; ${what} was stopped before it finished.`, null),
          ...counts(),
        });
        return;
      }
      // Its last words go to the job's log (never the request: that holds the password).
      const tail = child.lastOutput?.();
      if (tail)
        guard(() => handlers.onLog({ level: 'error', path: null, message: `Job process output: ${tail}` }));
      fail(
        `The job process stopped unexpectedly (${how}) before ${what} finished. ` +
          'Nothing already stored in the vault was lost; run it again.',
        'PROCESS_CRASHED',
      );
    });
  });
}

/**
 * A repository session's process: started once, then asked one request after another (see
 * RepositorySessions). The same protocol as a job's process, without the `exit` after each `done`.
 * A crash or a kill answers the request in flight as failed, in words; a message that breaks the
 * protocol fails it too and stops the process. Either way the session is gone and says so (onGone).
 */
export class JobProcessSession implements SessionProcess {
  private readonly child: JobProcessHandle | undefined;
  private readonly timeouts: Required<JobProcessTimeouts>;
  private started = false;
  private gone = false;
  private goneHow = '';
  private readonly goneListeners: (() => void)[] = [];
  private readonly whenGone: Promise<void>;
  private markGone!: () => void;
  private readyWaiters: ((ok: boolean) => void)[] = [];
  private startTimer: NodeJS.Timeout | undefined;
  private current:
    | {
        requestId: string;
        request: JobRequest;
        handlers: EngineRunHandlers;
        last: JobProgressMessage | undefined;
        resolve: (o: JobOutcome) => void;
        cancelling: boolean;
      }
    | undefined;

  constructor(start: () => JobProcessHandle, timeouts: JobProcessTimeouts = {}) {
    this.timeouts = {
      startTimeoutMs: timeouts.startTimeoutMs ?? 60_000,
      cancelGraceMs: timeouts.cancelGraceMs ?? 20_000,
      exitGraceMs: timeouts.exitGraceMs ?? 5_000,
    };
    this.whenGone = new Promise((resolve) => (this.markGone = resolve));
    try {
      this.child = start();
    } catch (err) {
      this.goneHow = `could not be started: ${(err as Error).message}`;
      this.ended();
      return;
    }
    this.startTimer = setTimeout(() => {
      if (!this.started)
        this.stop(`did not start within ${Math.round(this.timeouts.startTimeoutMs / 1000)} s`);
    }, this.timeouts.startTimeoutMs);
    this.child.onMessage((raw) => this.received(raw));
    this.child.onExit((how) => {
      if (!this.goneHow) this.goneHow = `stopped unexpectedly (${how})`;
      const tail = this.child?.lastOutput?.();
      const c = this.current;
      if (c && tail)
        guard(() => c.handlers.onLog({ level: 'error', path: null, message: `Job process output: ${tail}` }));
      this.ended();
    });
  }

  onGone(listener: () => void): void {
    if (this.gone) listener();
    else this.goneListeners.push(listener);
  }

  async run(request: JobRequest, handlers: EngineRunHandlers, signal: AbortSignal): Promise<JobOutcome> {
    if (signal.aborted) return emptyOutcome('cancelled', 'Cancelled before it started.', null);
    if (this.current)
      return emptyOutcome('failed', 'The vault session is busy with another request.', 'INTERNAL');
    if (!(await this.ready())) return this.goneOutcome(request, undefined);
    return new Promise<JobOutcome>((resolve) => {
      const requestId = crypto.randomUUID();
      let cancelTimer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        const c = this.current;
        if (c?.requestId !== requestId || c.cancelling) return;
        c.cancelling = true;
        this.send({ type: 'cancel', requestId });
        // A query stuck in a long read is stopped the hard way, and the session with it.
        cancelTimer = setTimeout(() => this.stop('did not stop when cancelled'), this.timeouts.cancelGraceMs);
      };
      this.current = {
        requestId,
        request,
        handlers,
        last: undefined,
        cancelling: false,
        resolve: (outcome) => {
          if (cancelTimer) clearTimeout(cancelTimer);
          signal.removeEventListener('abort', onAbort);
          this.current = undefined;
          resolve(outcome);
        },
      };
      signal.addEventListener('abort', onAbort);
      this.send({ type: 'run', requestId, request });
    });
  }

  end(): Promise<void> {
    if (!this.gone && this.child) {
      if (!this.goneHow) this.goneHow = 'was closed';
      this.send({ type: 'exit' });
      const t = setTimeout(() => this.kill(), this.timeouts.exitGraceMs);
      t.unref();
    }
    return this.whenGone;
  }

  private ready(): Promise<boolean> {
    if (this.gone) return Promise.resolve(false);
    if (this.started) return Promise.resolve(true);
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  private received(raw: unknown): void {
    if (this.gone) return;
    const parsed = fromJobProcess.safeParse(raw);
    if (!parsed.success) {
      this.stop('sent a message that breaks the protocol');
      return;
    }
    const m = parsed.data;
    if (m.type === 'ready') {
      if (this.started) return;
      if (m.protocol !== JOB_PROTOCOL_VERSION) {
        this.stop('speaks another protocol version (a mixed installation?)');
        return;
      }
      this.started = true;
      if (this.startTimer) clearTimeout(this.startTimer);
      for (const w of this.readyWaiters.splice(0)) w(true);
      return;
    }
    const c = this.current;
    if (!c || m.requestId !== c.requestId) return;
    if (m.type === 'progress') {
      c.last = m.progress;
      guard(() => c.handlers.onProgress(m.progress));
    } else if (m.type === 'log') {
      guard(() => c.handlers.onLog({ level: m.level, path: m.path, message: m.message }));
    } else if (m.type === 'problem') {
      guard(() => c.handlers.onProblem?.(m.problem));
    } else if (m.outcome.value !== null && m.outcome.value.op !== c.request.op) {
      // Another request's result: the session can no longer be trusted to answer this one.
      this.stop('sent a message that breaks the protocol');
    } else {
      c.resolve(m.outcome);
    }
  }

  /** Ends the session for a fault: the process is killed, and the request in flight fails with `how`. */
  private stop(how: string): void {
    if (this.gone) return;
    if (!this.goneHow) this.goneHow = how;
    this.kill();
  }

  private kill(): void {
    try {
      this.child?.kill();
    } catch {
      // Already gone.
    }
  }

  private send(m: ToJobProcess): void {
    try {
      this.child?.send(m);
    } catch {
      // The process is gone; its exit answers what was in flight.
    }
  }

  private ended(): void {
    if (this.gone) return;
    this.gone = true;
    if (this.startTimer) clearTimeout(this.startTimer);
    for (const w of this.readyWaiters.splice(0)) w(false);
    const c = this.current;
    if (c) c.resolve(this.goneOutcome(c.request, c));
    for (const l of this.goneListeners.splice(0)) guard(l);
    this.markGone();
  }

  private goneOutcome(request: JobRequest, c: NonNullable<typeof this.current> | undefined): JobOutcome {
    const what = OP_WORDS[request.op];
    const counts = {
      filesTotal: c?.last?.filesTotal ?? 0,
      filesDone: c?.last?.filesDone ?? 0,
      bytesTotal: c?.last?.bytesTotal ?? 0,
      bytesDone: c?.last?.bytesDone ?? 0,
    };
    if (c?.cancelling)
      return { ...emptyOutcome('cancelled', `Cancelled; ${what} was stopped.`, null), ...counts };
    return {
      ...emptyOutcome(
        'failed',
        `The vault's job process ${this.goneHow || 'stopped'} before ${what} finished. Nothing in the vault changed; try again.`,
        this.goneHow.includes('protocol') ? 'INTERNAL' : 'PROCESS_CRASHED',
      ),
      ...counts,
    };
  }
}

function guard(fn: () => void): void {
  // A throwing handler (main's side) must not leave a request unanswered.
  try {
    fn();
  } catch {
    /* ignored: progress and log are best effort */
  }
}
