/** The job process's small parts: the engine's problem records passed on, the progress throttle, failure words. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { EngineError, Repository, RestHttpStorage } from '../../src-engine/index';
import { JobContext } from '../../src-main/job-process/job-context';
import { describeFailure } from '../../src-main/job-process/failure';
import { ProgressThrottle } from '../../src-main/job-process/progress-throttle';
import type { EngineProblem } from '../../src-shared/engine-records';
import type { JobRequest } from '../../src-shared/job-protocol';

describe('JobContext.engineProblem', () => {
  function context() {
    const problems: EngineProblem[] = [];
    const logs: string[] = [];
    const ctx = new JobContext(new AbortController().signal, {
      progress: () => undefined,
      log: (_level, _path, message) => logs.push(message),
      problem: (p) => problems.push(p),
    });
    return { ctx, problems, logs };
  }

  it('passes each record on as it is, and counts only those that left a file out', () => {
    const { ctx, problems, logs } = context();
    const records: EngineProblem[] = [
      { kind: 'not-stored', path: '/home/me/a: b.txt', reason: 'permission denied', errno: 'EACCES' },
      { kind: 'not-restored', path: '/t/f', reason: 'a directory is in the way' },
      { kind: 'metadata', path: '/home', reason: 'restored, but its owner could not be set' },
      { kind: 'changed', path: '/home/me/log', reason: 'changed while it was backed up' },
      { kind: 'note', path: '/run/x.sock', reason: 'socket not backed up' },
    ];
    for (const r of records) ctx.engineProblem(r);
    expect(problems).toEqual(records);
    expect(ctx.filesFailed).toBe(2);
    expect(ctx.countsSoFar().filesFailed).toBe(2);
    // Records travel as records: nothing of them is turned into log text to be read back.
    expect(logs).toEqual([]);
  });

  it('a note or metadata not set leaves nothing failed', () => {
    const { ctx } = context();
    ctx.engineProblem({ kind: 'note', path: '/run/x.sock', reason: 'socket not backed up' });
    ctx.engineProblem({ kind: 'metadata', path: '/', reason: 'owner not set' });
    expect(ctx.filesFailed).toBe(0);
  });
});

describe('ProgressThrottle', () => {
  afterEach(() => vi.useRealTimers());

  it('sends the first at once, then at most one per interval, always the latest, and flush sends what waits', () => {
    vi.useFakeTimers();
    const sent: number[] = [];
    const t = new ProgressThrottle<number>(
      (n) => sent.push(n),
      250,
      () => Date.now(),
    );
    t.push(1);
    t.push(2);
    t.push(3);
    expect(sent).toEqual([1]);
    vi.advanceTimersByTime(250);
    expect(sent).toEqual([1, 3]);
    t.push(4);
    expect(sent).toEqual([1, 3]);
    t.flush();
    expect(sent).toEqual([1, 3, 4]);
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([1, 3, 4]);
  });
});

describe('describeFailure', () => {
  const request: JobRequest = {
    op: 'open',
    repo: { kind: 'local', path: '/media/usb/vault' },
    password: 'hunter2',
  };

  it('names the vault in plain words for the common failures, with an errorCode', () => {
    expect(
      describeFailure(new EngineError('WRONG_PASSWORD', 'wrong password: no key opens it'), request),
    ).toEqual({
      status: 'failed',
      errorCode: 'WRONG_PASSWORD',
      message: 'Wrong password: it does not open the vault at /media/usb/vault.',
    });
    expect(
      describeFailure(
        new EngineError('LOCKED', 'repository is locked: exclusive lock 1234 held by me@pc'),
        request,
      ),
    ).toMatchObject({ errorCode: 'LOCKED', message: expect.stringContaining('in use by another job') });
    expect(
      describeFailure(
        Object.assign(new Error('x'), { code: 'ENOSPC', path: '/media/usb/vault/packs' }),
        request,
      ),
    ).toEqual({
      status: 'failed',
      errorCode: 'DISK_FULL',
      message: '/media/usb/vault/packs: the disk is full.',
    });
    expect(describeFailure(new TypeError('boom'), request)).toMatchObject({ errorCode: 'INTERNAL' });
  });

  it('a cancel is a cancelled outcome, worded for the operation', () => {
    expect(
      describeFailure(new EngineError('CANCELLED', 'backup cancelled'), {
        ...request,
        op: 'verify',
        readData: true,
      } as JobRequest),
    ).toEqual({ status: 'cancelled', errorCode: null, message: 'Verify cancelled.' });
  });
});

describe('describeFailure of account storage', () => {
  let server: http.Server;
  /** HEAD (is it there?) answers `head`: a new repository's first write is what meets a full quota. */
  let answer: { status: number; body: string; head?: number } = { status: 200, body: '' };
  let url: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      const status = req.method === 'HEAD' ? (answer.head ?? answer.status) : answer.status;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/storage/alice/laptop/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const failureOpening = async (at: string, create = false) => {
    const request: JobRequest = {
      op: 'open',
      repo: { kind: 'account', url: at, token: 't0ken' },
      password: 'pw',
    };
    const storage = new RestHttpStorage(at, 't0ken', { retries: 0 });
    const error = await (create ? Repository.init(storage, 'pw') : Repository.open(storage, 'pw')).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EngineError);
    return { error: error as EngineError, failure: describeFailure(error, request) };
  };

  it("a 507 from the account server is QUOTA, in the server's own words, not the local disk full", async () => {
    answer = { status: 507, body: 'The account alice has used its quota of 1 GB.', head: 404 };
    const { error, failure } = await failureOpening(url, true);
    expect(error.status).toBe(507);
    expect(failure.errorCode).toBe('QUOTA');
    expect(failure.message).toContain('Your account storage on http://127.0.0.1');
    expect(failure.message).toContain('"The account alice has used its quota of 1 GB."');
    expect(failure.message).not.toContain('t0ken');
  });

  it('a 401 is UNAUTHORIZED: the device token was refused', async () => {
    answer = { status: 401, body: 'unauthorized' };
    const { error, failure } = await failureOpening(url);
    expect(error.status).toBe(401);
    expect(failure.errorCode).toBe('UNAUTHORIZED');
    expect(failure.message).toContain("refused this computer's device token");
  });

  it('a server that does not answer is UNREACHABLE, named', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { failure } = await failureOpening(`http://127.0.0.1:${port}/storage/alice/laptop/`);
    expect(failure.errorCode).toBe('UNREACHABLE');
    expect(failure.message).toMatch(new RegExp(`^Cannot reach the account server http://127.0.0.1:${port}`));
  });
});
