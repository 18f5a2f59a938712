/**
 * A password changed elsewhere (the web panel, or the administrator's reset) signs this computer
 * out: the next account call locks the app in place with its own reason, and the device token in
 * the keychain no longer works. Real account server on loopback, real account client.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AccountClient } from '../../src-main/services/account-client';
import { AccountService } from '../../src-main/services/account-service';
import { LockService, deviceTokenAccount } from '../../src-main/services/lock-service';
import { SettingsService } from '../../src-main/services/settings-service';
import { lockReasonText } from '../../src-renderer/desktop/wording';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { ManualClock, MemorySecretStore, MemorySettingsStore, RecordingShell } from './fakes';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new password';
let server: TestAccountServer;
beforeAll(async () => {
  server = await startTestAccountServer();
});
afterAll(async () => {
  await server.close();
});
const services: LockService[] = [];
afterEach(() => services.splice(0).forEach((s) => s.dispose()));

function build() {
  const store = new MemorySettingsStore();
  const shell = new RecordingShell();
  const secrets = new MemorySecretStore();
  const client = new AccountClient({ timeoutMs: 3000 });
  const lock = new LockService({
    store,
    settings: new SettingsService(store),
    client,
    secrets,
    clock: new ManualClock(),
    shell,
    localServer: null,
    defaultServerUrl: server.url,
    deviceName: 'test machine',
    log: { warn: () => undefined },
  });
  services.push(lock);
  return { store, shell, secrets, lock, account: new AccountService(lock, client) };
}

async function deviceMe(token: string): Promise<{ status: number; error?: string }> {
  const res = await fetch(`${server.url}/api/device/me`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { error?: string };
  return { status: res.status, ...(body.error ? { error: body.error } : {}) };
}

describe('a password changed elsewhere', () => {
  it('on another computer: locks the app in place saying so, and the kept device token is dead', async () => {
    await server.createUser('paula', PASSWORD);
    const { lock, account, shell, store, secrets } = build();
    await lock.unlock({ username: 'paula', password: PASSWORD });
    const deviceToken = (await secrets.get(deviceTokenAccount(server.url, 'paula')))!;
    expect((await deviceMe(deviceToken)).status).toBe(200);

    // The person changes the password in the app on another computer.
    await server.changePassword('paula', NEW_PASSWORD);

    await expect(account.get()).rejects.toMatchObject({ code: 'locked' });
    expect(lock.isLocked()).toBe(true);
    expect(shell.locked).toEqual(['password-changed']);
    expect(store.read('lock')).toMatchObject({ locked: true, reason: 'password-changed' });
    expect(lockReasonText('password-changed')).toMatch(/password of your account was changed.*new password/);
    expect(await deviceMe(deviceToken)).toEqual({ status: 401, error: 'password_changed' });

    // Unlocking with the new password gives a working session and a new device token.
    await lock.unlock({ username: 'paula', password: NEW_PASSWORD });
    await expect(account.get()).resolves.toMatchObject({ username: 'paula' });
    const fresh = (await secrets.get(deviceTokenAccount(server.url, 'paula')))!;
    expect(fresh).not.toBe(deviceToken);
    expect((await deviceMe(fresh)).status).toBe(200);
  });

  it('by the administrator’s reset: the same reason', async () => {
    await server.createUser('rita', PASSWORD);
    const { lock, account, shell } = build();
    await lock.unlock({ username: 'rita', password: PASSWORD });
    await server.changePassword('rita', NEW_PASSWORD);
    await expect(account.get()).rejects.toMatchObject({ code: 'locked' });
    expect(shell.locked).toEqual(['password-changed']);
  });
});
