/**
 * "This account's server moved": the account server's data directory copied to another address is
 * the same account. A full sign-in there that opens the key this computer remembers for the old
 * address offers the move; accepted, the account's vaults (and its account storage) follow and
 * back up at the new address; declined, nothing changes. A server with another key for the same
 * username gets no offer and no vault. Real servers on loopback, the composed services through the
 * IPC gate, the engine in forked job processes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ElectronStoreSettings } from '../../src-main/adapters/electron-store-settings';
import { deviceTokenAccount } from '../../src-main/services/lock-service';
import type { Services } from '../../src-main/compose';
import type { BackupConfig } from '../../src-shared/backup-config';
import type {
  AccountKeyView,
  AccountView,
  ProtectedItemView,
  VaultView,
} from '../../src-shared/ipc-contract';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { composeTestServices } from './composed-services';
import { ManualClock, MemorySecretStore } from './fakes';
import { gateCalls, manualItem } from './gate-calls';

const PASSWORD = 'ann-password-123456';
let root: string;
let before: TestAccountServer;
let moved: TestAccountServer;
let stranger: TestAccountServer;
let services: Services;
let gate: ReturnType<typeof gateCalls>;
let storage: VaultView;
let drive: VaultView;
let itemId: string;
let keyId: string;
const clock = new ManualClock();
const secrets = new MemorySecretStore();
const origin = (url: string) => new URL(url).origin;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-server-moved-'));
  fs.mkdirSync(path.join(root, 'server-a'));
  before = await startTestAccountServer({ dataDir: path.join(root, 'server-a') });
  await before.createUser('ann', PASSWORD);
  stranger = await startTestAccountServer();
  await stranger.createUser('ann', PASSWORD);

  services = composeTestServices({
    dir: root,
    serverUrl: before.url,
    secrets,
    clock,
    store: new ElectronStoreSettings({ cwd: path.join(root, 'app') }),
  });
  gate = gateCalls(() => services, { jobTimeoutMs: 90_000 });
  await gate.call('auth:unlock', { username: 'ann', password: PASSWORD });
  keyId = services.keys.current()!.keyId;
  storage = await gate.call<VaultView>('vault:create', {
    type: 'account',
    name: 'Account storage',
    repository: 'laptop',
    mode: 'new',
    storePassword: true,
  });
  drive = await gate.call<VaultView>('vault:create', {
    type: 'local',
    name: 'USB backup',
    path: path.join(root, 'usb'),
    mode: 'new',
    storePassword: true,
  });
  const src = path.join(root, 'home');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'notes.txt'), `notes ${crypto.randomUUID()}`);
  itemId = (await gate.call<ProtectedItemView>('item:save', manualItem('Docs', [src], storage.id))).item.id;
  expect((await gate.ended(services.backup.backupNow(itemId).jobId)).status).toBe('success');
  await services.directory.sync();

  // The server moves: stopped, its data directory copied, started again at another address.
  services.lock.lock('manual');
  await before.close();
  fs.cpSync(path.join(root, 'server-a'), path.join(root, 'server-b'), { recursive: true });
  moved = await startTestAccountServer({ dataDir: path.join(root, 'server-b') });
}, 240_000);

afterAll(async () => {
  services?.dispose();
  await moved?.close().catch(() => undefined);
  await stranger?.close().catch(() => undefined);
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

function config(): BackupConfig {
  return services.config.get();
}

async function unlockAt(url: string): Promise<AccountKeyView> {
  services.lock.lock('manual');
  const view = await gate.call<AccountView>('auth:unlock', {
    serverUrl: url,
    username: 'ann',
    password: PASSWORD,
  });
  return view.accountKey;
}

describe("This account's server moved", { timeout: 240_000 }, () => {
  it('is offered, with both addresses, after a full sign-in at the new address opens the same key', async () => {
    const view = await unlockAt(moved.url);
    expect(services.keys.current()!.keyId).toBe(keyId);
    expect(view.serverMoved).toEqual({ from: origin(before.url), to: origin(moved.url) });
  });

  it('changes nothing when declined', async () => {
    const was = structuredClone(config().vaults);
    const view = await gate.call<AccountKeyView>('account:answerServerMove', { accept: false });
    expect(view.serverMoved).toBeNull();
    expect(config().vaults).toEqual(was);
    expect(config().vaults.find((v) => v.id === drive.id)?.owner?.server).toBe(origin(before.url));
    // Nothing waits for an answer any more.
    expect(
      await gate.refused('account:answerServerMove', { accept: true, password: PASSWORD }),
    ).toMatchObject({ code: 'conflict' });
  });

  it('is not asked again at the next unlock once declined, and can be asked for again', async () => {
    const view = await unlockAt(moved.url);
    const move = { from: origin(before.url), to: origin(moved.url) };
    expect(view.serverMoved).toBeNull();
    expect(view.serverMoveDeclined).toEqual(move);
    // Remembered in the settings file, for that address and key id: not asked at any later unlock.
    expect((await unlockAt(moved.url)).serverMoved).toBeNull();
    const again = await gate.call<AccountKeyView>('account:askServerMoveAgain');
    expect(again).toMatchObject({ serverMoved: move, serverMoveDeclined: null });
    expect(await gate.refused('account:askServerMoveAgain')).toMatchObject({ code: 'conflict' });
  });

  it('moves the vaults and the key memory when accepted; account storage then backs up there', async () => {
    const view = await gate.call<AccountKeyView>('accountKey:status');
    expect(view.serverMoved).toEqual({ from: origin(before.url), to: origin(moved.url) });
    // A click alone (or a script in the window) moves nothing: the password again, checked there.
    expect(await gate.refused('account:answerServerMove', { accept: true })).toMatchObject({
      code: 'bad_request',
    });
    expect(
      await gate.refused('account:answerServerMove', { accept: true, password: 'not her password' }),
    ).toMatchObject({ code: 'invalid_credentials' });
    expect(config().vaults.find((v) => v.id === drive.id)?.owner?.server).toBe(origin(before.url));
    const oldToken = await secrets.get(deviceTokenAccount(origin(before.url), 'ann'));
    expect(oldToken).toBeTruthy();
    const answered = await gate.call<AccountKeyView>('account:answerServerMove', {
      accept: true,
      password: PASSWORD,
    });
    expect(answered.serverMoved).toBeNull();

    const accountUid = services.keys.current()!.accountUid;
    const vaults = config().vaults;
    expect(vaults.map((v) => v.owner)).toEqual([
      { server: origin(moved.url), accountUid },
      { server: origin(moved.url), accountUid },
    ]);
    expect(vaults.find((v) => v.id === storage.id)).toMatchObject({ serverUrl: origin(moved.url) });
    expect(
      (await services.directory.read(services.keys.current()!)).raw.vaults.map((v) => v.vaultId).sort(),
    ).toEqual([storage.id, drive.id].sort());
    expect(services.directory.problems().size).toBe(0);

    const job = await gate.ended(services.backup.backupNow(itemId).jobId);
    expect(job.status).toBe('success');
    // The old address's token left the keychain and was sent nowhere: not to the new address, which
    // (a copy of the old server's data) would otherwise have received it. It still works there.
    expect(await secrets.get(deviceTokenAccount(origin(before.url), 'ann'))).toBeNull();
    const probe = await fetch(`${moved.url}/storage/ann/no-such-vault/config`, {
      headers: { authorization: `Bearer ${oldToken}` },
    });
    expect(probe.status).not.toBe(401);
    // Moved for good: the next unlock there offers nothing.
    expect((await unlockAt(moved.url)).serverMoved).toBeNull();
  });

  it('after the move, account storage backs up on schedule while locked; the old address leaves the keychain', async () => {
    const hourly = {
      ...manualItem('Docs hourly', [path.join(root, 'home')], storage.id),
      schedule: { kind: 'hourly', everyHours: 1 },
    };
    const saved = await gate.call<ProtectedItemView>('item:save', hourly);
    expect([...secrets.entries.keys()].filter((k) => k.includes(`${origin(before.url)}/`))).toEqual([]);
    services.lock.lock('manual');
    clock.advance(services.scheduler.nextRunAt(saved.item)! - clock.now() + 1000);
    const job = await vi.waitFor(
      () => {
        const [j] = services.history.list({ itemId: saved.item.id });
        expect(j?.trigger).toBe('schedule');
        expect(j!.status === 'running' || (j!.status === 'waiting' && !j!.message)).toBe(false);
        return j!;
      },
      { timeout: 90_000, interval: 200 },
    );
    expect(services.lock.isLocked()).toBe(true);
    expect(job.status, job.message ?? '').toBe('success');
  });

  it('offers nothing, and gives no vault, to another server whose account of that name has another key', async () => {
    const view = await unlockAt(stranger.url);
    expect(view.state).toBe('ready');
    expect(services.keys.current()!.keyId).not.toBe(keyId);
    expect(view.serverMoved).toBeNull();
    await services.directory.sync();
    expect((await services.directory.read(services.keys.current()!)).raw.vaults).toEqual([]);
    expect(config().vaults.map((v) => v.owner?.server)).toEqual([origin(moved.url), origin(moved.url)]);
  });
});
