/**
 * Anyone with the drive for a minute can rewrite its envelope's top-level generation. Whether the
 * envelope is replaced must not rest on that number: after a new kit and a new password, the drive
 * opens with the new recovery key and password and no longer with the old ones. Real account server
 * on loopback, the composed services through the IPC gate, the engine in forked job processes.
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

const OLD = 'ann-password-123456';
const NEW = 'ann-new-password-7890';
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
  'replaces an envelope whose top-level generation was raised on the drive, so only the new keys open it',
  { timeout: 120_000 },
  async () => {
    const server = await startTestAccountServer();
    cleanup.push(() => server.close());
    await server.createUser('ann', OLD);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-forged-envelope-'));
    cleanup.push(() => fs.rmSync(root, { recursive: true, force: true }));
    const warnings: string[] = [];
    const services = composeTestServices({
      dir: root,
      log: { warn: (m: string) => warnings.push(m) },
      serverUrl: server.url,
      secrets: new MemorySecretStore(),
      store: new ElectronStoreSettings({ cwd: path.join(root, 'app') }),
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

    // The same wraps written back with a huge top-level generation.
    const forged = fs.readdirSync(path.join(usb, 'keys')).filter((f) => {
      const p = path.join(usb, 'keys', f);
      const k = JSON.parse(fs.readFileSync(p, 'utf8')) as { type?: string; generation: number };
      if (k.type !== 'strongroom-envelope') return false;
      k.generation = 2 ** 40;
      fs.chmodSync(p, 0o600);
      fs.writeFileSync(p, JSON.stringify(k));
      return true;
    });
    expect(forged).toHaveLength(1);
    // Its check covers the top-level generation: the changed envelope opens with nothing.
    await expect(Repository.openWithRecoveryKey(drive, oldKey)).rejects.toThrow(/was changed on the drive/);
    await expect(Repository.openWithAccountPassword(drive, OLD)).rejects.toThrow(/was changed on the drive/);

    const newKey = await parseRecoveryKey(
      (await gate.call<AccountKitView>('accountKit:new', { password: OLD })).recoveryKey,
    );
    await gate.call('accountKit:confirmSaved');
    await gate.call('account:changePassword', { currentPassword: OLD, newPassword: NEW });
    await services.directory.sync();
    expect(warnings).toContainEqual(
      `vault "USB": The drive's copy of the account keys at ${usb} did not verify and was rewritten.`,
    );
    await gate.call('lock:lockNow');
    await gate.call('auth:unlock', { username: 'ann', password: NEW });
    await services.directory.sync();

    expect({
      oldRecoveryKey: await opens(Repository.openWithRecoveryKey(drive, oldKey)),
      oldPassword: await opens(Repository.openWithAccountPassword(drive, OLD)),
      newRecoveryKey: await opens(Repository.openWithRecoveryKey(drive, newKey)),
      newPassword: await opens(Repository.openWithAccountPassword(drive, NEW)),
    }).toEqual({ oldRecoveryKey: false, oldPassword: false, newRecoveryKey: true, newPassword: true });
  },
);
