/**
 * The embedded local account server takes another port whenever its usual one is taken. Vaults of
 * an account on it belong to "this computer's server", not to one address: restarted on another
 * port (same data), the vaults keep their directory rows and the remembered key id still guards the
 * account, so a different server answering at the local address cannot slip in another key.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedAccountServer } from '../../src-main/adapters/embedded-account-server';
import { ElectronStoreSettings } from '../../src-main/adapters/electron-store-settings';
import type { Services } from '../../src-main/compose';
import type { LocalAccountServer } from '../../src-main/services/ports';
import { THIS_COMPUTERS_SERVER } from '../../src-shared/backup-config';
import type { AccountView, VaultView } from '../../src-shared/ipc-contract';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { composeTestServices } from './composed-services';
import { MemorySecretStore } from './fakes';
import { gateCalls } from './gate-calls';

const PASSWORD = 'ann-password-123456';
let root: string;
const secrets = new MemorySecretStore();
let store: ElectronStoreSettings;
const stops: (() => Promise<void> | void)[] = [];

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-local-owner-'));
  store = new ElectronStoreSettings({ cwd: path.join(root, 'app') });
});
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  fs.rmSync(root, { recursive: true, force: true });
});

function embedded(preferredPort: number): EmbeddedAccountServer {
  const server = new EmbeddedAccountServer({
    dataDir: path.join(root, 'server'),
    rendererDir: path.join(root, 'renderer'),
    preferredPort,
  });
  stops.push(() => server.stop());
  return server;
}

/** The app on this computer (one settings file and keychain), with the given server as its local one. */
function app(localServer: LocalAccountServer): { services: Services; gate: ReturnType<typeof gateCalls> } {
  const services = composeTestServices({ dir: root, serverUrl: '', localServer, secrets, store });
  stops.push(() => services.dispose());
  return { services, gate: gateCalls(() => services, { jobTimeoutMs: 90_000 }) };
}

async function directoryVaults(services: Services): Promise<string[]> {
  const { raw } = await services.directory.read(services.keys.current()!);
  return raw.vaults.map((v) => v.vaultId);
}

describe('an account on the embedded local server', { timeout: 240_000 }, () => {
  let firstUrl: string;
  let vault: VaultView;
  let keyId: string;

  beforeAll(async () => {
    const server = embedded(0);
    const { services, gate } = app(server);
    await gate.call<AccountView>('auth:createAccount', { username: 'ann', password: PASSWORD });
    firstUrl = server.url()!;
    vault = await gate.call<VaultView>('vault:create', {
      type: 'local',
      name: 'USB backup',
      path: path.join(root, 'usb'),
      mode: 'new',
      storePassword: true,
    });
    await services.directory.sync();
    keyId = services.keys.current()!.keyId;
    expect(await directoryVaults(services)).toEqual([vault.id]);
    services.lock.lock('manual');
    services.dispose();
    await server.stop();
  });

  it('records its vaults as owned by this computer’s server, not by an address', () => {
    const owner = store.read('backup') as { vaults: { id: string; owner?: { server: string } }[] };
    expect(owner.vaults.find((v) => v.id === vault.id)?.owner?.server).toBe(THIS_COMPUTERS_SERVER);
  });

  it('keeps the vaults syncing and the key id remembered when the server restarts on another port', async () => {
    // The usual port is taken now: the embedded server falls back to another one, with the same data.
    const blocker = net.createServer();
    await new Promise<void>((resolve) =>
      blocker.listen(Number(new URL(firstUrl).port), '127.0.0.1', resolve),
    );
    stops.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const server = embedded(Number(new URL(firstUrl).port));
    const { services, gate } = app(server);
    const view = await gate.call<AccountView>('auth:unlock', { username: 'ann', password: PASSWORD });
    expect(new URL(server.url()!).origin).not.toBe(new URL(firstUrl).origin);
    expect(view.accountKey.state).toBe('ready');
    expect(services.keys.current()!.keyId).toBe(keyId);

    // Renamed after the move: its row follows (the vault is still this account's).
    await gate.call('vault:rename', { vaultId: vault.id, name: 'USB drive' });
    await services.directory.sync();
    expect(services.directory.problems().size).toBe(0);
    const { entries } = await services.directory.read(services.keys.current()!);
    expect([...entries.values()].map((e) => [e.vaultId, e.record?.name])).toEqual([[vault.id, 'USB drive']]);
    services.lock.lock('manual');
    services.dispose();
    await server.stop();
  });

  it('refuses another server at the local address that answers other keys for the same username', async () => {
    const impostor: TestAccountServer = await startTestAccountServer();
    stops.push(() => impostor.close());
    await impostor.createUser('ann', PASSWORD);
    const local: LocalAccountServer = {
      ensureStarted: () => Promise.resolve(impostor.url),
      url: () => impostor.url,
      stop: () => Promise.resolve(),
    };
    const { services, gate } = app(local);
    const view = await gate.call<AccountView>('auth:unlock', { username: 'ann', password: PASSWORD });
    expect(view.accountKey).toMatchObject({
      state: 'unavailable',
      reason: expect.stringMatching(/not used/),
    });
    expect(services.keys.current()).toBeNull();
  });
});
