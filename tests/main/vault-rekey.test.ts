/**
 * "Replace this vault's password with a random key", through the IPC gate of the composed app
 * (real account server, real settings file, the real engine in a forked job process, a real
 * repository in a temp folder): a vault made with a password a person typed is offered; re-keying
 * is refused while a job uses the vault; afterwards the old password no longer opens it, the
 * keychain, the directory row and the account slot hold the new random password, and backups go on.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ElectronStoreSettings } from '../../src-main/adapters/electron-store-settings';
import type { Services } from '../../src-main/compose';
import { LocalFolderStorage, Repository } from '../../src-engine/index';
import type { ProtectedItemView, VaultView } from '../../src-shared/ipc-contract';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { composeTestServices } from './composed-services';
import { MemorySecretStore } from './fakes';
import { gateCalls, manualItem } from './gate-calls';
import { sealVaultRecord } from '../../src-shared/account-crypto';
import { bearer } from '../server/helpers';

const PASSWORD = 'correct horse battery staple';
const TYPED = 'the vault password I typed in 2024';

let server: TestAccountServer;
let root: string;
let services: Services;

beforeAll(async () => {
  server = await startTestAccountServer();
  await server.createUser('ann', PASSWORD);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-vault-rekey-'));
});
afterAll(async () => {
  services?.dispose();
  await server?.close().catch(() => undefined);
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('replacing a typed vault password with a random key', { timeout: 180_000 }, () => {
  it('re-keys the vault: the old password stops opening it, and the keychain, directory and account slot follow', async () => {
    const secrets = new MemorySecretStore();
    services = composeTestServices({
      dir: root,
      serverUrl: server.url,
      secrets,
      store: new ElectronStoreSettings({ cwd: path.join(root, 'app') }),
      deviceName: 'laptop',
    });
    const gate = gateCalls(() => services, { jobTimeoutMs: 90_000 });
    await gate.call('auth:unlock', { username: 'ann', password: PASSWORD });
    const keys = services.keys.current()!;
    const repoPath = path.join(root, 'usb');
    const vault = await gate.call<VaultView>('vault:create', {
      type: 'local',
      name: 'USB backup',
      path: repoPath,
      mode: 'new',
      password: TYPED,
      storePassword: true,
    });
    const source = path.join(root, 'home');
    fs.mkdirSync(source, { recursive: true });
    fs.writeFileSync(path.join(source, 'note.txt'), 'before the new key');
    const item = await gate.call<ProtectedItemView>('item:save', manualItem('Notes', [source], vault.id));
    await services.directory.sync();
    expect((await services.directory.read(keys)).entries.get(vault.id)?.record?.repositoryPassword).toBe(
      TYPED,
    );

    expect(await gate.call('vault:rekeyOffers')).toEqual({ vaultIds: [vault.id] });

    // Never while a job uses the vault.
    const { jobId } = services.backup.backupNow(item.item.id);
    const busy = await gate.refused('vault:rekey', { vaultId: vault.id, password: PASSWORD });
    expect(busy.code).toBe('conflict');
    expect(busy.message).toContain('once it has ended');
    expect((await gate.ended(jobId)).status).toBe('success');
    // The catalogue's update after the backup uses the vault too.
    await vi.waitFor(() => expect(services.queue.active()).toEqual([]), { timeout: 60_000, interval: 100 });
    expect(secrets.entries.get(`vault:${vault.id}`)).toBe(TYPED);

    expect(await gate.call('vault:rekey', { vaultId: vault.id, password: PASSWORD })).toEqual({
      directoryUpdated: true,
    });
    const now = secrets.entries.get(`vault:${vault.id}`)!;
    expect(now).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The typed password (and the per-vault kit that printed it) no longer opens the repository.
    await expect(Repository.open(new LocalFolderStorage(repoPath), TYPED)).rejects.toThrow();
    await Repository.open(new LocalFolderStorage(repoPath), now);
    // The directory row and the account slot hold the new password.
    expect((await services.directory.read(keys)).entries.get(vault.id)?.record?.repositoryPassword).toBe(now);
    const byAccount = await Repository.openWithAccountKey(new LocalFolderStorage(repoPath), keys.amk);
    expect((await byAccount.accountSlots(keys.amk)).map((s) => s.record?.repositoryPassword)).toEqual([now]);
    expect(await gate.call('vault:rekeyOffers')).toEqual({ vaultIds: [] });

    // Backups go on with the new password.
    fs.writeFileSync(path.join(source, 'note.txt'), 'after the new key');
    expect((await gate.ended(services.backup.backupNow(item.item.id).jobId)).status).toBe('success');

    // A directory row naming another repository: the password is not replaced, nothing is changed.
    await vi.waitFor(() => expect(services.queue.active()).toEqual([]), { timeout: 60_000, interval: 100 });
    const row = (await services.directory.read(keys)).entries.get(vault.id)!;
    const version = row.version + 1;
    const sealed = await sealVaultRecord(
      keys.amk,
      { ...row.record!, repositoryId: 'c'.repeat(64) },
      { accountUid: keys.accountUid, version },
    );
    expect(
      (
        await bearer(server.url, 'PUT', `/api/account/directory/vaults/${vault.id}`, keys.sessionToken, {
          version,
          sealed,
        })
      ).status,
    ).toBe(200);
    const keyFiles = fs.readdirSync(path.join(repoPath, 'keys')).sort();
    const other = await gate.refused('vault:rekey', { vaultId: vault.id, password: PASSWORD });
    expect(other).toMatchObject({ code: 'conflict', message: expect.stringContaining('another repository') });
    expect(fs.readdirSync(path.join(repoPath, 'keys')).sort()).toEqual(keyFiles);
    expect(secrets.entries.get(`vault:${vault.id}`)).toBe(now);
  });
});
