/**
 * After "start fresh", the vaults this computer holds the password of are covered by the new
 * account key (its account slot, drive envelope and a directory row it opens), and re-keying a
 * vault with a typed password asks the account password, and never leaves the vault depending on
 * a password held in memory alone: after a lock the new key and the directory's row still open it.
 * Composed services through the IPC gate, real account server, the engine in a job process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElectronStoreSettings } from '../../src-main/adapters/electron-store-settings';
import type { Services } from '../../src-main/compose';
import {
  LocalFolderStorage,
  Repository,
  amkFromRecoveryKey,
  recoveryKeyFromText,
} from '../../src-engine/index';
import type { AccountKitView, AccountView, VaultView } from '../../src-shared/ipc-contract';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { derivedKeys, testKdf } from '../support/derived-keys';
import { composeTestServices } from './composed-services';
import { MemorySecretStore } from './fakes';
import { gateCalls } from './gate-calls';

const PASSWORD = 'correct horse battery staple';
const TEMPORARY = 'set by the administrator';
const CHOSEN = 'a password never used before';
const TYPED = 'the vault password I typed in 2024';

let server: TestAccountServer;
let root: string;
let services: Services;

beforeAll(async () => {
  server = await startTestAccountServer();
  await server.createUser('ann', PASSWORD);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-rekey-fresh-'));
});
afterAll(async () => {
  services?.dispose();
  await server?.close().catch(() => undefined);
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const opens = (folder: string, amk: Uint8Array) =>
  Repository.openWithAccountKey(new LocalFolderStorage(folder), amk).then(
    () => true,
    () => false,
  );
const kitOpens = async (folder: string, recoveryKey: string) =>
  amkFromRecoveryKey(new LocalFolderStorage(folder), await recoveryKeyFromText(recoveryKey), () => {}).then(
    () => true,
    () => false,
  );

describe('after starting fresh', { timeout: 180_000 }, () => {
  it("covers this computer's vaults with the new key, and re-keys a typed vault only with the password and never losing it", async () => {
    const secrets = new MemorySecretStore();
    services = composeTestServices({
      dir: root,
      serverUrl: server.url,
      secrets,
      store: new ElectronStoreSettings({ cwd: path.join(root, 'app') }),
      deviceName: 'laptop',
    });
    const gate = gateCalls(() => services, { jobTimeoutMs: 120_000 });
    await gate.call('auth:unlock', { username: 'ann', password: PASSWORD });
    await gate.call('accountKit:confirmSaved');
    const typedPath = path.join(root, 'typed-usb');
    const typed = await gate.call<VaultView>('vault:create', {
      type: 'local',
      name: 'Typed USB',
      path: typedPath,
      mode: 'new',
      password: TYPED,
      storePassword: false,
    });
    const randomPath = path.join(root, 'random-usb');
    await gate.call<VaultView>('vault:create', {
      type: 'local',
      name: 'Random USB',
      path: randomPath,
      mode: 'new',
      storePassword: true,
    });
    await services.directory.sync();
    services.lock.lock('manual');

    // An administrator's reset, no device key: nothing opens the old key, the person starts fresh.
    const kdf = testKdf(TEMPORARY);
    server.server.services.passwords.reset('ann', kdf, (await derivedKeys(TEMPORARY, kdf)).authKey, {
      resetTotp: false,
    });
    for (const k of [...secrets.entries.keys()]) if (k.startsWith('device-key:')) secrets.entries.delete(k);
    await gate.refused('auth:unlock', { username: 'ann', password: TEMPORARY });
    await gate.call<AccountView>('auth:unlock', {
      username: 'ann',
      password: TEMPORARY,
      newPassword: CHOSEN,
    });
    await gate.call('account:startFresh', { password: CHOSEN });
    const newKit = await gate.call<AccountKitView>('accountKit:get');
    await gate.call('accountKit:confirmSaved');
    await services.directory.sync();

    // The vault whose password is kept here is the new key's too; the typed one waits for its password.
    const locked = await gate.call<{ vaults: { vaultId: string }[] }>('account:lockedVaults');
    expect(locked.vaults.map((v) => v.vaultId)).toEqual([typed.id]);
    expect(await opens(randomPath, services.keys.current()!.amk)).toBe(true);
    expect(await kitOpens(randomPath, newKit.recoveryKey)).toBe(true);
    expect(await gate.call('vault:rekeyOffers')).toEqual({ vaultIds: [] });

    await gate.call('vault:enterPassword', { vaultId: typed.id, password: TYPED });
    await services.directory.sync();
    expect((await gate.call<{ vaults: unknown[] }>('account:lockedVaults')).vaults).toEqual([]);
    expect(await gate.call('vault:rekeyOffers')).toEqual({ vaultIds: [typed.id] });

    // Only with the account password: a page script holding the session alone cannot.
    expect((await gate.refused('vault:rekey', { vaultId: typed.id })).code).toBe('bad_request');
    expect((await gate.refused('vault:rekey', { vaultId: typed.id, password: 'not mine' })).code).toBe(
      'invalid_credentials',
    );
    expect(await gate.call('vault:rekey', { vaultId: typed.id, password: CHOSEN })).toEqual({
      directoryUpdated: true,
    });

    // Locked and unlocked again: the typed password is gone, and what the person holds opens it.
    services.lock.lock('manual');
    await gate.call('auth:unlock', { username: 'ann', password: CHOSEN });
    await services.directory.sync();
    expect(await services.vaults.get(typed.id)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await gate.refused('vault:enterPassword', { vaultId: typed.id, password: TYPED })).code).toBe(
      'wrong_password',
    );
    expect(await opens(typedPath, services.keys.current()!.amk)).toBe(true);
    expect(await kitOpens(typedPath, newKit.recoveryKey)).toBe(true);
  });
});
