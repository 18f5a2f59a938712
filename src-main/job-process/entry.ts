/**
 * The job process: runs the engine for main, one request at a time, so no backup ever runs in main's
 * event loop and a crash here is one failed job, not a dead app. Started by Electron's utilityProcess
 * (the app) or child_process.fork (harness, tests); see parent-port.ts. It never imports electron.
 *
 * Every message from main is validated (src-shared/job-protocol.ts). It answers `ready` once started,
 * then for a `run`: `progress` (a few a second), `log` (each file problem with its path and reason)
 * and exactly one `done`. `cancel` aborts the running job through its AbortSignal; `exit`, or main
 * going away, ends the process. The password arrives in `run` and is never sent back or logged.
 */
import {
  JOB_PROTOCOL_VERSION,
  toJobProcess,
  type FromJobProcess,
  type JobRequest,
} from '../../src-shared/job-protocol';
import { emptyOutcome } from '../services/backup/engine-runner';
import { JobContext } from './job-context';
import { connectToParent } from './parent-port';
import { runJob } from './run-job';

const port = connectToParent();
const send = (m: FromJobProcess) => port.send(m);

let current: { requestId: string; controller: AbortController } | undefined;

/** Names what is wrong with a message by field, never echoing its values (a password may be among them). */
function describeInvalid(issues: { path: PropertyKey[]; message: string }[]): string {
  const first = issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || 'message'}: ${i.message}`)
    .join('; ');
  return `The job request was refused: ${first}.`;
}

function start(requestId: string, request: JobRequest): void {
  if (current) {
    send({
      type: 'done',
      requestId,
      outcome: emptyOutcome('failed', 'The job process is already running a job.', 'internal'),
    });
    return;
  }
  const controller = new AbortController();
  current = { requestId, controller };
  const ctx = new JobContext(controller.signal, {
    progress: (progress) => send({ type: 'progress', requestId, progress }),
    log: (level, path, message) => send({ type: 'log', requestId, level, path, message }),
  });
  void runJob(request, ctx).then((outcome) => {
    current = undefined;
    send({ type: 'done', requestId, outcome });
  });
}

port.onMessage((raw) => {
  const parsed = toJobProcess.safeParse(raw);
  if (!parsed.success) {
    const requestId = (raw as { requestId?: unknown } | null)?.requestId;
    if (typeof requestId === 'string' && (raw as { type?: unknown }).type === 'run') {
      send({
        type: 'done',
        requestId,
        outcome: emptyOutcome('failed', describeInvalid(parsed.error.issues), 'invalid_argument'),
      });
    }
    return;
  }
  const msg = parsed.data;
  switch (msg.type) {
    case 'run':
      start(msg.requestId, msg.request);
      break;
    case 'cancel':
      if (current?.requestId === msg.requestId) current.controller.abort();
      break;
    case 'exit':
      process.exit(0);
  }
});

// Main is gone: nobody waits for the answer. A repository lock left behind names this (then dead)
// process, so the next job breaks it as stale.
port.onDisconnect(() => process.exit(0));

// Anything thrown outside a job's own promise: answer the job (if any) before going down, so main
// reports this error rather than a bare crash.
function fatal(err: unknown): void {
  if (current) {
    const msg = err instanceof Error ? err.message : String(err);
    send({
      type: 'done',
      requestId: current.requestId,
      outcome: emptyOutcome('failed', `The job process failed: ${msg}`, 'internal'),
    });
  }
  process.exitCode = 1;
  setImmediate(() => process.exit(1));
}
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

send({ type: 'ready', protocol: JOB_PROTOCOL_VERSION });
