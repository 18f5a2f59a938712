/**
 * "Create account" on the unlock screen: only on the first run with the embedded local account
 * server (real, on loopback, sign-up on), then unlocked with the same credentials; refused with a
 * remembered user or another server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedAccountServer } from '../../src-main/adapters/embedded-account-server';
import { ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import { composeServices, type Services } from '../../src-main/compose';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { ManualClock, MemorySecretStore, MemorySettingsStore, RecordingShell } from './fakes';

const PASSWORD = 'correct horse battery staple';
let tmp: string;
let local: EmbeddedAccountServer;
let services: Services;
let remote: TestAccountServer;

function compose(
  extra: { localServer: EmbeddedAccountServer | null; defaultServerUrl?: string },
  dir: string,
) {
  return composeServices({
    dataDir: dir,
    runner: new ForkedEngineRunner(),
    store: new MemorySettingsStore(),
    secrets: new MemorySecretStore(),
    clock: new ManualClock(),
    shell: new RecordingShell(),
    secretStoreKind: 'memory',
    deviceName: 'test-host',
    log: { warn: () => undefined },
    ...extra,
  });
}

async function dispatch(s: Services, channel: string, input?: unknown) {
  return s.dispatch(channel, input, true);
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-create-account-'));
  local = new EmbeddedAccountServer({
    dataDir: path.join(tmp, 'server'),
    rendererDir: path.join(tmp, 'renderer'),
  });
  services = compose({ localServer: local }, path.join(tmp, 'app'));
  remote = await startTestAccountServer();
});
afterAll(async () => {
  services.dispose();
  await local.stop();
  await remote.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('auth:createAccount', () => {
  it('is offered on the first run with the local server', async () => {
    const status = await dispatch(services, 'lock:status');
    expect(status).toMatchObject({
      ok: true,
      value: { locked: true, serverIsLocal: true, canCreateAccount: true },
    });
  });

  it('creates the account while locked and unlocks with it', async () => {
    const created = await dispatch(services, 'auth:createAccount', { username: 'alice', password: PASSWORD });
    expect(created).toMatchObject({ ok: true, value: { username: 'alice', totpEnabled: false } });
    expect(services.lock.isLocked()).toBe(false);
    await expect(dispatch(services, 'backup:overview')).resolves.toMatchObject({ ok: true });
  });

  it('is not offered any more once someone has unlocked here, and is refused if called anyway', async () => {
    services.lock.lock('manual');
    expect(await dispatch(services, 'lock:status')).toMatchObject({
      value: { lastUsername: 'alice', canCreateAccount: false },
    });
    const again = await dispatch(services, 'auth:createAccount', { username: 'mallory', password: PASSWORD });
    expect(again).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(services.lock.isLocked()).toBe(true);
    // The account exists on the server: the person signs in with it.
    await expect(
      dispatch(services, 'auth:unlock', { username: 'alice', password: PASSWORD }),
    ).resolves.toMatchObject({ ok: true });
  });

  it('is never offered with an account server that is not the local one', async () => {
    const other = compose({ localServer: null, defaultServerUrl: remote.url }, path.join(tmp, 'app2'));
    try {
      expect(await dispatch(other, 'lock:status')).toMatchObject({
        value: { serverIsLocal: false, canCreateAccount: false },
      });
      const refused = await dispatch(other, 'auth:createAccount', { username: 'bob', password: PASSWORD });
      expect(refused).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    } finally {
      other.dispose();
    }
  });
});
