/**
 * The IPC gate, without launching Electron: the handlers register.ts gives a fake ipcMain are
 * captured and called with the events a real renderer (or an intruder) would produce.
 */
import type { IpcMainInvokeEvent, WebContents } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createDispatch, type Handlers } from '../../src-main/ipc/dispatch';
import { ownUrlChecker, registerIpc, type IpcMainLike } from '../../src-main/ipc/register';
import { ServiceError } from '../../src-main/services/service-error';
import { channels, type Channel } from '../../src-shared/ipc-contract';
import { CHANNELS, EVENTS, buildApi } from '../../src-preload/index';

const INDEX = 'file:///opt/Strongroom/resources/app.asar/dist/renderer/desktop/index.html';

type Handler = (event: IpcMainInvokeEvent, input?: unknown) => Promise<unknown>;

class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, Handler>();
  handle(channel: string, listener: Handler) {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  }
}

let nextProcessId = 4;
function fakeContents(url = INDEX) {
  const mainFrame = { url, processId: nextProcessId++, routingId: 1, parent: null } as { url: string };
  return { mainFrame } as unknown as WebContents & { mainFrame: { url: string } };
}

function eventFrom(sender: WebContents, frame: unknown = sender.mainFrame): IpcMainInvokeEvent {
  return { sender, senderFrame: frame } as unknown as IpcMainInvokeEvent;
}

const allChannels = Object.keys(channels) as Channel[];

let ipc: FakeIpcMain;
let window: ReturnType<typeof fakeContents>;
let locked: boolean;
let handlers: { [C in Channel]: ReturnType<typeof vi.fn> };
let logs: string[];

beforeEach(() => {
  ipc = new FakeIpcMain();
  window = fakeContents();
  locked = false;
  logs = [];
  handlers = Object.fromEntries(
    allChannels.map((c) => [c, vi.fn(async () => `answer of ${c}`)]),
  ) as typeof handlers;
  const dispatch = createDispatch({
    handlers: handlers as unknown as Handlers,
    isLocked: () => locked,
    log: (m) => logs.push(m),
  });
  registerIpc(ipc, dispatch, { webContents: () => window, isOwnUrl: ownUrlChecker({ indexHtmlUrl: INDEX }) });
});

function call(channel: Channel, input?: unknown, event: IpcMainInvokeEvent = eventFrom(window)) {
  const handler = ipc.handlers.get(channel);
  if (!handler) throw new Error(`no handler for ${channel}`);
  return handler(event, input);
}

const VAULT_ID = '3f0e8c2a-5b7d-4e1f-9a6c-0d2b4f6e8a1c';
const ITEM_ID = '7a1c9e3b-2d4f-4a6b-8c0e-1f3a5c7e9b2d';
const JOB_ID = 'c4e6a8b0-1d3f-4b5a-9c7e-2f4a6c8e0b1d';

const validInput: { [C in Channel]: unknown } = {
  'lock:status': undefined,
  'auth:unlock': { username: 'alice', password: 'correct horse battery', totp: '123 456' },
  'lock:lockAndClose': undefined,
  'lock:lockNow': undefined,
  'account:get': undefined,
  'account:keepDeviceKeyAgain': undefined,
  'totp:begin': undefined,
  'totp:confirm': { code: '123456' },
  'totp:disable': { password: 'pw', code: '123456' },
  'totp:regenerateRecoveryCodes': { code: '123456' },
  'settings:get': undefined,
  'settings:set': { autoLockMinutes: 5 },
  'activity:ping': undefined,
  'auth:createAccount': { username: 'alice', password: 'correct horse battery staple' },
  'backup:overview': undefined,
  'backup:setPreferences': { notifyOnSuccess: true },
  'vault:create': {
    type: 'local',
    name: 'USB drive',
    path: '/media/usb/strongroom',
    mode: 'new',
    password: 'vault password',
    storePassword: true,
  },
  'vault:rename': { vaultId: VAULT_ID, name: 'Office NAS' },
  'vault:remove': { vaultId: VAULT_ID },
  'vault:enterPassword': { vaultId: VAULT_ID, password: 'vault password' },
  'vault:verify': { vaultId: VAULT_ID, readData: false },
  'vault:storageUsage': { vaultId: VAULT_ID },
  'vault:saveRecoveryKit': {
    vaultId: VAULT_ID,
    accountPassword: 'correct horse battery',
    destinationPath: '/home/alice/strongroom-kit.txt',
  },
  'item:save': {
    name: 'Documents',
    paths: ['/home/alice/Documents'],
    excludes: [],
    excludePresets: ['caches'],
    vaultId: VAULT_ID,
    schedule: { kind: 'daily', at: '02:00' },
    retention: { mode: 'policy', keepDaily: 7 },
    conditions: { catchUpMissed: true, skipOnBattery: false },
  },
  'item:remove': { itemId: ITEM_ID },
  'item:checkPaths': { paths: ['/home/alice/Documents'] },
  'job:backupNow': { itemId: ITEM_ID },
  'job:cancel': { jobId: JOB_ID },
  'job:list': { itemId: ITEM_ID, status: 'failed', limit: 50 },
  'job:get': { jobId: JOB_ID },
  'restore:snapshots': { vaultId: VAULT_ID, itemId: ITEM_ID },
  'restore:browse': { vaultId: VAULT_ID, snapshotId: 'abcdef0123456789', path: '/home/alice' },
  'restore:start': {
    vaultId: VAULT_ID,
    snapshotId: 'abcdef0123456789',
    include: [],
    destination: { mode: 'folder', path: '/tmp/restored' },
    conflict: 'keep-both',
  },
  'dialog:choosePath': { purpose: 'folder', title: 'Choose a folder' },
  'shell:showInFolder': { path: '/tmp/restored' },
  'catalogue:search': { query: 'taxes/2025*.pdf', vaultId: VAULT_ID, limit: 50 },
  'catalogue:versions': { vaultId: VAULT_ID, itemId: ITEM_ID, path: '/home/alice/taxes/2025.pdf' },
  'catalogue:diff': {
    vaultId: VAULT_ID,
    fromSnapshotId: 'abcdef0123456789',
    toSnapshotId: '0123456789abcdef',
    limit: 500,
  },
  'catalogue:status': undefined,
  'catalogue:update': { vaultId: VAULT_ID, rebuild: true },
  'accountKey:status': undefined,
  'accountKit:get': undefined,
  'accountKit:showAgain': { password: 'correct horse battery', totp: '123456' },
  'accountKit:save': { destinationPath: '/home/alice/strongroom-account-kit.txt' },
  'accountKit:confirmSaved': undefined,
  'accountKit:new': { password: 'correct horse battery', totp: '123456' },
  'account:reauthenticate': { password: 'correct horse battery', recoveryCode: 'abcd-efgh-jk' },
  'account:changePassword': {
    currentPassword: 'correct horse battery',
    newPassword: 'a brand new passphrase',
    totp: '123456',
  },
  'auth:forgotPassword': {
    username: 'alice',
    recoveryKey: '7KQ2-M0ZD-7KQ2-M0ZD-7KQ2-M0ZD-7KQ2-M0ZD-7KQ2-M0ZD-7KQ2-M0ZD-7KQ2-M0ZD',
    totp: '123456',
    newPassword: 'a brand new passphrase',
  },
  'account:computers': undefined,
  'account:addVaults': { vaultIds: [VAULT_ID] },
  'account:connectDrive': { vaultId: VAULT_ID, path: '/media/usb/strongroom' },
  'account:takeOver': {
    computerId: '0123456789abcdef0123456789abcdef',
    pathMap: [{ from: '/home/alice/Documents', to: '/home/alice2/Documents' }],
    revokeOld: true,
    password: 'my account password',
  },
  'account:answerServerMove': { accept: true, password: 'correct horse battery' },
  'account:startFresh': { password: 'my account password', totp: '123456' },
  'account:lockedVaults': undefined,
  'vault:rekeyOffers': undefined,
  'vault:rekey': { vaultId: VAULT_ID, password: 'pw' },
  'account:askServerMoveAgain': undefined,
  'account:openLockedVaults': {
    recoveryKey: '7KQ2-M0ZD-7KQ2-M0ZD-7KQ2-M0ZD-7KQ2-M0ZD-7KQ2-M0ZD-7KQ2-M0ZD-7KQ2-M0ZD',
  },
  'vault:openDrive': {
    path: '/media/usb/strongroom',
    recoveryKey: '7KQ2-M0ZD-7KQ2-M0ZD-7KQ2-M0ZD-7KQ2-M0ZD-7KQ2-M0ZD-7KQ2-M0ZD-7KQ2-M0ZD',
  },
};

describe('registration', () => {
  it('registers exactly one handler per channel of the contract', () => {
    expect([...ipc.handlers.keys()].sort()).toEqual([...allChannels].sort());
  });
});

describe('sender check', () => {
  it('answers our window main frame showing our page', async () => {
    await expect(call('lock:status')).resolves.toEqual({ ok: true, value: 'answer of lock:status' });
  });

  it('drops a call from another webContents', async () => {
    const other = fakeContents();
    await expect(call('lock:status', undefined, eventFrom(other))).resolves.toBeNull();
    expect(handlers['lock:status']).not.toHaveBeenCalled();
    expect(logs.join()).toContain('untrusted sender');
  });

  it('drops a call from a subframe of our window', async () => {
    const iframe = { url: INDEX };
    await expect(
      call('auth:unlock', validInput['auth:unlock'], eventFrom(window, iframe)),
    ).resolves.toBeNull();
    expect(handlers['auth:unlock']).not.toHaveBeenCalled();
  });

  it('drops a call from our window once it shows another page', async () => {
    window.mainFrame.url = 'https://evil.example/index.html';
    await expect(call('lock:status')).resolves.toBeNull();
    window.mainFrame.url = 'file:///tmp/other/index.html';
    await expect(call('lock:status')).resolves.toBeNull();
    expect(handlers['lock:status']).not.toHaveBeenCalled();
  });

  it('answers our main frame when Electron hands it over as another object', async () => {
    const main = window.mainFrame as unknown as { processId: number; routingId: number };
    const sameFrame = { url: INDEX, processId: main.processId, routingId: main.routingId, parent: null };
    await expect(call('lock:status', undefined, eventFrom(window, sameFrame))).resolves.toMatchObject({
      ok: true,
    });
  });

  it('drops a subframe or another process that looks like our main frame', async () => {
    const main = window.mainFrame as unknown as { processId: number; routingId: number };
    const ids = { url: INDEX, processId: main.processId, routingId: main.routingId };
    const iframe = { ...ids, routingId: main.routingId + 1, parent: window.mainFrame };
    const nested = { ...ids, parent: window.mainFrame };
    const otherProcess = { ...ids, processId: main.processId + 100, parent: null };
    for (const frame of [iframe, nested, otherProcess]) {
      await expect(call('lock:status', undefined, eventFrom(window, frame))).resolves.toBeNull();
    }
    expect(handlers['lock:status']).not.toHaveBeenCalled();
  });

  it('drops a call whose frame is gone', async () => {
    await expect(call('lock:status', undefined, eventFrom(window, null))).resolves.toBeNull();
    expect(handlers['lock:status']).not.toHaveBeenCalled();
  });

  it('drops calls from the page of a window that is gone (the gate asks for the window at every call)', async () => {
    // The very event that is answered while the window exists...
    const fromOurWindow = eventFrom(window);
    await expect(call('lock:status', undefined, fromOurWindow)).resolves.toMatchObject({ ok: true });
    // ...is dropped once there is no window any more (closed, or destroyed and not yet replaced).
    window = null as unknown as typeof window;
    await expect(call('lock:status', undefined, fromOurWindow)).resolves.toBeNull();
    expect(handlers['lock:status']).toHaveBeenCalledTimes(1);
    expect(logs.join()).toContain('untrusted sender');
  });
});

describe('input validation', () => {
  const invalid: [Channel, unknown][] = [
    ['auth:unlock', { username: 'alice' }],
    ['auth:unlock', { username: 'alice', password: '' }],
    ['auth:unlock', { username: 'alice', password: 'pw', totp: '12345' }],
    ['auth:unlock', { username: 'alice', password: 'pw', switchAccount: false }],
    ['auth:unlock', { username: 'alice', password: 'pw', serverUrl: 'file:///etc/passwd' }],
    ['auth:unlock', { username: 'alice', password: 'pw', isAdmin: true }],
    ['auth:unlock', 'alice:pw'],
    ['totp:confirm', { code: 'abcdef' }],
    ['totp:disable', { code: '123456' }],
    ['settings:set', { autoLockMinutes: 7 }],
    ['settings:set', { lockOnSuspend: 'yes' }],
    ['settings:set', { rememberComputer: 'no' }],
    ['lock:status', { sneaky: true }],
    ['account:get', 42],
    ['auth:createAccount', { username: 'alice' }],
    ['auth:createAccount', { username: 'a', password: 'short', extra: 1 }],
    ['backup:overview', { all: true }],
    ['backup:setPreferences', { staleWarningDays: -1 }],
    ['backup:setPreferences', { sneaky: true }],
    ['vault:create', { ...(validInput['vault:create'] as object), mode: 'maybe' }],
    ['vault:create', { ...(validInput['vault:create'] as object), password: '' }],
    ['vault:create', { ...(validInput['vault:create'] as object), path: '' }],
    ['vault:create', { ...(validInput['vault:create'] as object), type: 's3' }],
    [
      'vault:create',
      { type: 'account', name: 'x', repository: '../etc', mode: 'new', password: 'p', storePassword: true },
    ],
    [
      'vault:create',
      {
        type: 'account',
        name: 'x',
        repository: 'laptop',
        path: '/x',
        mode: 'new',
        password: 'p',
        storePassword: true,
      },
    ],
    [
      'vault:create',
      { type: 'local', name: 'x', path: '/media/usb/x', mode: 'existing', storePassword: true },
    ],
    ['vault:create', { ...(validInput['vault:create'] as object), passwordWrapOnDrive: 'yes' }],
    ['vault:storageUsage', { vaultId: VAULT_ID, token: 'x' }],
    ['accountKey:status', { keyId: 'x' }],
    ['accountKit:save', { destinationPath: '' }],
    ['accountKit:save', { destinationPath: '/tmp/kit.txt', overwrite: true }],
    ['accountKit:new', { password: '' }],
    ['accountKit:new', { password: 'pw', totp: '12' }],
    ['accountKit:showAgain', undefined],
    ['accountKit:showAgain', { password: '' }],
    ['accountKit:showAgain', { password: 'pw', recoveryKey: 'x' }],
    ['account:reauthenticate', { password: 'pw', authKey: 'x' }],
    ['account:changePassword', { currentPassword: 'pw', newPassword: 'short' }],
    ['account:changePassword', { currentPassword: '', newPassword: 'a brand new passphrase' }],
    ['auth:forgotPassword', { ...(validInput['auth:forgotPassword'] as object), recoveryKey: '' }],
    ['auth:forgotPassword', { ...(validInput['auth:forgotPassword'] as object), recoveryKey: 'key; rm -rf' }],
    ['auth:forgotPassword', { ...(validInput['auth:forgotPassword'] as object), newPassword: 'short' }],
    ['auth:forgotPassword', { ...(validInput['auth:forgotPassword'] as object), username: '../x' }],
    ['account:addVaults', { vaultIds: [] }],
    ['account:addVaults', { vaultIds: ['../etc'] }],
    ['account:connectDrive', { vaultId: VAULT_ID, path: '' }],
    ['account:takeOver', { computerId: 'laptop', pathMap: [], revokeOld: false }],
    ['account:takeOver', { computerId: '0123456789abcdef0123456789abcdef', pathMap: [], revokeOld: true }],
    [
      'account:takeOver',
      { computerId: '0123456789abcdef0123456789abcdef', pathMap: [{ from: '/a' }], revokeOld: false },
    ],
    ['account:answerServerMove', { accept: 'yes' }],
    ['account:answerServerMove', { accept: true }],
    ['vault:rename', { vaultId: '../etc', name: 'x' }],
    ['vault:rename', { vaultId: VAULT_ID, name: '  ' }],
    ['vault:remove', { vaultId: 'X' }],
    ['vault:enterPassword', { vaultId: VAULT_ID }],
    ['vault:verify', { vaultId: VAULT_ID, readData: 'yes' }],
    ['vault:saveRecoveryKit', { vaultId: VAULT_ID, accountPassword: '', destinationPath: '/tmp/k.txt' }],
    ['item:save', { ...(validInput['item:save'] as object), paths: [] }],
    ['item:save', { ...(validInput['item:save'] as object), paths: ['relative/path'] }],
    ['item:save', { ...(validInput['item:save'] as object), schedule: { kind: 'daily', at: '25:00' } }],
    ['item:save', { ...(validInput['item:save'] as object), retention: { mode: 'policy' } }],
    ['item:save', { ...(validInput['item:save'] as object), createdAt: '2026-01-01T00:00:00Z' }],
    ['item:remove', {}],
    ['item:checkPaths', { paths: [] }],
    ['item:checkPaths', { paths: ['/a\0b'] }],
    ['job:backupNow', { itemId: 42 }],
    ['job:cancel', { jobId: 'x' }],
    ['job:list', { limit: 100000 }],
    ['job:list', { status: 'exploded' }],
    ['job:get', { jobId: '../../etc/passwd' }],
    ['restore:snapshots', { vaultId: VAULT_ID, itemId: 'BAD ID' }],
    ['restore:browse', { vaultId: VAULT_ID, snapshotId: 'latest', path: '/' }],
    ['restore:start', { ...(validInput['restore:start'] as object), conflict: 'merge' }],
    ['restore:start', { ...(validInput['restore:start'] as object), destination: { mode: 'elsewhere' } }],
    ['dialog:choosePath', { purpose: 'anything', title: 't' }],
    ['shell:showInFolder', { path: 'a\u0000b' }],
    ['catalogue:search', { query: '   ' }],
    ['catalogue:search', { query: 'x'.repeat(501) }],
    ['catalogue:search', { query: 'taxes', limit: 0 }],
    ['catalogue:search', { query: 'taxes', limit: 1001 }],
    ['catalogue:search', { query: 'taxes', vaultId: '../etc' }],
    ['catalogue:search', { query: 'taxes', everything: true }],
    ['catalogue:versions', { vaultId: VAULT_ID, path: '/home/alice/a.txt' }],
    ['catalogue:versions', { vaultId: VAULT_ID, itemId: null, path: '' }],
    ['catalogue:diff', { vaultId: VAULT_ID, fromSnapshotId: 'latest', toSnapshotId: '0123456789abcdef' }],
    ['catalogue:diff', { ...(validInput['catalogue:diff'] as object), limit: 100_001 }],
    ['catalogue:status', { vaultId: VAULT_ID }],
    ['catalogue:update', { vaultId: VAULT_ID }],
    ['catalogue:update', { vaultId: VAULT_ID, rebuild: 'yes' }],
  ];
  it.each(invalid)('refuses %s with %j before any service runs', async (channel, input) => {
    const result = (await call(channel, input)) as { ok: boolean; error: { code: string } };
    expect(result).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(handlers[channel]).not.toHaveBeenCalled();
  });

  it('hands the service the parsed input (code spaces removed)', async () => {
    locked = true;
    await call('auth:unlock', validInput['auth:unlock']);
    expect(handlers['auth:unlock']).toHaveBeenCalledWith({
      username: 'alice',
      password: 'correct horse battery',
      totp: '123456',
    });
  });

  it('answers bad_request for a channel that is not in the contract', async () => {
    const dispatch = createDispatch({ handlers: handlers as unknown as Handlers, isLocked: () => false });
    await expect(dispatch('fs:readFile', '/etc/passwd', true)).resolves.toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
  });
});

describe('locked gate', () => {
  it('refuses every channel except lock:status, auth:unlock, auth:createAccount and auth:forgotPassword while locked', async () => {
    locked = true;
    for (const channel of allChannels) {
      const result = (await call(channel, validInput[channel])) as { ok: boolean; error?: { code: string } };
      if (channels[channel].whileLocked) {
        expect(result.ok, channel).toBe(true);
      } else {
        expect(result, channel).toMatchObject({ ok: false, error: { code: 'locked' } });
        expect(handlers[channel], channel).not.toHaveBeenCalled();
      }
    }
    expect(allChannels.filter((c) => channels[c].whileLocked).sort()).toEqual([
      'auth:createAccount',
      'auth:forgotPassword',
      'auth:unlock',
      'lock:status',
    ]);
  });

  it('lets every channel but the sign-ins through once unlocked', async () => {
    const signIns = ['auth:createAccount', 'auth:forgotPassword', 'auth:unlock'];
    for (const channel of allChannels.filter((c) => !signIns.includes(c))) {
      expect(((await call(channel, validInput[channel])) as { ok: boolean }).ok, channel).toBe(true);
    }
  });

  it('refuses unlock, create account and forgot password while unlocked, before any service sees them', async () => {
    for (const channel of ['auth:unlock', 'auth:createAccount', 'auth:forgotPassword'] as const) {
      const result = await call(channel, validInput[channel]);
      expect(result, channel).toMatchObject({
        ok: false,
        error: { code: 'already_unlocked', message: expect.stringMatching(/already unlocked/) },
      });
      expect(handlers[channel], channel).not.toHaveBeenCalled();
    }
  });
});

describe('error mapping', () => {
  it('turns an unexpected error into "internal" without its message', async () => {
    handlers['account:get'].mockRejectedValueOnce(
      new Error('token sk_live_123 rejected by db at /home/alice'),
    );
    const result = await call('account:get');
    expect(result).toEqual({
      ok: false,
      error: { code: 'internal', message: 'Something went wrong in Strongroom. Try again.' },
    });
    expect(JSON.stringify(result)).not.toContain('sk_live');
    expect(logs.join()).not.toContain('sk_live');
  });

  it('passes a service error through as data, with its retry delay', async () => {
    handlers['auth:unlock'].mockRejectedValueOnce(
      new ServiceError('throttled', 'Too many attempts. Try again in 42 s.', 42),
    );
    locked = true;
    await expect(call('auth:unlock', validInput['auth:unlock'])).resolves.toEqual({
      ok: false,
      error: { code: 'throttled', message: 'Too many attempts. Try again in 42 s.', retryAfterSeconds: 42 },
    });
  });

  it('answers null values as null (never undefined, which IPC would drop)', async () => {
    handlers['activity:ping'].mockResolvedValueOnce(undefined);
    await expect(call('activity:ping')).resolves.toEqual({ ok: true, value: null });
  });
});

describe('own origin', () => {
  it('accepts our index.html (with a query or hash) and the dev server only when configured', () => {
    const check = ownUrlChecker({ indexHtmlUrl: INDEX });
    expect(check(INDEX)).toBe(true);
    expect(check(`${INDEX}#/account`)).toBe(true);
    expect(check('file:///opt/Strongroom/resources/app.asar/dist/renderer/panel/index.html')).toBe(false);
    expect(check('http://localhost:5173/desktop/index.html')).toBe(false);
    expect(check('not a url')).toBe(false);
    const dev = ownUrlChecker({ indexHtmlUrl: INDEX, devServerUrl: 'http://localhost:5173/desktop/' });
    expect(dev('http://localhost:5173/desktop/index.html')).toBe(true);
    expect(dev('http://localhost:5174/desktop/index.html')).toBe(false);
  });
});

describe('preload', () => {
  it('lists exactly the contract channels and events', () => {
    expect([...CHANNELS].sort()).toEqual([...allChannels].sort());
    expect(EVENTS).toEqual({
      onLocked: 'event:locked',
      onJobProgress: 'event:job-progress',
      onJobChanged: 'event:job-changed',
    });
  });

  it('builds one method per channel that invokes only that channel, and unsubscribable events', async () => {
    const invoke = vi.fn(async (channel: string, input: unknown) => ({ channel, input }));
    const listeners = new Map<string, (...args: unknown[]) => void>();
    const api = buildApi({
      invoke,
      on: ((channel: string, l: (...args: unknown[]) => void) => listeners.set(channel, l)) as never,
      removeListener: ((channel: string) => listeners.delete(channel)) as never,
    });
    await api.authUnlock({ username: 'a', password: 'b' });
    expect(invoke).toHaveBeenLastCalledWith('auth:unlock', { username: 'a', password: 'b' });
    await api.lockLockAndClose();
    expect(invoke).toHaveBeenLastCalledWith('lock:lockAndClose', undefined);
    expect(Object.keys(api).sort()).toEqual(
      [
        ...allChannels.map((c) => c.replace(/:(.)/, (_, ch: string) => ch.toUpperCase())),
        'onLocked',
        'onJobProgress',
        'onJobChanged',
      ].sort(),
    );
    expect(Object.isFrozen(api)).toBe(true);

    const seen: unknown[] = [];
    const off = api.onLocked((payload) => seen.push(payload));
    listeners.get('event:locked')!({ sender: 'not exposed' }, { reason: 'idle' });
    expect(seen).toEqual([{ reason: 'idle' }]);
    off();
    expect(listeners.has('event:locked')).toBe(false);
  });
});
