/**
 * "Open a drive with a recovery key" through the IPC gate of the composed app, with the real engine
 * in a forked job process: a drive vault written by one account (ann) is opened on a computer
 * signed in to another account (bob), whose server holds nothing of it, with ann's account recovery
 * key. A typo or another account's key is refused with words and adds nothing; the right key adds
 * the vault under its own name, and Restore and its search work on it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ElectronStoreSettings } from '../../src-main/adapters/electron-store-settings';
import type { Services } from '../../src-main/compose';
import type {
  AccountKitView,
  CatalogueSearchResult,
  ProtectedItemView,
  VaultView,
} from '../../src-shared/ipc-contract';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { composeTestServices } from './composed-services';
import { ManualClock, MemorySecretStore } from './fakes';
import { gateCalls, manualItem } from './gate-calls';

let annServer: TestAccountServer;
let bobServer: TestAccountServer;
let root: string;
const open: Services[] = [];

beforeAll(async () => {
  annServer = await startTestAccountServer();
  await annServer.createUser('ann', 'ann’s own passphrase');
  bobServer = await startTestAccountServer();
  await bobServer.createUser('bob', 'bob’s own passphrase');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-open-drive-'));
});
afterAll(async () => {
  for (const s of open) s.dispose();
  await annServer?.close().catch(() => undefined);
  await bobServer?.close().catch(() => undefined);
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

function computer(name: string, serverUrl: string) {
  const dir = path.join(root, name);
  const secrets = new MemorySecretStore();
  const clock = new ManualClock();
  const services = composeTestServices({
    dir,
    serverUrl,
    secrets,
    clock,
    store: new ElectronStoreSettings({ cwd: path.join(dir, 'app') }),
    deviceName: name,
  });
  open.push(services);
  return { dir, services, secrets, clock, gate: gateCalls(() => services, { jobTimeoutMs: 90_000 }) };
}

const keyFiles = (repo: string) => fs.readdirSync(path.join(repo, 'keys')).sort();

describe('opening a drive with a recovery key', { timeout: 240_000 }, () => {
  it('opens another account’s drive with its recovery key, and refuses a wrong one adding nothing', async () => {
    // Ann's laptop: a drive vault with a backup, its account slot and drive envelope written.
    const laptop = computer('laptop', annServer.url);
    await laptop.gate.call('auth:unlock', { username: 'ann', password: 'ann’s own passphrase' });
    const annKit = await laptop.gate.call<AccountKitView>('accountKit:get');
    const drive = path.join(root, 'usb');
    const vault = await laptop.gate.call<VaultView>('vault:create', {
      type: 'local',
      name: 'USB backup',
      path: drive,
      mode: 'new',
      storePassword: true,
    });
    const source = path.join(laptop.dir, 'home');
    fs.mkdirSync(source, { recursive: true });
    const letter = crypto.randomBytes(50_000);
    fs.writeFileSync(path.join(source, 'letter.bin'), letter);
    const item = await laptop.gate.call<ProtectedItemView>(
      'item:save',
      manualItem('Home', [source], vault.id),
    );
    expect((await laptop.gate.ended(laptop.services.backup.backupNow(item.item.id).jobId)).status).toBe(
      'success',
    );
    await laptop.services.directory.sync();
    laptop.services.lock.lock('manual');

    // Bob's computer: another account, another server, which holds nothing of the drive.
    const desk = computer('desk', bobServer.url);
    await desk.gate.call('auth:unlock', { username: 'bob', password: 'bob’s own passphrase' });
    const bobKit = await desk.gate.call<AccountKitView>('accountKit:get');
    const before = keyFiles(drive);

    const typo = annKit.recoveryKey.replace(/^(.)/, (c) => (c === 'A' ? 'B' : 'A'));
    expect(await desk.gate.refused('vault:openDrive', { path: drive, recoveryKey: typo })).toMatchObject({
      code: 'bad_request',
    });
    // Three wrong keys at once: one attempt at a time, so only the first is tried and the others wait.
    const [wrong, ...atOnce] = await Promise.all(
      [0, 1, 2].map(() =>
        desk.gate.refused('vault:openDrive', { path: drive, recoveryKey: bobKit.recoveryKey }),
      ),
    );
    expect(atOnce.map((r) => r.code)).toEqual(['throttled', 'throttled']);
    expect(wrong!.code).toBe('wrong_password');
    expect(wrong!.message).toContain('Nothing was added');
    expect(wrong!.message).not.toContain(bobKit.recoveryKey);
    expect(keyFiles(drive)).toEqual(before);
    expect(desk.services.config.get().vaults).toEqual([]);
    // A wrong key makes the next attempt wait, growing with each one: no unthrottled guessing.
    const waitNow = await desk.gate.refused('vault:openDrive', {
      path: drive,
      recoveryKey: annKit.recoveryKey,
    });
    expect(waitNow).toMatchObject({ code: 'throttled', retryAfterSeconds: 1 });
    desk.clock.jump(1000);

    // The drive's copy of ann's keys, its fields rewritten beside wraps that still open: refused.
    const envelopeFile = keyFiles(drive)
      .map((f) => path.join(drive, 'keys', f))
      .find((f) => fs.readFileSync(f, 'utf8').includes('"strongroom-envelope"'))!;
    const written = fs.readFileSync(envelopeFile);
    fs.chmodSync(envelopeFile, 0o600);
    fs.writeFileSync(
      envelopeFile,
      JSON.stringify({ ...JSON.parse(written.toString('utf8')), username: 'mallory' }),
    );
    const changed = await desk.gate.refused('vault:openDrive', {
      path: drive,
      recoveryKey: annKit.recoveryKey,
    });
    expect(changed.code).toBe('conflict');
    expect(changed.message).toContain('was changed or damaged since the app wrote it');
    expect(changed.message).toContain('Nothing was added');
    expect(keyFiles(drive)).toEqual(before);
    expect(desk.services.config.get().vaults).toEqual([]);
    // Its check deleted too: this repository's envelopes are known to carry one, so still refused.
    const { mac: _mac, ...unchecked } = JSON.parse(written.toString('utf8')) as Record<string, unknown>;
    fs.writeFileSync(envelopeFile, JSON.stringify({ ...unchecked, username: 'mallory' }));
    const stripped = await desk.gate.refused('vault:openDrive', {
      path: drive,
      recoveryKey: annKit.recoveryKey,
    });
    expect(stripped).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('Nothing was added'),
    });
    expect(keyFiles(drive)).toEqual(before);
    fs.writeFileSync(envelopeFile, written);

    const added = await desk.gate.call<VaultView>('vault:openDrive', {
      path: drive,
      recoveryKey: annKit.recoveryKey,
    });
    expect(added).toMatchObject({
      id: vault.id,
      name: 'USB backup',
      type: 'local',
      repositoryId: vault.repositoryId,
      passwordAvailable: true,
    });
    // This computer opens it with a random password of its own, kept in its keychain.
    expect(desk.secrets.entries.get(`vault:${vault.id}`)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Said to be opened with another account's key; bob's password wrap stays off its drive.
    expect(added.openedWithOtherAccountKey).toBe(true);
    expect(desk.services.config.get().vaults[0]).toMatchObject({
      passwordWrapOnDrive: false,
      openedWithOtherAccountKey: true,
    });

    // The same drive under another spelling of its path, or a copy of it: refused before any slot is added.
    const added1 = keyFiles(drive);
    const alias = await desk.gate.refused('vault:openDrive', {
      path: `/proc/self/root${drive}`,
      recoveryKey: annKit.recoveryKey,
    });
    expect(alias).toMatchObject({ code: 'conflict', message: expect.stringContaining('already uses') });
    const copy = path.join(root, 'usb-copy');
    fs.cpSync(drive, copy, { recursive: true });
    const copyKeys = keyFiles(copy);
    const again = await desk.gate.refused('vault:openDrive', { path: copy, recoveryKey: annKit.recoveryKey });
    expect(again).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('already on this computer'),
    });
    expect(keyFiles(copy)).toEqual(copyKeys);
    expect(keyFiles(drive)).toEqual(added1);

    // Restore: the file byte for byte; and the search finds it once the catalogue is built.
    const [snapshot] = await desk.services.restore.snapshots(vault.id);
    const target = path.join(desk.dir, 'restored');
    const { jobId } = await desk.gate.call<{ jobId: string }>('restore:start', {
      vaultId: vault.id,
      snapshotId: snapshot!.id,
      include: [],
      destination: { mode: 'folder', path: target },
      conflict: 'overwrite',
    });
    expect((await desk.gate.ended(jobId)).status).toBe('success');
    const restored = fs
      .readdirSync(target, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name === 'letter.bin');
    expect(restored).toHaveLength(1);
    expect(fs.readFileSync(path.join(restored[0]!.parentPath, 'letter.bin')).equals(letter)).toBe(true);
    await vi.waitFor(
      async () => {
        const found = await desk.gate.call<CatalogueSearchResult>('catalogue:search', {
          query: 'letter.bin',
          vaultId: vault.id,
        });
        expect(found.matches.map((m) => path.basename(m.path))).toContain('letter.bin');
      },
      { timeout: 60_000, interval: 250 },
    );

    // A drive carrying this account's own envelope is connected, not opened again (no slot added).
    await desk.services.directory.sync();
    await vi.waitFor(() => expect(desk.services.queue.active()).toEqual([]), {
      timeout: 60_000,
      interval: 100,
    });
    await desk.gate.call('vault:remove', { vaultId: vault.id });
    const own = keyFiles(drive);
    const mine = await desk.gate.refused('vault:openDrive', { path: drive, recoveryKey: bobKit.recoveryKey });
    expect(mine).toMatchObject({ code: 'conflict', message: expect.stringContaining('Connect the drive') });
    expect(keyFiles(drive)).toEqual(own);
  });
});
