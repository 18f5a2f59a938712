/**
 * The lock service with its real collaborators where they run here: a real account server on
 * loopback, the real account client, electron-store in a temp dir; a manual clock for idle locks.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ElectronStoreSettings } from '../../src-main/adapters/electron-store-settings';
import { AccountClient } from '../../src-main/services/account-client';
import { AccountService } from '../../src-main/services/account-service';
import { LockService, deviceTokenAccount } from '../../src-main/services/lock-service';
import type { LocalAccountServer, SettingsStore } from '../../src-main/services/ports';
import { ServiceError } from '../../src-main/services/service-error';
import { SettingsService } from '../../src-main/services/settings-service';
import { startTestAccountServer, totpCode, type TestAccountServer } from '../support/account-server';
import {
  FakePowerEvents,
  ManualClock,
  MemorySecretStore,
  MemorySettingsStore,
  RecordingShell,
} from './fakes';

const PASSWORD = 'correct horse battery';

class RecordingClient extends AccountClient {
  readonly sessionTokens: string[] = [];
  readonly signOuts: string[] = [];
  /** The order things happened in, for tests that are about order (shared with the test's own marks). */
  readonly events: string[] = [];
  override async deviceSignInWith(...args: Parameters<AccountClient['deviceSignInWith']>) {
    const result = await super.deviceSignInWith(...args);
    this.sessionTokens.push(result.sessionToken);
    return result;
  }
  override async signOut(baseUrl: string, token: string) {
    this.signOuts.push(token);
    this.events.push('sign-out sent');
    try {
      return await super.signOut(baseUrl, token);
    } finally {
      this.events.push('sign-out settled');
    }
  }
}

let server: TestAccountServer;
let totpSecret: string;
const dirs: string[] = [];

beforeAll(async () => {
  server = await startTestAccountServer();
  await server.createUser('alice', PASSWORD);
  await server.createUser('tom', PASSWORD);
  totpSecret = await server.enableTotp('tom');
});
afterAll(async () => {
  await server.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-lock-test-'));
  dirs.push(dir);
  return dir;
}

/** The test server stands in for the embedded local server: its device token's keychain name has no port. */
const LOCAL_TOKEN = 'this-computer/alice';

/** A fixed "local server" at the test server's address. */
const localServer = (url: string): LocalAccountServer => ({
  ensureStarted: async () => url,
  url: () => url,
  stop: async () => undefined,
});

function build(opts: { store?: SettingsStore; serverUrl?: string } = {}) {
  const store = opts.store ?? new MemorySettingsStore();
  const clock = new ManualClock();
  const shell = new RecordingShell();
  const power = new FakePowerEvents();
  const secrets = new MemorySecretStore();
  const client = new RecordingClient({ timeoutMs: 2000 });
  const settings = new SettingsService(store);
  const lock = new LockService({
    store,
    settings,
    client,
    secrets,
    clock,
    shell,
    power,
    localServer: localServer(opts.serverUrl ?? server.url),
    deviceName: 'test machine',
    log: { warn: () => undefined },
  });
  services.push(lock);
  return {
    store,
    clock,
    shell,
    power,
    secrets,
    client,
    settings,
    lock,
    account: new AccountService(lock, client),
  };
}
const services: LockService[] = [];
afterEach(() => {
  for (const s of services.splice(0)) s.dispose();
});

async function fetchDeviceMe(token: string): Promise<number> {
  const res = await fetch(`${server.url}/api/device/me`, { headers: { authorization: `Bearer ${token}` } });
  return res.status;
}

function settingsFile(dir: string) {
  return path.join(dir, 'strongroom.json');
}

describe('starting', () => {
  it('starts locked with no store at all, and writes that down', async () => {
    const dir = tempDir();
    const { lock } = build({ store: new ElectronStoreSettings({ cwd: dir }) });
    expect((await lock.status()).locked).toBe(true);
    const onDisk = JSON.parse(fs.readFileSync(settingsFile(dir), 'utf8'));
    expect(onDisk.lock).toMatchObject({ locked: true, reason: 'close' });
  });

  it('starts locked when the store is corrupt', async () => {
    const dir = tempDir();
    fs.writeFileSync(settingsFile(dir), '{"lock": {"locked": false,');
    const { lock } = build({ store: new ElectronStoreSettings({ cwd: dir }) });
    expect(lock.isLocked()).toBe(true);
    expect((await lock.status()).locked).toBe(true);
  });

  it('starts locked when the store was edited by hand to say unlocked', async () => {
    const dir = tempDir();
    fs.writeFileSync(
      settingsFile(dir),
      JSON.stringify({
        lock: { locked: false, lockedAt: null, reason: null },
        remembered: { username: 'alice' },
      }),
    );
    const { lock } = build({ store: new ElectronStoreSettings({ cwd: dir }) });
    const status = await lock.status();
    expect(status.locked).toBe(true);
    expect(status.reason).toBe('close');
    expect(status.lastUsername).toBe('alice');
  });

  it('starts locked when the stored lock state has the wrong shape', async () => {
    const dir = tempDir();
    fs.writeFileSync(
      settingsFile(dir),
      JSON.stringify({ lock: { locked: 'no', reason: 'party' }, settings: 7 }),
    );
    const { lock, settings } = build({ store: new ElectronStoreSettings({ cwd: dir }) });
    expect(lock.isLocked()).toBe(true);
    expect((await lock.status()).reason).toBe('close');
    expect(settings.get()).toEqual({ autoLockMinutes: 15, lockOnSuspend: true, rememberComputer: true });
  });

  it('keeps the reason of a well-formed locked state (Lock… last time)', async () => {
    const store = new MemorySettingsStore();
    store.write('lock', { locked: true, lockedAt: '2026-11-27T10:00:00.000Z', reason: 'manual' });
    const { lock } = build({ store });
    expect(await lock.status()).toMatchObject({
      locked: true,
      reason: 'manual',
      lockedAt: '2026-11-27T10:00:00.000Z',
    });
  });

  it('does not start the local server when another server was chosen', async () => {
    const store = new MemorySettingsStore();
    store.write('remembered', { serverUrl: 'https://backup.example.com', username: 'alice' });
    let starts = 0;
    const lock = new LockService({
      store,
      settings: new SettingsService(store),
      client: new AccountClient(),
      secrets: new MemorySecretStore(),
      clock: new ManualClock(),
      shell: new RecordingShell(),
      localServer: {
        ensureStarted: async () => (starts++, server.url),
        url: () => null,
        stop: async () => undefined,
      },
      deviceName: 'test machine',
    });
    expect(await lock.status()).toMatchObject({
      serverUrl: 'https://backup.example.com',
      serverIsLocal: false,
    });
    expect(starts).toBe(0);
    lock.dispose();
  });

  it('remembers a server typed on the unlock screen, and the local one as the default', async () => {
    const other = await startTestAccountServer();
    await other.createUser('alice', PASSWORD);
    const { lock, settings } = build();
    await lock.unlock({ serverUrl: `${other.url}/`, username: 'alice', password: PASSWORD });
    expect(settings.remembered()).toEqual({ serverUrl: other.url, username: 'alice' });
    expect(await lock.status()).toMatchObject({ serverUrl: other.url, serverIsLocal: false });
    lock.lockForClose();
    await lock.unlock({ serverUrl: server.url, username: 'alice', password: PASSWORD });
    expect(settings.remembered()).toEqual({ serverUrl: null, username: 'alice' });
    await other.close();
  });

  it('"Switch account…": an unlock as another account on another server leaves the default as it was', async () => {
    const other = await startTestAccountServer();
    await other.createUser('bob', PASSWORD);
    const { lock, settings } = build();
    await lock.unlock({ username: 'alice', password: PASSWORD });
    lock.lockForClose();
    await lock.unlock({ serverUrl: other.url, username: 'bob', password: PASSWORD, switchAccount: true });
    expect(lock.sessionAccount()).toMatchObject({ serverUrl: other.url, username: 'bob' });
    expect(settings.remembered()).toEqual({ serverUrl: null, username: 'alice' });
    // Nor when the switched account accepts a "server moved" offer (which remembers the session).
    lock.rememberSession();
    expect(settings.remembered()).toEqual({ serverUrl: null, username: 'alice' });
    lock.lockForClose();
    expect(await lock.status()).toMatchObject({ serverUrl: server.url, lastUsername: 'alice' });
    await other.close();
  });

  it('shows the local server by default', async () => {
    const { lock } = build();
    expect(await lock.status()).toMatchObject({
      serverUrl: server.url,
      serverIsLocal: true,
      lastUsername: null,
    });
  });
});

describe('unlocking', () => {
  it('unlocks with username and password, keeps the device token in the keychain, never the password', async () => {
    const dir = tempDir();
    const { lock, secrets } = build({ store: new ElectronStoreSettings({ cwd: dir }) });
    const view = await lock.unlock({ username: 'Alice', password: PASSWORD });
    expect(view).toMatchObject({ username: 'alice', serverUrl: server.url, totpEnabled: false });
    expect(lock.isLocked()).toBe(false);
    expect([...secrets.entries.keys()]).toEqual([LOCAL_TOKEN]);
    const onDisk = fs.readFileSync(settingsFile(dir), 'utf8');
    expect(onDisk).not.toContain(PASSWORD);
    expect(onDisk).not.toContain([...secrets.entries.values()][0]!);
    expect(JSON.parse(onDisk).remembered).toEqual({ serverUrl: null, username: 'alice' });
  });

  it('refuses a wrong password and stays locked', async () => {
    const { lock } = build();
    await expect(lock.unlock({ username: 'alice', password: 'wrong password!' })).rejects.toMatchObject({
      code: 'invalid_credentials',
    });
    expect(lock.isLocked()).toBe(true);
  });

  it('asks for the code when the account has TOTP, refuses a wrong one, accepts the right one', async () => {
    const { lock } = build();
    await expect(lock.unlock({ username: 'tom', password: PASSWORD })).rejects.toMatchObject({
      code: 'totp_required',
    });
    const right = totpCode(totpSecret);
    const wrong = String((Number(right) + 500_000) % 1_000_000).padStart(6, '0');
    await expect(lock.unlock({ username: 'tom', password: PASSWORD, totp: wrong })).rejects.toBeInstanceOf(
      ServiceError,
    );
    expect(lock.isLocked()).toBe(true);
    await expect(lock.unlock({ username: 'tom', password: PASSWORD, totp: right })).resolves.toMatchObject({
      username: 'tom',
      totpEnabled: true,
    });
    expect(lock.isLocked()).toBe(false);
  });

  it('says the server is unreachable when nothing listens there', async () => {
    const { lock } = build();
    await expect(
      lock.unlock({ serverUrl: 'http://127.0.0.1:9', username: 'alice', password: PASSWORD }),
    ).rejects.toMatchObject({ code: 'unreachable' });
    expect(lock.isLocked()).toBe(true);
  });

  it('stays locked when the window closes while the sign-in is on its way', async () => {
    const { lock } = build();
    const unlocking = lock.unlock({ username: 'alice', password: PASSWORD });
    lock.lockForClose();
    await expect(unlocking).rejects.toMatchObject({ code: 'locked' });
    expect(lock.isLocked()).toBe(true);
  });

  it('unlocks even without a keychain, and revokes the unkept device token on lock', async () => {
    const { lock, secrets, account, client } = build();
    secrets.failing = true;
    const revoked: string[] = [];
    const revoke = client.revokeDevice.bind(client);
    client.revokeDevice = async (url, token) => {
      revoked.push(token);
      return revoke(url, token);
    };
    await expect(lock.unlock({ username: 'alice', password: PASSWORD })).resolves.toMatchObject({
      username: 'alice',
    });
    expect(lock.isLocked()).toBe(false);
    await expect(account.get()).resolves.toMatchObject({ username: 'alice' });
    expect(revoked).toEqual([]);
    lock.lockForClose();
    expect(revoked).toHaveLength(1);
  });

  it('says when the keychain refused the device key, and keeps it once the keychain takes it again', async () => {
    const { lock, secrets, account, client } = build();
    secrets.failing = true;
    const revoked: string[] = [];
    const revoke = client.revokeDevice.bind(client);
    client.revokeDevice = async (url, token) => {
      revoked.push(token);
      return revoke(url, token);
    };
    const view = await lock.unlock({ username: 'alice', password: PASSWORD });
    expect(view.deviceTokenProblem).toMatch(/keychain did not accept Strongroom's device key/);
    await expect(account.get()).resolves.toMatchObject({ deviceTokenProblem: view.deviceTokenProblem });
    // Still refused: still said.
    await expect(account.keepDeviceKeyAgain()).resolves.toMatchObject({
      deviceTokenProblem: view.deviceTokenProblem,
    });
    secrets.failing = false;
    await expect(account.keepDeviceKeyAgain()).resolves.toMatchObject({ deviceTokenProblem: null });
    const kept = secrets.entries.get(LOCAL_TOKEN);
    expect(kept).toBeTruthy();
    // Kept now, so it outlives the lock: scheduled work can use it.
    lock.lockForClose();
    expect(revoked).toEqual([]);
    await expect(lock.deviceToken({ serverUrl: server.url, username: 'alice' })).resolves.toBe(kept);
  });

  it("reads a local server's device token kept under its address of the moment once, and renames it", async () => {
    const { lock, secrets } = build();
    await secrets.set(deviceTokenAccount(server.url, 'alice'), 'kept-before');
    await expect(lock.deviceToken({ serverUrl: server.url, username: 'alice' })).resolves.toBe('kept-before');
    expect([...secrets.entries]).toEqual([[LOCAL_TOKEN, 'kept-before']]);
  });

  it('a new sign-in from this computer revokes the device token it replaces', async () => {
    const { lock, secrets } = build();
    await lock.unlock({ username: 'alice', password: PASSWORD });
    const first = secrets.entries.get(LOCAL_TOKEN)!;
    expect(await fetchDeviceMe(first)).toBe(200);
    lock.lockForClose();
    await lock.unlock({ username: 'alice', password: PASSWORD });
    expect(secrets.entries.get(LOCAL_TOKEN)).not.toBe(first);
    await expect.poll(() => fetchDeviceMe(first)).not.toBe(200);
  });
});

describe('locking', () => {
  it('writes { locked: true, reason: "close" } synchronously when the window closes', async () => {
    const dir = tempDir();
    const { lock } = build({ store: new ElectronStoreSettings({ cwd: dir }) });
    await lock.unlock({ username: 'alice', password: PASSWORD });
    expect(JSON.parse(fs.readFileSync(settingsFile(dir), 'utf8')).lock.locked).toBe(false);
    lock.lockForClose();
    // Read straight after the synchronous call: nothing awaited in between.
    expect(JSON.parse(fs.readFileSync(settingsFile(dir), 'utf8')).lock).toMatchObject({
      locked: true,
      reason: 'close',
    });
  });

  it('drops the session and revokes it on the server', async () => {
    const { lock, client, account } = build();
    await lock.unlock({ username: 'alice', password: PASSWORD });
    await expect(account.get()).resolves.toMatchObject({ username: 'alice' });
    const token = client.sessionTokens.at(-1)!;
    lock.lockForClose();
    await expect(account.get()).rejects.toMatchObject({ code: 'locked' });
    expect(client.signOuts).toEqual([token]);
    await expect
      .poll(() => client.account(server.url, token).catch((e: ServiceError) => e.code))
      .toBe('session_expired');
  });

  it('locks in place when the server has ended the session (expired or revoked), saying why', async () => {
    const { lock, client, account, shell, store } = build();
    await lock.unlock({ username: 'alice', password: PASSWORD });
    // The server ends the session behind the app's back (as expiry or the web panel would).
    await client.signOut(server.url, client.sessionTokens.at(-1)!);
    await expect(account.get()).rejects.toMatchObject({ code: 'locked' });
    expect(lock.isLocked()).toBe(true);
    expect(shell.locked).toEqual(['session-expired']);
    expect(store.read('lock')).toMatchObject({ locked: true, reason: 'session-expired' });
    // Unlocking again gives a fresh session that works.
    await lock.unlock({ username: 'alice', password: PASSWORD });
    await expect(account.get()).resolves.toMatchObject({ username: 'alice' });
  });

  it('locks at once, before a server that never answers has settled the session revocation', async () => {
    const other = await startTestAccountServer();
    await other.createUser('alice', PASSWORD);
    const { lock, client, shell, store } = build({ serverUrl: other.url });
    await lock.unlock({ username: 'alice', password: PASSWORD });
    // The server goes silent: its port accepts connections and never answers.
    const port = Number(new URL(other.url).port);
    await other.close();
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    try {
      lock.lockInPlace('idle');
      client.events.push('lockInPlace returned');
      expect(lock.isLocked()).toBe(true);
      expect(shell.locked).toEqual(['idle']);
      expect(store.read('lock')).toMatchObject({ locked: true, reason: 'idle' });
      // The revocation was sent before lockInPlace returned, and settles (the client's timeout) only after.
      await expect
        .poll(() => client.events, { timeout: 15_000 })
        .toEqual(['sign-out sent', 'lockInPlace returned', 'sign-out settled']);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('Lock… locks with reason "manual" and closes the window', async () => {
    const { lock, shell, store } = build();
    await lock.unlock({ username: 'alice', password: PASSWORD });
    lock.lockAndClose();
    expect(shell.closes).toBe(1);
    expect(store.read('lock')).toMatchObject({ locked: true, reason: 'manual' });
    // The close that follows keeps "manual" and writes it again.
    lock.lockForClose();
    expect(store.read('lock')).toMatchObject({ locked: true, reason: 'manual' });
  });
});

describe('idle and suspend', () => {
  it('locks after 15 idle minutes by default, leaving the window on the unlock screen', async () => {
    const { lock, clock, shell } = build();
    await lock.unlock({ username: 'alice', password: PASSWORD });
    clock.advance(14 * 60_000 + 59_000);
    expect(lock.isLocked()).toBe(false);
    clock.advance(1_000);
    expect(lock.isLocked()).toBe(true);
    expect(lock.lockState().reason).toBe('idle');
    expect(shell.locked).toEqual(['idle']);
    expect(shell.closes).toBe(0);
  });

  it('activity postpones the idle lock', async () => {
    const { lock, clock } = build();
    await lock.unlock({ username: 'alice', password: PASSWORD });
    clock.advance(10 * 60_000);
    lock.activity();
    clock.advance(10 * 60_000);
    expect(lock.isLocked()).toBe(false);
    clock.advance(5 * 60_000);
    expect(lock.isLocked()).toBe(true);
  });

  it('follows the auto-lock setting when it changes', async () => {
    const { lock, clock, settings } = build();
    await lock.unlock({ username: 'alice', password: PASSWORD });
    settings.set({ autoLockMinutes: 1 });
    clock.advance(60_000);
    expect(lock.lockState()).toMatchObject({ locked: true, reason: 'idle' });
  });

  it('sets no idle timer while locked', () => {
    const { clock } = build();
    expect(clock.pending()).toBe(0);
  });

  it('locks on suspend and on screen lock when "lock on suspend" is on', async () => {
    const { lock, power, shell } = build();
    await lock.unlock({ username: 'alice', password: PASSWORD });
    power.emit('suspend');
    expect(lock.lockState()).toMatchObject({ locked: true, reason: 'suspend' });
    await lock.unlock({ username: 'alice', password: PASSWORD });
    power.emit('lock-screen');
    expect(lock.lockState()).toMatchObject({ locked: true, reason: 'screen-lock' });
    expect(shell.locked).toEqual(['suspend', 'screen-lock']);
  });

  it('does not lock on suspend when the setting is off', async () => {
    const { lock, power, settings } = build();
    settings.set({ lockOnSuspend: false });
    await lock.unlock({ username: 'alice', password: PASSWORD });
    power.emit('suspend');
    power.emit('lock-screen');
    expect(lock.isLocked()).toBe(false);
  });
});
