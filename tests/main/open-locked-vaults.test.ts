/**
 * After "start fresh", an earlier account recovery kit found again opens the vaults made before:
 * its archived recovery wrap gives the old key, which opens the locked directory rows, and their
 * account-storage vaults are added to this computer and open with their own passwords. Another kit
 * opens nothing and adds nothing. Composed services, a real account server, the real engine.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElectronStoreSettings } from '../../src-main/adapters/electron-store-settings';
import type { Services } from '../../src-main/compose';
import type { AccountKitView, AccountView, VaultView } from '../../src-shared/ipc-contract';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { derivedKeys, testKdf } from '../support/derived-keys';
import { composeTestServices } from './composed-services';
import { MemorySecretStore } from './fakes';
import { gateCalls } from './gate-calls';
import { sealVaultRecord } from '../../src-shared/account-crypto';
import { bearer } from '../server/helpers';

const PASSWORD = 'correct horse battery staple';
const TEMPORARY = 'set by the administrator';
const CHOSEN = 'a password never used before';

let server: TestAccountServer;
let root: string;
const open: Services[] = [];

beforeAll(async () => {
  server = await startTestAccountServer();
  await server.createUser('ann', PASSWORD);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-open-locked-'));
});
afterAll(async () => {
  for (const s of open) s.dispose();
  await server?.close().catch(() => undefined);
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

function computer(name: string) {
  const dir = path.join(root, name);
  const services = composeTestServices({
    dir,
    serverUrl: server.url,
    secrets: new MemorySecretStore(),
    store: new ElectronStoreSettings({ cwd: path.join(dir, 'app') }),
    deviceName: name,
  });
  open.push(services);
  return { services, gate: gateCalls(() => services, { jobTimeoutMs: 90_000 }) };
}

describe('an earlier account recovery kit after starting fresh', { timeout: 180_000 }, () => {
  it('opens the locked account-storage vaults it sealed; another kit adds nothing', async () => {
    const laptop = computer('laptop');
    await laptop.gate.call('auth:unlock', { username: 'ann', password: PASSWORD });
    const oldKit = await laptop.gate.call<AccountKitView>('accountKit:get');
    const vault = await laptop.gate.call<VaultView>('vault:create', {
      type: 'account',
      name: 'Account storage',
      repository: 'laptop',
      mode: 'new',
      storePassword: true,
    });
    await laptop.services.directory.sync();
    // A second row of the old key whose repository no longer opens with its password.
    const held = laptop.services.keys.current()!;
    const gone = '0d4bbd2e-37f4-4f2b-9c3c-6f3e2e0f1a01';
    const sealed = await sealVaultRecord(
      held.amk,
      {
        vaultId: gone,
        name: 'Gone storage',
        repositoryId: 'b'.repeat(64),
        repositoryPassword: 'a password that opens nothing',
        location: { kind: 'account', repository: 'laptop' },
        createdAt: new Date().toISOString(),
        createdOn: 'laptop',
      },
      { accountUid: held.accountUid, version: 1 },
    );
    const put = await bearer(server.url, 'PUT', `/api/account/directory/vaults/${gone}`, held.sessionToken, {
      version: 1,
      sealed,
    });
    expect(put.status).toBe(200);
    laptop.services.lock.lock('manual');

    const kdf = testKdf(TEMPORARY);
    server.server.services.passwords.reset('ann', kdf, (await derivedKeys(TEMPORARY, kdf)).authKey, {
      resetTotp: false,
    });
    const desk = computer('desk');
    await desk.gate.refused('auth:unlock', { username: 'ann', password: TEMPORARY });
    const unlocked = await desk.gate.call<AccountView>('auth:unlock', {
      username: 'ann',
      password: TEMPORARY,
      newPassword: CHOSEN,
    });
    expect(unlocked.accountKey.canStartFresh).toBe(true);
    await desk.gate.call('account:startFresh', { password: CHOSEN });
    const newKit = await desk.gate.call<AccountKitView>('accountKit:get');
    const locked = await desk.gate.call<{ vaults: { vaultId: string }[] }>('account:lockedVaults');
    expect(locked.vaults.map((v) => v.vaultId).sort()).toEqual([vault.id, gone].sort());

    const wrong = await desk.gate.refused('account:openLockedVaults', { recoveryKey: newKit.recoveryKey });
    expect(wrong.code).toBe('wrong_password');
    expect(desk.services.config.get().vaults).toEqual([]);

    const opened = await desk.gate.call<{
      added: VaultView[];
      drives: string[];
      failed: { vaultId: string; reason: string }[];
    }>('account:openLockedVaults', { recoveryKey: oldKit.recoveryKey });
    expect(opened.drives).toEqual([]);
    // The row that fails is said, and does not keep the other from being added.
    expect(opened.added).toEqual([
      expect.objectContaining({ id: vault.id, type: 'account', passwordAvailable: true }),
    ]);
    expect(opened.failed).toEqual([{ vaultId: gone, reason: expect.stringContaining('Gone storage') }]);
    // Its own password opens its repository here.
    expect(await desk.services.restore.snapshots(vault.id)).toEqual([]);
    // This computer holds its password now: the new key covers it; the failed one stays locked.
    await desk.services.directory.sync();
    const still = await desk.gate.call<{ vaults: { vaultId: string }[] }>('account:lockedVaults');
    expect(still.vaults.map((v) => v.vaultId)).toEqual([gone]);
  });
});
