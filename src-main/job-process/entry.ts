/**
 * The job process: runs the engine for main, one request at a time, so no backup ever runs in main's
 * event loop and a crash here is one failed job, not a dead app. Started by Electron's utilityProcess
 * (the app) or child_process.fork (harness, tests); see parent-port.ts. It never imports electron.
 *
 * Every message from main is validated (src-shared/job-protocol.ts). It answers `ready` once started,
 * then for each `run`, one at a time: `progress` (a few a second), `log` (each file problem with its
 * path and reason) and exactly one `done`. A job's process gets one `run`; a repository session's
 * process gets many in turn, and keeps the repository they query open between them. `cancel` aborts the running job through its AbortSignal; `exit`, or main
 * going away, ends the process. The password arrives in `run` and is never sent back or logged.
 */
import {
  JOB_PROTOCOL_VERSION,
  toJobProcess,
  type FromJobProcess,
  type JobRequest,
} from '../../src-shared/job-protocol';
import { EngineError } from '../../src-engine/index';
import { emptyOutcome } from '../../src-shared/job-protocol';
import { describeFailure, failureOutcome } from './failure';
import { JobContext } from './job-context';
import { RepositoryHolder } from './opened-repository';
import { connectToParent } from './parent-port';
import { runJob } from './run-job';

const port = connectToParent();
const send = (m: FromJobProcess) => port.send(m);

/**
 * How long a cancelled job may take to stop cleanly. The engine stops between files, but a file being
 * read is finished first, which for a large one can take minutes; past this, the job is answered as
 * cancelled and the process exits. What it leaves (a lock naming this dead process, packs no index
 * names yet) is exactly what a crash leaves, and the next job handles both.
 */
const CANCEL_STOP_MS = 10_000;

/**
 * The repository the queries keep open between requests: a session's process (one per vault, kept by
 * main) answers each query after the first without deriving the key or reading the index again.
 */
const held = new RepositoryHolder();

let current:
  { requestId: string; request: JobRequest; controller: AbortController; ctx: JobContext } | undefined;

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
      outcome: emptyOutcome('failed', 'The job process is already running a job.', 'INTERNAL'),
    });
    return;
  }
  const controller = new AbortController();
  const ctx = new JobContext(controller.signal, {
    progress: (progress) => send({ type: 'progress', requestId, progress }),
    log: (level, path, message) => send({ type: 'log', requestId, level, path, message }),
    problem: (problem) => send({ type: 'problem', requestId, problem }),
  });
  const job = { requestId, request, controller, ctx };
  current = job;
  void runJob(request, ctx, held).then((outcome) => {
    if (current !== job) return; // already answered (cancel timed out, or a fatal error)
    current = undefined;
    send({ type: 'done', requestId, outcome });
  });
}

function cancel(job: NonNullable<typeof current>): void {
  if (job.controller.signal.aborted) return;
  job.controller.abort();
  setTimeout(() => {
    if (current !== job) return;
    current = undefined;
    job.ctx.flushProgress();
    const failure = describeFailure(new EngineError('CANCELLED', 'cancelled'), job.request);
    job.ctx.log('info', null, failure.message);
    const outcome = failureOutcome(failure, job.ctx.countsSoFar());
    port.sendAndExit({ type: 'done', requestId: job.requestId, outcome } satisfies FromJobProcess, 0);
  }, CANCEL_STOP_MS).unref();
}

port.onMessage((raw) => {
  const parsed = toJobProcess.safeParse(raw);
  if (!parsed.success) {
    const requestId = (raw as { requestId?: unknown } | null)?.requestId;
    if (typeof requestId === 'string' && (raw as { type?: unknown }).type === 'run') {
      send({
        type: 'done',
        requestId,
        outcome: emptyOutcome('failed', describeInvalid(parsed.error.issues), 'INVALID_ARGUMENT'),
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
      if (current?.requestId === msg.requestId) cancel(current);
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
  const job = current;
  if (!job) process.exit(1);
  current = undefined;
  const msg = err instanceof Error ? err.message : String(err);
  const outcome = {
    ...emptyOutcome('failed', `The job process failed: ${msg}`, 'INTERNAL'),
    ...job.ctx.countsSoFar(),
  };
  port.sendAndExit({ type: 'done', requestId: job.requestId, outcome } satisfies FromJobProcess, 1);
}
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

send({ type: 'ready', protocol: JOB_PROTOCOL_VERSION });
