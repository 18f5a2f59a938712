/**
 * Under --require-totp the unlock gets no device token; enrolling TOTP from the settings registers
 * this device then and keeps its token as unlock does. Real account server on loopback, real
 * account client, in-memory keychain.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AccountClient } from '../../src-main/services/account-client';
import { AccountService } from '../../src-main/services/account-service';
import { LockService } from '../../src-main/services/lock-service';
import { ServiceError } from '../../src-main/services/service-error';
import { SettingsService } from '../../src-main/services/settings-service';
import { startTestAccountServer, totpCode, type TestAccountServer } from '../support/account-server';
import { ManualClock, MemorySecretStore, MemorySettingsStore, RecordingShell } from './fakes';

const PASSWORD = 'correct horse battery';
let server: TestAccountServer;
let users = 0;

beforeAll(async () => {
  server = await startTestAccountServer({ requireTotp: true });
});
afterAll(async () => {
  await server.close();
});

const services: LockService[] = [];
afterEach(() => {
  for (const s of services.splice(0)) s.dispose();
});

async function build() {
  const username = `rita${++users}`;
  await server.createUser(username, PASSWORD);
  const store = new MemorySettingsStore();
  const secrets = new MemorySecretStore();
  const client = new AccountClient({ timeoutMs: 2000 });
  const warnings: string[] = [];
  const lock = new LockService({
    store,
    settings: new SettingsService(store),
    client,
    secrets,
    clock: new ManualClock(),
    shell: new RecordingShell(),
    localServer: {
      ensureStarted: async () => server.url,
      url: () => server.url,
      stop: async () => undefined,
    },
    deviceName: 'test machine',
    log: { warn: (m) => warnings.push(m) },
  });
  services.push(lock);
  const account = new AccountService(lock, client);
  return {
    username,
    secrets,
    client,
    warnings,
    lock,
    account,
    // The test server stands in for the embedded local server: no port in the keychain name.
    keychainAccount: `this-computer/${username}`,
  };
}

async function unlockAndEnrol(t: Awaited<ReturnType<typeof build>>) {
  const view = await t.lock.unlock({ username: t.username, password: PASSWORD });
  expect(view.mustEnrollTotp).toBe(true);
  expect(t.secrets.entries.size).toBe(0);
  const { secretBase32 } = await t.account.totpBegin();
  return t.account.totpConfirm({ code: totpCode(secretBase32) });
}

function deviceMe(token: string) {
  return fetch(`${server.url}/api/device/me`, { headers: { authorization: `Bearer ${token}` } });
}

describe('enrolling TOTP under --require-totp', () => {
  it('registers this device and keeps its token in the keychain, as unlock does', async () => {
    const t = await build();
    const { recoveryCodes } = await unlockAndEnrol(t);
    expect(recoveryCodes).toHaveLength(10);
    const token = t.secrets.entries.get(t.keychainAccount);
    expect(token).toMatch(/^srd_/);
    const me = await deviceMe(token!);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ username: t.username, deviceName: 'test machine' });
    expect(t.warnings).toEqual([]);
    // The device token outlives the lock: that is what background work needs.
    t.lock.lockForClose();
    expect((await deviceMe(token!)).status).toBe(200);
  });

  it('still enrols when registering fails, and says so without secrets', async () => {
    const t = await build();
    t.client.registerDevice = async () => {
      throw new ServiceError('unreachable', 'Cannot reach the account server.');
    };
    const { recoveryCodes } = await unlockAndEnrol(t);
    expect(recoveryCodes).toHaveLength(10);
    expect(t.secrets.entries.size).toBe(0);
    expect(t.warnings).toEqual([expect.stringContaining('device not registered')]);
    expect(t.warnings.join()).not.toMatch(/sr[sd]_|correct horse/);
    await expect(t.account.get()).resolves.toMatchObject({ totpEnabled: true, mustEnrollTotp: false });
  });

  it('without a keychain, the new device token is revoked when the session ends, never orphaned', async () => {
    const t = await build();
    const revoked: string[] = [];
    const revoke = t.client.revokeDevice.bind(t.client);
    t.client.revokeDevice = async (url, token) => {
      revoked.push(token);
      return revoke(url, token);
    };
    await t.lock.unlock({ username: t.username, password: PASSWORD });
    t.secrets.failing = true;
    const { secretBase32 } = await t.account.totpBegin();
    await t.account.totpConfirm({ code: totpCode(secretBase32) });
    expect(revoked).toEqual([]);
    t.lock.lockForClose();
    expect(revoked).toHaveLength(1);
    await expect.poll(async () => (await deviceMe(revoked[0]!)).status).toBe(401);
  });

  it('registers once: a session that has a device token asks for no other', async () => {
    const t = await build();
    await unlockAndEnrol(t);
    const first = t.secrets.entries.get(t.keychainAccount);
    let calls = 0;
    const register = t.client.registerDevice.bind(t.client);
    t.client.registerDevice = async (...args) => {
      calls++;
      return register(...args);
    };
    await t.lock.withSession((s) => t.lock.registerDeviceIfMissing(s));
    expect(calls).toBe(0);
    expect(t.secrets.entries.get(t.keychainAccount)).toBe(first);
  });
});
