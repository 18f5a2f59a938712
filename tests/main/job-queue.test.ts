/**
 * The job queue: one job per vault, cancel, waiting for a vault password, and a crashed job
 * process. Queue order and cancel use a runner the test finishes by hand (what the engine does is
 * not the point there); the crash uses the real forked job process, killed mid-job.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import type { EngineRunHandlers, EngineRunner } from '../../src-main/services/backup/engine-runner';
import { JobHistoryStore } from '../../src-main/services/backup/job-history-store';
import { JobQueue, WAIT_FOR_PASSWORD_MS, type JobSpec } from '../../src-main/services/backup/job-queue';
import { emptyOutcome, type JobOutcome, type JobRequest } from '../../src-shared/job-protocol';
import { ManualClock } from './fakes';

interface Pending {
  request: JobRequest;
  handlers: EngineRunHandlers;
  signal: AbortSignal;
  finish(outcome: JobOutcome): void;
}

/** A runner whose runs end when the test says so (and that honours abort like the real one). */
class HandRunner implements EngineRunner {
  readonly runs: Pending[] = [];
  run(request: JobRequest, handlers: EngineRunHandlers, signal: AbortSignal): Promise<JobOutcome> {
    return new Promise((resolve) => {
      this.runs.push({ request, handlers, signal, finish: resolve });
      signal.addEventListener('abort', () => resolve(emptyOutcome('cancelled', 'Cancelled.', null)));
    });
  }
}

let dir: string;
let history: JobHistoryStore;
let clock: ManualClock;
let passwords: Map<string, string>;

function spec(vaultId: string, extra: Partial<JobSpec> = {}): JobSpec {
  return {
    kind: 'backup',
    trigger: 'manual',
    vaultId,
    vaultName: vaultId,
    itemId: `item-${vaultId}`,
    itemName: 'Documents',
    request: (password) => ({
      op: 'verify',
      repo: { kind: 'local', path: path.join(dir, vaultId) },
      password,
      readData: false,
    }),
    ...extra,
  };
}

function queueWith(runner: EngineRunner) {
  return new JobQueue({
    history,
    runner,
    clock,
    passwords: {
      get: async (id) => passwords.get(id) ?? null,
      missingReason: (id) => `Waiting for the password of the vault "${id}".`,
    },
  });
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-queue-'));
  clock = new ManualClock();
  history = new JobHistoryStore(path.join(dir, 'jobs.sqlite'), () => clock.now());
  passwords = new Map([
    ['vault-a', 'pa'],
    ['vault-b', 'pb'],
  ]);
});
afterEach(() => {
  history.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const status = (id: string) => history.get(id)?.status;

describe('JobQueue', { timeout: 180_000 }, () => {
  it('runs one job per vault; the next waits; other vaults run alongside', async () => {
    const runner = new HandRunner();
    const queue = queueWith(runner);
    const a1 = queue.enqueue(spec('vault-a'));
    const a2 = queue.enqueue(spec('vault-a'));
    const b1 = queue.enqueue(spec('vault-b'));
    await vi.waitFor(() => expect(runner.runs).toHaveLength(2));
    expect([status(a1.id), status(a2.id), status(b1.id)]).toEqual(['running', 'waiting', 'running']);
    expect(runner.runs.map((r) => (r.request as { password: string }).password)).toEqual(['pa', 'pb']);
    runner.runs[0]!.finish({ ...emptyOutcome('success', 'Backed up 3 files.', null), filesDone: 3 });
    await vi.waitFor(() => expect(runner.runs).toHaveLength(3));
    expect(history.get(a1.id)).toMatchObject({
      status: 'success',
      filesDone: 3,
      message: 'Backed up 3 files.',
    });
    expect(status(a2.id)).toBe('running');
  });

  it('cancels a waiting job at once and a running one through its abort signal', async () => {
    const runner = new HandRunner();
    const queue = queueWith(runner);
    const running = queue.enqueue(spec('vault-a'));
    const waiting = queue.enqueue(spec('vault-a'));
    await vi.waitFor(() => expect(runner.runs).toHaveLength(1));
    expect(queue.cancel(waiting.id)).toBe(true);
    expect(history.get(waiting.id)).toMatchObject({
      status: 'cancelled',
      message: 'Cancelled before it started.',
    });
    expect(queue.cancel(running.id)).toBe(true);
    expect(runner.runs[0]!.signal.aborted).toBe(true);
    await vi.waitFor(() => expect(status(running.id)).toBe('cancelled'));
    expect(runner.runs).toHaveLength(1); // the cancelled waiting job never started
  });

  it('passes progress and log lines on, and runs the after-step (retention) once ended', async () => {
    const runner = new HandRunner();
    const queue = queueWith(runner);
    const progress: number[] = [];
    queue.onProgress((p) => progress.push(p.bytesDone));
    const after = vi.fn();
    const job = queue.enqueue(spec('vault-a', { after }));
    await vi.waitFor(() => expect(runner.runs).toHaveLength(1));
    const run = runner.runs[0]!;
    run.handlers.onProgress({
      phase: 'backup',
      filesDone: 1,
      filesTotal: 2,
      bytesDone: 50,
      bytesTotal: 100,
      currentFile: '/a',
      rate: 10,
      eta: 5,
    });
    expect(queue.progress(job.id)).toMatchObject({ jobId: job.id, bytesDone: 50 });
    run.handlers.onLog({ level: 'warning', path: '/data/secret.db', message: 'permission denied' });
    run.finish(emptyOutcome('warning', 'Backed up 1 file; 1 could not be read.', null));
    await vi.waitFor(() => expect(status(job.id)).toBe('warning'));
    expect(progress).toEqual([50]);
    expect(history.log(job.id)).toMatchObject([{ path: '/data/secret.db', message: 'permission denied' }]);
    expect(after).toHaveBeenCalledWith(
      expect.objectContaining({ id: job.id, status: 'warning' }),
      expect.anything(),
    );
    expect(queue.progress(job.id)).toBeNull();
  });

  it("keeps the engine's problem records in the job's log, by kind: what is missing warns, a note informs", async () => {
    const runner = new HandRunner();
    const queue = queueWith(runner);
    const job = queue.enqueue(spec('vault-a', { kind: 'restore' }));
    await vi.waitFor(() => expect(runner.runs).toHaveLength(1));
    const { handlers } = runner.runs[0]!;
    handlers.onProblem?.({
      kind: 'not-restored',
      path: '/home/me/a.txt',
      reason: 'a directory is in the way',
    });
    handlers.onProblem?.({ kind: 'metadata', path: '/home', reason: 'its owner could not be set' });
    handlers.onProblem?.({ kind: 'note', path: '/run/x.sock', reason: 'socket not backed up' });
    runner.runs[0]!.finish({ ...emptyOutcome('warning', 'Restored 1 file.', null), filesFailed: 1 });
    await vi.waitFor(() => expect(status(job.id)).toBe('warning'));
    expect(history.log(job.id).map(({ level, path: p, message }) => ({ level, path: p, message }))).toEqual([
      { level: 'warning', path: '/home/me/a.txt', message: 'not restored (a directory is in the way)' },
      { level: 'info', path: '/home', message: 'its owner could not be set' },
      { level: 'info', path: '/run/x.sock', message: 'socket not backed up' },
    ]);
  });

  it('waits for a vault password with the reason, starts when it is entered, skips after too long', async () => {
    passwords.delete('vault-a');
    const runner = new HandRunner();
    const queue = queueWith(runner);
    const job = queue.enqueue(spec('vault-a'));
    await vi.waitFor(() => expect(history.get(job.id)?.message).toContain('Waiting for the password'));
    expect(status(job.id)).toBe('waiting');
    passwords.set('vault-a', 'pa');
    queue.passwordsChanged();
    await vi.waitFor(() => expect(status(job.id)).toBe('running'));

    passwords.delete('vault-b');
    const late = queue.enqueue(spec('vault-b'));
    await vi.waitFor(() => expect(history.get(late.id)?.message).toContain('Waiting'));
    clock.advance(WAIT_FOR_PASSWORD_MS);
    expect(history.get(late.id)?.status).toBe('skipped');
    expect(history.get(late.id)?.message).toMatch(
      /^Skipped: the vault's password was not available for 12 hours/,
    );
  });

  it('a crashed job process fails its job with a clear message, and the next job runs', async () => {
    const children: ChildProcess[] = [];
    const runner = new ForkedEngineRunner({ onSpawn: (c) => children.push(c) });
    const queue = queueWith(runner);
    const init = (password: string): JobRequest => ({
      op: 'init',
      repo: { kind: 'local', path: path.join(dir, 'repo') },
      password,
    });
    const first = queue.enqueue(spec('vault-a', { request: init }));
    await vi.waitFor(() => expect(children).toHaveLength(1), { timeout: 20_000 });
    children[0]!.kill('SIGKILL');
    await vi.waitFor(() => expect(status(first.id)).toBe('failed'), { timeout: 20_000 });
    expect(history.get(first.id)?.message).toMatch(/job process/i);
    const second = queue.enqueue(spec('vault-a', { request: init }));
    await vi.waitFor(() => expect(['success', 'failed']).toContain(status(second.id)), { timeout: 30_000 });
    // A fresh process did the work (the crash left nothing behind that stops it).
    expect(children).toHaveLength(2);
    expect(history.get(second.id)).toMatchObject({ status: 'success' });
  });

  it('on quit, records the running job as cancelled and the waiting one as skipped before the history closes', async () => {
    const runner = new HandRunner();
    const queue = queueWith(runner);
    const running = queue.enqueue(spec('vault-a'));
    const waiting = queue.enqueue(spec('vault-a'));
    await vi.waitFor(() => expect(runner.runs).toHaveLength(1));
    queue.shutdown();
    expect(runner.runs[0]!.signal.aborted).toBe(true);
    expect(history.get(running.id)?.status).toBe('cancelled');
    expect(history.get(running.id)?.message).toContain('Strongroom was quit');
    expect(history.get(waiting.id)?.status).toBe('skipped');
    history.close();
    // The job process answers after the history closed: ignored, nothing throws.
    runner.runs[0]!.finish(emptyOutcome('cancelled', 'Cancelled.', null));
    await new Promise((r) => setImmediate(r));
    expect(() => queue.enqueue(spec('vault-b'))).toThrow(/quitting/);
    history = new JobHistoryStore(path.join(dir, 'jobs.sqlite'), () => clock.now());
  });
});
