/**
 * A drive's envelope carries copies of the account's recovery wrap (and, where on, its password
 * wrap). A new recovery kit or a new password in the same unlock must reach the connected drives at
 * once: the new recovery key (and password) opens the drive, the old ones no longer do, without
 * waiting for a later unlock with the drive attached. Real account server on loopback, the composed
 * services through the IPC gate, the engine in forked job processes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ElectronStoreSettings } from '../../src-main/adapters/electron-store-settings';
import { ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import { LocalFolderStorage, Repository } from '../../src-engine/index';
import { parseRecoveryKey } from '../../src-shared/account-crypto';
import type { AccountKitView } from '../../src-shared/ipc-contract';
import { startTestAccountServer } from '../support/account-server';
import { composeTestServices } from './composed-services';
import { MemorySecretStore } from './fakes';
import { gateCalls } from './gate-calls';

const OLD = 'old-password-123456';
const NEW = 'new-password-654321';

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

const opens = (p: Promise<unknown>) =>
  p.then(
    () => true,
    () => false,
  );

it(
  'rewrites the drive envelope in the same unlock after a new kit and a new password',
  { timeout: 120_000 },
  async () => {
    const server = await startTestAccountServer();
    cleanup.push(() => server.close());
    await server.createUser('ann', OLD);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-envelope-renewal-'));
    cleanup.push(() => fs.rmSync(root, { recursive: true, force: true }));
    const store = new ElectronStoreSettings({ cwd: path.join(root, 'app') });
    const services = composeTestServices({
      dir: root,
      serverUrl: server.url,
      secrets: new MemorySecretStore(),
      store,
      runner: new ForkedEngineRunner(),
    });
    cleanup.push(() => services.dispose());
    const gate = gateCalls(() => services, { jobTimeoutMs: 90_000 });

    await gate.call('auth:unlock', { username: 'ann', password: OLD });
    const oldKey = await parseRecoveryKey((await gate.call<AccountKitView>('accountKit:get')).recoveryKey);
    await gate.call('accountKit:confirmSaved');
    const usb = path.join(root, 'usb');
    await gate.call('vault:create', {
      type: 'local',
      name: 'USB',
      path: usb,
      mode: 'new',
      storePassword: true,
      passwordWrapOnDrive: true,
    });
    await services.directory.sync();
    const drive = new LocalFolderStorage(usb);
    expect(await opens(Repository.openWithRecoveryKey(drive, oldKey))).toBe(true);
    expect(await opens(Repository.openWithAccountPassword(drive, OLD))).toBe(true);

    // A new kit (the old one may have leaked): nothing else changes in the configuration.
    const newKit = await gate.call<AccountKitView>('accountKit:new', { password: OLD });
    await gate.call('accountKit:confirmSaved');
    await services.directory.sync();
    const newKey = await parseRecoveryKey(newKit.recoveryKey);
    expect(await opens(Repository.openWithRecoveryKey(drive, newKey))).toBe(true);
    expect(await opens(Repository.openWithRecoveryKey(drive, oldKey))).toBe(false);

    // A new password: the drive's password wrap follows it.
    await gate.call('account:changePassword', { currentPassword: OLD, newPassword: NEW });
    await services.directory.sync();
    expect(await opens(Repository.openWithAccountPassword(drive, NEW))).toBe(true);
    expect(await opens(Repository.openWithAccountPassword(drive, OLD))).toBe(false);
    expect(await opens(Repository.openWithRecoveryKey(drive, newKey))).toBe(true);
  },
);
