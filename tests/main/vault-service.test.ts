/**
 * Vault passwords in the real keychain (gnome-keyring in dbus-run-session: run under
 * /work/tools/with-keyring or `npm test`), held in memory until lock when not kept, and the
 * recovery kit (account password checked against a real account server). Real engine in a forked
 * job process, real settings and history files.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElectronStoreSettings } from '../../src-main/adapters/electron-store-settings';
import { ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import { KeytarSecretStore } from '../../src-main/adapters/keytar-secret-store';
import { composeServices, type Services } from '../../src-main/compose';
import { AccountClient } from '../../src-main/services/account-client';
import type { VaultView } from '../../src-shared/ipc-contract';
import { probeKeychain } from '../support/keychain';
import { startTestAccountServer, totpCode, type TestAccountServer } from '../support/account-server';
import { ManualClock, RecordingShell } from './fakes';
import { gateCalls } from './gate-calls';

const SERVICE = `Strongroom-test-${crypto.randomBytes(4).toString('hex')}`;
const PASSWORD = 'correct horse battery';
const VAULT_PASSWORD = 'a long vault password';

const { keytar, problem } = await probeKeychain(SERVICE);
if (problem) console.warn(`[skipped] vault keychain tests: ${problem}`);

let server: TestAccountServer;
let tmp: string;
let services: Services;

const { call, refused } = gateCalls(() => services);
const unlock = () => call('auth:unlock', { username: 'alice', password: PASSWORD });
const vaultInput = (name: string, storePassword: boolean) => ({
  type: 'local',
  name,
  path: path.join(tmp, name),
  mode: 'new',
  password: VAULT_PASSWORD,
  storePassword,
});

beforeAll(async () => {
  server = await startTestAccountServer();
  await server.createUser('alice', PASSWORD);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-vaults-'));
  services = composeServices({
    dataDir: path.join(tmp, 'app'),
    runner: new ForkedEngineRunner(),
    store: new ElectronStoreSettings({ cwd: path.join(tmp, 'app') }),
    // Used only where the keychain works (problem is null); the tests below skip otherwise.
    secrets: new KeytarSecretStore(keytar!, SERVICE),
    secretStoreKind: 'keychain',
    clock: new ManualClock(),
    shell: new RecordingShell(),
    localServer: null,
    defaultServerUrl: server.url,
    deviceName: 'test-host',
    log: { warn: () => undefined },
  });
});
afterAll(async () => {
  services?.dispose();
  for (const c of (await keytar?.findCredentials(SERVICE).catch(() => [])) ?? []) {
    await keytar!.deletePassword(SERVICE, c.account);
  }
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(problem !== null)('vault passwords (real keychain)', { timeout: 180_000 }, () => {
  let kept: VaultView;
  let notKept: VaultView;

  it('keeps the password of a vault in the keychain as "vault:<id>", usable while locked', async () => {
    await unlock();
    kept = await call<VaultView>('vault:create', vaultInput('kept', true));
    expect(await keytar!.getPassword(SERVICE, `vault:${kept.id}`)).toBe(VAULT_PASSWORD);
    services.lock.lock('manual');
    expect(await services.vaults.get(kept.id)).toBe(VAULT_PASSWORD);
  });

  it('holds a password that is not kept in memory only, and forgets it when the app locks', async () => {
    await unlock();
    notKept = await call<VaultView>('vault:create', vaultInput('not-kept', false));
    expect(await keytar!.getPassword(SERVICE, `vault:${notKept.id}`)).toBeNull();
    expect(await services.vaults.get(notKept.id)).toBe(VAULT_PASSWORD);
    services.lock.lock('idle');
    expect(await services.vaults.get(notKept.id)).toBeNull();
    await unlock();
    const overview = await call<{ vaults: VaultView[] }>('backup:overview');
    expect(overview.vaults.find((v) => v.id === notKept.id)).toMatchObject({
      passwordStored: false,
      passwordAvailable: false,
    });
  });

  it('checks an entered password against the repository before holding it', async () => {
    expect(await refused('vault:enterPassword', { vaultId: notKept.id, password: 'wrong' })).toMatchObject({
      code: 'wrong_password',
    });
    expect(await services.vaults.get(notKept.id)).toBeNull();
    await expect(
      call<VaultView>('vault:enterPassword', { vaultId: notKept.id, password: VAULT_PASSWORD }),
    ).resolves.toMatchObject({ passwordAvailable: true });
  });

  it('renames a vault', async () => {
    await expect(
      call<VaultView>('vault:rename', { vaultId: kept.id, name: 'Office NAS' }),
    ).resolves.toMatchObject({
      name: 'Office NAS',
    });
  });

  it('removing a vault deletes its keychain entry and never its repository', async () => {
    await call('vault:remove', { vaultId: kept.id });
    expect(await keytar!.getPassword(SERVICE, `vault:${kept.id}`)).toBeNull();
    expect(fs.readdirSync(path.join(tmp, 'kept')).length).toBeGreaterThan(0);
    expect((await call<{ vaults: VaultView[] }>('backup:overview')).vaults.map((v) => v.id)).toEqual([
      notKept.id,
    ]);
  });
});

describe.skipIf(problem !== null)('recovery kit', { timeout: 180_000 }, () => {
  let vault: VaultView;
  const kit = () => path.join(tmp, 'kit.txt');

  beforeAll(async () => {
    // A fresh unlock (the one before may still hold): signing in is refused while unlocked.
    await call('lock:lockNow');
    await unlock();
    vault = await call<VaultView>('vault:create', vaultInput('kit-vault', true));
  });

  it('refuses a wrong account password and writes nothing', async () => {
    const error = await refused('vault:saveRecoveryKit', {
      vaultId: vault.id,
      accountPassword: 'not my password',
      destinationPath: kit(),
    });
    expect(error.code).toBe('invalid_credentials');
    expect(fs.existsSync(kit())).toBe(false);
  });

  it('writes the kit with mode 0600: location, repository id, password, how to restore, the warning', async () => {
    const { path: written } = await call<{ path: string }>('vault:saveRecoveryKit', {
      vaultId: vault.id,
      accountPassword: PASSWORD,
      destinationPath: kit(),
    });
    expect(written).toBe(kit());
    expect(fs.statSync(kit()).mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(kit(), 'utf8');
    expect(text).toContain(`Location:       ${path.join(tmp, 'kit-vault')}`);
    expect(text).toContain(vault.repositoryId);
    expect(text).toContain(VAULT_PASSWORD);
    expect(text).toContain(`strongroom-backup --repo ${path.join(tmp, 'kit-vault')} restore latest --target`);
    expect(text).toContain('Without the password below, nobody can restore');
  });

  it('never replaces an existing file, and wants a full path in a folder that exists', async () => {
    const before = fs.readFileSync(kit(), 'utf8');
    const again = await refused('vault:saveRecoveryKit', {
      vaultId: vault.id,
      accountPassword: PASSWORD,
      destinationPath: kit(),
    });
    expect(again.code).toBe('conflict');
    expect(fs.readFileSync(kit(), 'utf8')).toBe(before);
    expect(
      (
        await refused('vault:saveRecoveryKit', {
          vaultId: vault.id,
          accountPassword: PASSWORD,
          destinationPath: 'kit.txt',
        })
      ).code,
    ).toBe('bad_request');
    expect(
      (
        await refused('vault:saveRecoveryKit', {
          vaultId: vault.id,
          accountPassword: PASSWORD,
          destinationPath: path.join(tmp, 'no-such-folder', 'kit.txt'),
        })
      ).code,
    ).toBe('not_found');
  });
});

describe('checking an account password again', () => {
  it('accepts the right password of an account with two-factor (the server answers "code required")', async () => {
    await server.createUser('bob', PASSWORD);
    const secret = await server.enableTotp('bob');
    expect(totpCode(secret)).toMatch(/^\d{6}$/);
    const client = new AccountClient();
    const { sessionToken } = await client.deviceSignIn(server.url, {
      username: 'bob',
      password: PASSWORD,
      totp: totpCode(secret),
      deviceName: 'vitest',
    });
    await expect(client.verifyPassword(server.url, sessionToken, 'bob', PASSWORD)).resolves.toBeUndefined();
    await expect(client.verifyPassword(server.url, sessionToken, 'bob', 'wrong')).rejects.toMatchObject({
      code: 'invalid_credentials',
    });
  });
});
