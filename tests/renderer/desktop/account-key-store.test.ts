/**
 * The account key's screens decided by the store: the kit dialog after the unlock that made it,
 * the banner until it is confirmed, the restore offer's computers, and the password prompt that
 * lets an action needing a fresh sign-in go on. A scripted bridge stands in for window.api.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type {
  AccountKeyView,
  AccountKitPendingView,
  AccountKitView,
  Result,
} from '../../../src-shared/ipc-contract';
import { useAccountKey } from '../../../src-renderer/desktop/account/account-key-store';
import { useReauth } from '../../../src-renderer/desktop/account/reauth-store';
import { request } from '../../../src-renderer/desktop/request';
import { useDesktop } from '../../../src-renderer/desktop/store';

const READY: AccountKeyView = {
  state: 'ready',
  keyId: '1a2b 3c4d 5e6f 7081 92a3 b4c5 d6e7 f809',
  kitPending: false,
  serverIsLocal: false,
  reason: null,
  offerRestore: false,
  serverMoved: null,
};
const KIT: AccountKitView = {
  username: 'ada',
  serverUrl: 'https://backup.example.com',
  keyId: READY.keyId!,
  recoveryKey: '7KQ2-M0ZD-AB12-CD34-EF56-GH78-JK90-MN12-PQ34-RS56-TV78-WX90-YZ12-AB34',
  qrPngDataUrl: 'data:image/png;base64,AAAA',
  createdAt: '2026-12-07T18:00:00.000Z',
};
const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = (code: string) => ({ ok: false as const, error: { code, message: code } });

let calls: string[];
function scripted(answers: Record<string, (input?: unknown) => Promise<unknown>>) {
  const bridge = Object.fromEntries(
    Object.entries(answers).map(([name, answer]) => [
      name,
      (input?: unknown) => {
        calls.push(name);
        return answer(input);
      },
    ]),
  );
  vi.stubGlobal('window', { api: bridge });
}

beforeEach(() => {
  calls = [];
  useAccountKey.getState().reset();
  useReauth.setState({ open: false, waiting: [] });
  useDesktop.setState({ screen: { kind: 'starting' }, view: { page: 'backups' } });
});
afterEach(() => vi.unstubAllGlobals());

describe('the account recovery kit', () => {
  it('opens right after the unlock that made it, once, and not when no kit is pending', async () => {
    scripted({ accountKitGet: async () => ok(KIT) });
    await useAccountKey.getState().begin(READY);
    expect(calls).toEqual([]);
    expect(useAccountKey.getState().kit).toBeNull();

    await useAccountKey.getState().begin({ ...READY, kitPending: true });
    expect(useAccountKey.getState().kit).toEqual(KIT);
    useAccountKey.getState().closeKit();
    // "Later": the dialog is not forced again in this unlock; the banner (kitPending) stays.
    await useAccountKey.getState().begin({ ...READY, kitPending: true });
    expect(calls).toEqual(['accountKitGet']);
    expect(useAccountKey.getState().kit).toBeNull();
    expect(useAccountKey.getState().status?.kitPending).toBe(true);
  });

  it('"I have saved it" forgets the key on screen and ends the banner; a refusal keeps both', async () => {
    let refuse = true;
    scripted({
      accountKitGet: async () => ok(KIT),
      accountKitConfirmSaved: async () => (refuse ? fail('internal') : ok(null)),
    });
    await useAccountKey.getState().begin({ ...READY, kitPending: true });
    expect((await useAccountKey.getState().confirmSaved()).ok).toBe(false);
    expect(useAccountKey.getState().kit).toEqual(KIT);
    expect(useAccountKey.getState().status?.kitPending).toBe(true);
    refuse = false;
    expect((await useAccountKey.getState().confirmSaved()).ok).toBe(true);
    expect(useAccountKey.getState().kit).toBeNull();
    expect(useAccountKey.getState().status?.kitPending).toBe(false);
  });

  it('opened again from the banner, holds the kit without its key; a late second read hides no key on screen', async () => {
    const hidden: AccountKitPendingView = { ...KIT, recoveryKey: null, qrPngDataUrl: null };
    let answer: AccountKitView | AccountKitPendingView = KIT;
    scripted({ accountKitGet: async () => ok(answer) });
    await useAccountKey.getState().begin({ ...READY, kitPending: true });
    expect(useAccountKey.getState().kit).toEqual(KIT);
    answer = hidden;
    // A double mount reads the same kit again: the key main showed stays on screen.
    await useAccountKey.getState().openKit();
    expect(useAccountKey.getState().kit).toEqual(KIT);
    useAccountKey.getState().closeKit();
    await useAccountKey.getState().openKit();
    expect(useAccountKey.getState().kit).toEqual(hidden);
    // "Show the recovery key again" answered the kit with its key.
    useAccountKey.getState().showKit(KIT);
    expect(useAccountKey.getState().kit).toEqual(KIT);
  });

  it('a new kit from Account settings is shown and pending until confirmed', () => {
    useAccountKey.setState({ status: READY });
    useAccountKey.getState().showKit(KIT);
    expect(useAccountKey.getState().kit).toEqual(KIT);
    expect(useAccountKey.getState().status?.kitPending).toBe(true);
  });

  it('forgets the recovery key and the computers when the app locks', async () => {
    scripted({
      accountKitGet: async () => ok(KIT),
      accountComputers: async () => ok({ thisComputerId: 'x', computers: [], vaults: [] }),
    });
    await useAccountKey.getState().begin({ ...READY, kitPending: true, offerRestore: true });
    expect(useAccountKey.getState().computers).not.toBeNull();
    useAccountKey.getState().reset();
    expect(useAccountKey.getState()).toMatchObject({
      kit: null,
      status: null,
      computers: null,
      kitOffered: false,
    });
  });
});

describe('an unlock held at two-factor enrolment', () => {
  it('is remembered until the app locks, so the Backups page says the key opens at the next unlock', async () => {
    await useAccountKey
      .getState()
      .begin({ ...READY, state: 'unavailable', reason: 'x' }, { enrolling: true });
    expect(useAccountKey.getState().enrolling).toBe(true);
    await useAccountKey.getState().begin(READY);
    expect(useAccountKey.getState().enrolling).toBe(false);
    await useAccountKey.getState().begin(READY, { enrolling: true });
    useAccountKey.getState().reset();
    expect(useAccountKey.getState().enrolling).toBe(false);
  });
});

describe('the restore offer', () => {
  it('reads the computers only when the unlock said there is something to offer', async () => {
    scripted({ accountComputers: async () => ok({ thisComputerId: 'x', computers: [], vaults: [] }) });
    await useAccountKey.getState().begin(READY);
    expect(calls).toEqual([]);
    await useAccountKey.getState().begin({ ...READY, offerRestore: true });
    expect(calls).toEqual(['accountComputers']);
  });
});

describe('an action that needs a fresh sign-in', () => {
  it('asks for the password once and is tried again after account:reauthenticate', async () => {
    let fresh = false;
    scripted({ accountKitNew: async () => (fresh ? ok(KIT) : fail('reauthentication_required')) });
    const pending = request((api) => api.accountKitNew({ password: 'pw' }));
    await vi.waitFor(() => expect(useReauth.getState().open).toBe(true));
    fresh = true; // what account:reauthenticate did, before the prompt says so
    useReauth.getState().finish(true);
    const result = await pending;
    expect(result).toEqual(ok(KIT));
    expect(calls).toEqual(['accountKitNew', 'accountKitNew']);
    expect(useReauth.getState().open).toBe(false);
  });

  it('leaves the action undone, with its error, when the person cancels', async () => {
    scripted({ accountComputers: async () => fail('reauthentication_required') });
    const pending = request((api) => api.accountComputers());
    await vi.waitFor(() => expect(useReauth.getState().open).toBe(true));
    useReauth.getState().finish(false);
    const result = await pending;
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe('reauthentication_required');
    expect(calls).toEqual(['accountComputers']);
  });

  it('shares one prompt between actions waiting at once', async () => {
    let fresh = false;
    scripted({
      accountComputers: async () =>
        fresh ? ok({ thisComputerId: 'x', computers: [], vaults: [] }) : fail('reauthentication_required'),
    });
    const a = request((api) => api.accountComputers());
    const b = request((api) => api.accountComputers());
    await vi.waitFor(() => expect(useReauth.getState().waiting).toHaveLength(2));
    fresh = true;
    useReauth.getState().finish(true);
    expect((await a).ok && (await b).ok).toBe(true);
    expect(calls).toHaveLength(4);
  });
});
