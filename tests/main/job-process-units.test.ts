/** The job process's small parts: the engine's problem records as log entries, the progress throttle, failure words. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EngineError } from '../../src-engine/index';
import { fileProblem } from '../../src-main/job-process/engine-warnings';
import { describeFailure } from '../../src-main/job-process/failure';
import { ProgressThrottle } from '../../src-main/job-process/progress-throttle';
import type { JobRequest } from '../../src-shared/job-protocol';

describe('fileProblem', () => {
  it('keeps the path and the reason apart; a file not stored or not restored is missing', () => {
    expect(
      fileProblem({
        kind: 'not-stored',
        path: '/home/me/a: b.txt',
        reason: 'cannot read (EACCES: permission denied); not in this snapshot',
        errno: 'EACCES',
      }),
    ).toEqual({
      path: '/home/me/a: b.txt',
      reason: 'cannot read (EACCES: permission denied); not in this snapshot',
      fileMissing: true,
      note: false,
    });
    expect(
      fileProblem({ kind: 'not-restored', path: '/t/f', reason: 'a directory is in the way' }),
    ).toMatchObject({ reason: 'not restored (a directory is in the way)', fileMissing: true });
  });

  it('a skipped socket, metadata not set or a file stored while it changed leaves no file missing', () => {
    expect(fileProblem({ kind: 'note', path: '/run/x.sock', reason: 'socket not backed up' })).toMatchObject({
      path: '/run/x.sock',
      fileMissing: false,
      note: true,
    });
    for (const kind of ['metadata', 'changed'] as const)
      expect(fileProblem({ kind, path: '/t/dir', reason: 'x' })).toMatchObject({
        fileMissing: false,
        note: false,
      });
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
      errorCode: 'wrong_password',
      message: 'Wrong password: it does not open the vault at /media/usb/vault.',
    });
    expect(
      describeFailure(
        new EngineError('LOCKED', 'repository is locked: exclusive lock 1234 held by me@pc'),
        request,
      ),
    ).toMatchObject({ errorCode: 'locked', message: expect.stringContaining('in use by another job') });
    expect(
      describeFailure(
        Object.assign(new Error('x'), { code: 'ENOSPC', path: '/media/usb/vault/packs' }),
        request,
      ),
    ).toEqual({
      status: 'failed',
      errorCode: 'disk_full',
      message: '/media/usb/vault/packs: the disk is full.',
    });
    expect(describeFailure(new TypeError('boom'), request)).toMatchObject({ errorCode: 'internal' });
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
