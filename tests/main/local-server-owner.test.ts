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
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EmbeddedAccountServer } from '../../src-main/adapters/embedded-account-server';
import { ElectronStoreSettings } from '../../src-main/adapters/electron-store-settings';
import type { Services } from '../../src-main/compose';
import type { LocalAccountServer } from '../../src-main/services/ports';
import { THIS_COMPUTERS_SERVER } from '../../src-shared/backup-config';
import type { AccountView, ProtectedItemView, VaultView } from '../../src-shared/ipc-contract';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { composeTestServices } from './composed-services';
import { ManualClock, MemorySecretStore } from './fakes';
import { gateCalls, manualItem } from './gate-calls';

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
function app(
  localServer: LocalAccountServer,
  clock = new ManualClock(),
): { services: Services; gate: ReturnType<typeof gateCalls> } {
  const services = composeTestServices({ dir: root, serverUrl: '', localServer, secrets, store, clock });
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
  let storage: VaultView;
  let itemId: string;
  let hourlyId: string;
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
    storage = await gate.call<VaultView>('vault:create', {
      type: 'account',
      name: 'Account storage',
      repository: 'laptop',
      mode: 'new',
      storePassword: true,
    });
    const src = path.join(root, 'home');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'notes.txt'), 'notes');
    itemId = (await gate.call<ProtectedItemView>('item:save', manualItem('Docs', [src], storage.id))).item.id;
    const hourly = {
      ...manualItem('Docs hourly', [src], storage.id),
      schedule: { kind: 'hourly', everyHours: 1 },
    };
    hourlyId = (await gate.call<ProtectedItemView>('item:save', hourly)).item.id;
    expect((await gate.ended(services.backup.backupNow(itemId).jobId)).status).toBe('success');
    await services.directory.sync();
    keyId = services.keys.current()!.keyId;
    expect((await directoryVaults(services)).sort()).toEqual([vault.id, storage.id].sort());
    services.lock.lock('manual');
    services.dispose();
    await server.stop();
  });

  it('records its vaults as owned by this computer’s server, not by an address', () => {
    const config = store.read('backup') as { vaults: { id: string; owner?: { server: string } }[] };
    expect(config.vaults.map((v) => v.owner?.server)).toEqual([THIS_COMPUTERS_SERVER, THIS_COMPUTERS_SERVER]);
  });

  it('keeps the vaults syncing and the key id remembered when the server restarts on another port', async () => {
    // The usual port is taken now: the embedded server falls back to another one, with the same data.
    const blocker = net.createServer();
    await new Promise<void>((resolve) =>
      blocker.listen(Number(new URL(firstUrl).port), '127.0.0.1', resolve),
    );
    stops.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const server = embedded(Number(new URL(firstUrl).port));
    const clock = new ManualClock();
    const { services, gate } = app(server, clock);

    // Still locked, as after a restart: the scheduled backup to account storage runs with the device
    // token this computer kept, at the server's new port.
    const hourly = services.config.get().items.find((i) => i.id === hourlyId)!;
    clock.advance(services.scheduler.nextRunAt(hourly)! - clock.now() + 1000);
    const scheduled = await vi.waitFor(
      () => {
        const [job] = services.history.list({ itemId: hourlyId });
        expect(job?.trigger).toBe('schedule');
        expect(job!.status === 'running' || (job!.status === 'waiting' && !job!.message)).toBe(false);
        return job!;
      },
      { timeout: 90_000, interval: 200 },
    );
    expect(services.lock.isLocked()).toBe(true);
    expect(new URL(server.url()!).origin).not.toBe(new URL(firstUrl).origin);
    expect(scheduled.status, scheduled.message ?? '').toBe('success');

    const view = await gate.call<AccountView>('auth:unlock', { username: 'ann', password: PASSWORD });
    expect(new URL(server.url()!).origin).not.toBe(new URL(firstUrl).origin);
    expect(view.accountKey.state).toBe('ready');
    expect(services.keys.current()!.keyId).toBe(keyId);
    // The device token and device key are named without the port, so this unlock made no new ones.
    expect([...secrets.entries.keys()].filter((k) => !k.startsWith('vault:')).sort()).toEqual([
      'device-key:this-computer/ann',
      'this-computer/ann',
    ]);

    // Renamed after the move: its row follows (the vault is still this account's).
    await gate.call('vault:rename', { vaultId: vault.id, name: 'USB drive' });
    await services.directory.sync();
    expect(services.directory.problems().size).toBe(0);
    const { entries } = await services.directory.read(services.keys.current()!);
    expect(entries.get(vault.id)?.record?.name).toBe('USB drive');
    expect(entries.get(storage.id)?.problem).toBeNull();
    // Account storage is reached at the server's address of now.
    expect((await gate.ended(services.backup.backupNow(itemId).jobId)).status).toBe('success');
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
