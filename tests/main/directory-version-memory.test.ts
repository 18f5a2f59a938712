/**
 * The highest version this computer has seen of each directory row and profile protects it against
 * a server answering older rows. It must hold only versions that authenticated: one forged answer
 * (a profile at a huge version that does not open, a vault "deleted" at a huge version; deletions are
 * not sealed) must not make every genuine row "older" afterwards, nor stop this computer writing its
 * own profile. The hostile answer is made by wrapping the client's directory call, which is exactly
 * what the server answers; the real server on loopback stays honest.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ElectronStoreSettings } from '../../src-main/adapters/electron-store-settings';
import { ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import { DirectoryState } from '../../src-main/services/account-vaults/directory-state';
import type { AccountDirectory } from '../../src-shared/account-keys-api';
import type { AccountComputersView, VaultView } from '../../src-shared/ipc-contract';
import { startTestAccountServer } from '../support/account-server';
import { composeTestServices } from './composed-services';
import { MemorySecretStore } from './fakes';
import { gateCalls, manualItem } from './gate-calls';

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

it(
  'remembers no version from a forged answer: the honest rows are accepted afterwards',
  { timeout: 120_000 },
  async () => {
    const server = await startTestAccountServer();
    cleanup.push(() => server.close());
    await server.createUser('ann', 'ann-password-123456');
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-version-memory-'));
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
    const state = new DirectoryState(store);

    await gate.call('auth:unlock', { username: 'ann', password: 'ann-password-123456' });
    const vault = await gate.call<VaultView>('vault:create', {
      type: 'local',
      name: 'USB',
      path: path.join(root, 'usb'),
      mode: 'new',
      storePassword: true,
    });
    await services.directory.sync();
    await services.profiles.writeOwn();
    const keys = services.keys.current()!;
    const profileSeen = state.profileVersion(keys.accountUid, keys.computerId);
    const vaultSeen = state.vaultVersion(keys.accountUid, vault.id);
    expect(profileSeen).toBeGreaterThan(0);
    expect(vaultSeen).toBeGreaterThan(0);

    // One hostile answer: this computer's profile at a huge version (its sealed value unchanged, so it
    // does not open for that version) and the vault's row "deleted" at a huge version.
    const client = services.client;
    const honest = client.directory.bind(client);
    client.directory = async (...args: Parameters<typeof honest>): Promise<AccountDirectory> => {
      const d = await honest(...args);
      return {
        ...d,
        computers: d.computers.map((c) => ({ ...c, version: Number.MAX_SAFE_INTEGER })),
        vaults: d.vaults.map((v) => ({
          ...v,
          version: Number.MAX_SAFE_INTEGER - 5,
          deletedAt: new Date().toISOString(),
        })),
      };
    };
    await gate.call('account:computers');
    client.directory = honest;

    expect(state.profileVersion(keys.accountUid, keys.computerId)).toBe(profileSeen);
    expect(state.vaultVersion(keys.accountUid, vault.id)).toBe(vaultSeen);

    // The honest server again: its rows open, nothing is refused, and the profile is written on.
    const view = await gate.call<AccountComputersView>('account:computers');
    expect(view.computers.find((c) => c.isThisComputer)).toMatchObject({ hasProfile: true });
    expect(view.vaults.map((v) => v.vaultId)).toEqual([vault.id]);
    expect([...services.directory.problems().values()]).toEqual([]);

    await gate.call('item:save', manualItem('Docs', [root], vault.id));
    await services.profiles.writeOwn();
    const rows = await honest(server.url, keys.sessionToken);
    expect(rows.computers.map((c) => c.version)).toEqual([profileSeen + 1]);
    expect(state.profileVersion(keys.accountUid, keys.computerId)).toBe(profileSeen + 1);

    // A row write answered with a forged version: the version written is remembered, not the answer.
    const honestPut = client.putDirectoryRow.bind(client);
    client.putDirectoryRow = async (...args: Parameters<typeof honestPut>) => {
      const row = await honestPut(...args);
      return { ...row, version: Number.MAX_SAFE_INTEGER - 1 };
    };
    await gate.call('vault:rename', { vaultId: vault.id, name: 'USB drive' });
    await services.directory.sync();
    client.putDirectoryRow = honestPut;
    const written = (await honest(server.url, keys.sessionToken)).vaults[0]!.version;
    expect(written).toBeGreaterThan(vaultSeen);
    expect(state.vaultVersion(keys.accountUid, vault.id)).toBe(written);
    await services.directory.sync();
    expect([...services.directory.problems().values()]).toEqual([]);
  },
);
