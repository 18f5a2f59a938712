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
  fromJobProcess,
  type JobOutcome,
  type JobRequest,
  type ToJobProcess,
} from '../../src-shared/job-protocol';
import {
  emptyOutcome,
  type EngineRunHandlers,
  type JobProgressMessage,
} from '../services/backup/engine-runner';

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
    const fail = (message: string, errorCode: 'process_crashed' | 'internal') => {
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
          'process_crashed',
        ),
      );
      return;
    }
    signal.addEventListener('abort', onAbort);
    later(startTimeoutMs, () => {
      if (!started)
        fail(
          `The job process did not start within ${Math.round(startTimeoutMs / 1000)} s.`,
          'process_crashed',
        );
    });

    child.onMessage((raw) => {
      if (settled) return;
      const parsed = fromJobProcess.safeParse(raw);
      if (!parsed.success) {
        fail('The job process sent a message that breaks the protocol; the job was stopped.', 'internal');
        return;
      }
      const m = parsed.data;
      if (m.type === 'ready') {
        if (started) return;
        started = true;
        if (m.protocol !== JOB_PROTOCOL_VERSION) {
          fail('The job process speaks another protocol version (a mixed installation?).', 'internal');
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
      } else {
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
        'process_crashed',
      );
    });
  });
}
