/**
 * Main's side of the job-process protocol against a scripted process: problem records arrive as
 * records, and an answer of another op's shape is a broken protocol, never read as an empty answer.
 */
import { describe, expect, it } from 'vitest';
import { runOverJobProcess, type JobProcessHandle } from '../../src-main/adapters/job-process-connection';
import {
  JOB_PROTOCOL_VERSION,
  emptyOutcome,
  type FromJobProcess,
  type JobOutcome,
  type JobRequest,
  type ToJobProcess,
} from '../../src-shared/job-protocol';
import { RunRecorder } from './job-process-helpers';

const request: JobRequest = {
  op: 'snapshots',
  repo: { kind: 'local', path: '/media/usb/vault' },
  password: 'hunter2',
};

/** A process that answers `run` with the messages `answer` gives for its request id. */
function scripted(answer: (requestId: string) => FromJobProcess[]): () => JobProcessHandle {
  return () => {
    let listener: (m: unknown) => void = () => {};
    return {
      send(m: ToJobProcess) {
        if (m.type === 'run') queueMicrotask(() => answer(m.requestId).forEach((a) => listener(a)));
      },
      onMessage(l) {
        listener = l;
        queueMicrotask(() => l({ type: 'ready', protocol: JOB_PROTOCOL_VERSION }));
      },
      onExit() {},
      kill() {},
    };
  };
}

const run = (answer: (requestId: string) => FromJobProcess[], rec = new RunRecorder()) =>
  runOverJobProcess(scripted(answer), request, rec, new AbortController().signal, { exitGraceMs: 10 });

describe('runOverJobProcess', () => {
  it('passes problem records on as records', async () => {
    const rec = new RunRecorder();
    const done: JobOutcome = {
      ...emptyOutcome('success', '0 backups in the vault.', null),
      value: { op: 'snapshots', snapshots: [] },
    };
    const outcome = await run(
      (requestId) => [
        { type: 'problem', requestId, problem: { kind: 'note', path: '/run/x.sock', reason: 'socket' } },
        { type: 'done', requestId, outcome: done },
      ],
      rec,
    );
    expect(outcome).toEqual(done);
    expect(rec.problems).toEqual([{ kind: 'note', path: '/run/x.sock', reason: 'socket' }]);
  });

  it("an answer of another op's shape fails the job as a broken protocol", async () => {
    const outcome = await run((requestId) => [
      {
        type: 'done',
        requestId,
        outcome: { ...emptyOutcome('success', 'ok', null), value: { op: 'ls', entries: [] } },
      },
    ]);
    expect(outcome).toMatchObject({ status: 'failed', errorCode: 'INTERNAL', value: null });
    expect(outcome.message).toBe(
      "The job process answered with another request's result (ls) instead of listing the backups.",
    );
  });
});
