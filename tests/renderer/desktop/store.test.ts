/**
 * The desktop store's decisions about what the window may show, with a scripted bridge in place
 * of window.api (the real bridge is exercised by the Playwright journeys through the harness).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AccountView, LockStatus, Result } from '../../../src-shared/ipc-contract';
import { useDesktop } from '../../../src-renderer/desktop/store';

const LOCKED: LockStatus = {
  locked: true,
  reason: 'close',
  lockedAt: '2026-11-28T01:00:00.000Z',
  serverUrl: 'http://127.0.0.1:8437',
  serverIsLocal: true,
  lastUsername: 'alice',
  canCreateAccount: false,
};
const ACCOUNT: AccountView = {
  deviceTokenProblem: null,
  username: 'alice',
  serverUrl: 'http://127.0.0.1:8437',
  totpEnabled: true,
  mustEnrollTotp: false,
  recoveryCodesRemaining: 10,
  accountKey: {
    state: 'ready',
    keyId: '1a2b 3c4d 5e6f 7081 92a3 b4c5 d6e7 f809',
    kitPending: false,
    serverIsLocal: true,
    reason: null,
    offerRestore: false,
    serverMoved: null,
  },
};
const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const lockedError = { ok: false as const, error: { code: 'locked' as const, message: 'The app is locked.' } };

let calls: string[];
let bridge: Record<string, (...args: unknown[]) => Promise<unknown>>;

function scripted(answers: Record<string, () => Promise<unknown>>) {
  bridge = Object.fromEntries(
    Object.entries(answers).map(([name, answer]) => [
      name,
      () => {
        calls.push(name);
        return answer();
      },
    ]),
  );
  vi.stubGlobal('window', { api: bridge });
}

beforeEach(() => {
  calls = [];
  useDesktop.setState({ screen: { kind: 'starting' }, view: { page: 'account' } });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('desktop store', () => {
  it('asks lock:status first and shows only the unlock screen when main says locked', async () => {
    scripted({ lockStatus: async () => ok(LOCKED), accountGet: async () => ok(ACCOUNT) });
    await useDesktop.getState().start();
    expect(calls).toEqual(['lockStatus']);
    expect(useDesktop.getState().screen).toEqual({ kind: 'locked', status: LOCKED, notice: 'close' });
  });

  it('shows the account after a reload only when main is unlocked and still answers account:get', async () => {
    scripted({
      lockStatus: async () => ok({ ...LOCKED, locked: false }),
      accountGet: async () => ok(ACCOUNT),
    });
    await useDesktop.getState().start();
    expect(calls).toEqual(['lockStatus', 'accountGet']);
    expect(useDesktop.getState().screen).toEqual({ kind: 'unlocked', account: ACCOUNT, serverIsLocal: true });

    scripted({
      lockStatus: async () => ok({ ...LOCKED, locked: false }),
      accountGet: async () => lockedError,
    });
    await useDesktop.getState().start();
    expect(useDesktop.getState().screen.kind).toBe('locked');
  });

  it('says so when there is no bridge at all', async () => {
    vi.stubGlobal('window', {});
    await useDesktop.getState().start();
    expect(useDesktop.getState().screen).toEqual({ kind: 'no-bridge' });
  });

  it('retries a bridge that fails at start-up five times, then shows what went wrong', async () => {
    scripted({
      lockStatus: async () => {
        throw new Error('socket closed');
      },
    });
    await useDesktop.getState().start();
    expect(calls).toEqual(Array(5).fill('lockStatus'));
    expect(useDesktop.getState().screen).toEqual({
      kind: 'start-failed',
      message: 'The connection to the app was interrupted. Try again.',
    });
  });

  it('carries on as soon as a retry at start-up is answered', async () => {
    let failures = 2;
    scripted({
      lockStatus: async () => {
        if (failures-- > 0) throw new Error('socket still connecting');
        return ok(LOCKED);
      },
    });
    await useDesktop.getState().start();
    expect(calls).toEqual(['lockStatus', 'lockStatus', 'lockStatus']);
    expect(useDesktop.getState().screen).toEqual({ kind: 'locked', status: LOCKED, notice: 'close' });
  });

  it('drops the account at once when a call is answered "locked"', async () => {
    let status = ok({ ...LOCKED, locked: false });
    scripted({ lockStatus: async () => status, accountGet: async () => ok(ACCOUNT) });
    await useDesktop.getState().start();
    expect(useDesktop.getState().screen.kind).toBe('unlocked');

    status = ok({ ...LOCKED, reason: 'idle' });
    useDesktop.getState().guard(lockedError);
    // Synchronously: nothing of the account is left to render.
    expect(useDesktop.getState().screen).toEqual({ kind: 'starting' });
    await vi.waitFor(() => expect(useDesktop.getState().screen.kind).toBe('locked'));
  });

  it('shows the reason main gives with onLocked', async () => {
    scripted({ lockStatus: async () => ok({ ...LOCKED, reason: 'idle' }) });
    useDesktop.setState({ screen: { kind: 'unlocked', account: ACCOUNT, serverIsLocal: true } });
    useDesktop.getState().lockedByMain('idle');
    await vi.waitFor(() =>
      expect(useDesktop.getState().screen).toMatchObject({ kind: 'locked', notice: 'idle' }),
    );
  });

  it('keeps nothing of the account once Lock… has been confirmed', async () => {
    scripted({ lockLockAndClose: async () => ok(null) });
    useDesktop.setState({ screen: { kind: 'unlocked', account: ACCOUNT, serverIsLocal: true } });
    expect(await useDesktop.getState().lockAndClose()).toBeNull();
    expect(useDesktop.getState().screen).toEqual({ kind: 'closing' });
  });

  it('stays unlocked and reports the problem when Lock… fails', async () => {
    scripted({
      lockLockAndClose: async () => ({ ok: false, error: { code: 'internal', message: 'Could not write.' } }),
    });
    useDesktop.setState({ screen: { kind: 'unlocked', account: ACCOUNT, serverIsLocal: true } });
    expect(await useDesktop.getState().lockAndClose()).toEqual({
      code: 'internal',
      message: 'Could not write.',
    });
    expect(useDesktop.getState().screen.kind).toBe('unlocked');
  });

  it('opens on Backups after unlocking, on the guide after Create account, on Account when two-factor must be set up', () => {
    useDesktop.setState({ screen: { kind: 'locked', status: LOCKED, notice: null } });
    useDesktop.getState().unlocked(ACCOUNT);
    expect(useDesktop.getState().view).toEqual({ page: 'backups' });
    useDesktop.getState().unlocked(ACCOUNT, { firstRun: true });
    expect(useDesktop.getState().view).toEqual({ page: 'guide' });
    useDesktop
      .getState()
      .unlocked({ ...ACCOUNT, totpEnabled: false, mustEnrollTotp: true }, { firstRun: true });
    expect(useDesktop.getState().view).toEqual({ page: 'account' });
  });
});
