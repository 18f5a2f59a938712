/**
 * A vault belongs to the account it was made with (or joined while unlocked). Someone at the locked
 * app who signs in to an account of their own, on a server of their own, must get nothing of this
 * computer's vaults: no directory row (with the repository password), no account slot in the
 * repository, no profile with the items and folders. The owner's next unlock finds all in order, and
 * the vaults keep working for local backups whichever account is signed in. Real account servers on
 * loopback, the composed services through the IPC gate, the engine in forked job processes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElectronStoreSettings } from '../../src-main/adapters/electron-store-settings';
import { ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import type { Services } from '../../src-main/compose';
import type { ProtectedItemView, VaultView, AccountComputersView } from '../../src-shared/ipc-contract';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { composeTestServices } from './composed-services';
import { MemorySecretStore } from './fakes';
import { gateCalls, manualItem } from './gate-calls';

const ANN = 'ann-password-123456';
const MALLORY = 'mallory-password-123';

let home: TestAccountServer;
let other: TestAccountServer;
let root: string;
const disposers: (() => void)[] = [];

function startComputer(name: string) {
  const dir = fs.mkdtempSync(path.join(root, `${name}-`));
  const secrets = new MemorySecretStore();
  const store = new ElectronStoreSettings({ cwd: path.join(dir, 'app') });
  const services: Services = composeTestServices({
    dir,
    serverUrl: home.url,
    secrets,
    store,
    runner: new ForkedEngineRunner(),
    deviceName: name,
  });
  disposers.push(() => services.dispose());
  return { dir, store, secrets, services, gate: gateCalls(() => services, { jobTimeoutMs: 90_000 }) };
}
type Computer = ReturnType<typeof startComputer>;

/** The account key files in a folder repository: [keyId, accountUid] of each account slot. */
function accountSlots(repo: string): string[] {
  return fs
    .readdirSync(path.join(repo, 'keys'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(repo, 'keys', f), 'utf8')) as Record<string, unknown>)
    .filter((k) => k.type === 'strongroom-account' || k.type === 'strongroom-envelope')
    .map((k) => String(k.keyId));
}

async function lock(c: Computer): Promise<void> {
  await c.gate.call('lock:lockAndClose');
  await new Promise((r) => setTimeout(r, 50));
}

/** What the unlocked account's server holds: its directory rows and profiles, as this computer reads them. */
async function serverHolds(c: Computer) {
  const keys = c.services.keys.current()!;
  const { raw } = await c.services.directory.read(keys);
  return { vaults: raw.vaults.map((v) => v.vaultId), computers: raw.computers.map((p) => p.computerId) };
}

beforeAll(async () => {
  home = await startTestAccountServer();
  await home.createUser('ann', ANN);
  other = await startTestAccountServer();
  await other.createUser('mallory', MALLORY);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-vault-owner-'));
});
afterAll(async () => {
  for (const d of disposers) d();
  await home?.close().catch(() => undefined);
  await other?.close().catch(() => undefined);
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('another account signed in at this computer', { timeout: 240_000 }, () => {
  let laptop: Computer;
  let vault: VaultView;
  let itemId: string;
  let usb: string;

  beforeAll(async () => {
    laptop = startComputer('laptop');
    await laptop.gate.call('auth:unlock', { username: 'ann', password: ANN });
    usb = path.join(laptop.dir, 'usb');
    vault = await laptop.gate.call<VaultView>('vault:create', {
      type: 'local',
      name: 'USB backup',
      path: usb,
      mode: 'new',
      storePassword: true,
    });
    const src = path.join(laptop.dir, 'home');
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(path.join(src, 'secret.txt'), `tax return ${crypto.randomUUID()}`);
    itemId = (await laptop.gate.call<ProtectedItemView>('item:save', manualItem('Docs', [src], vault.id)))
      .item.id;
    await laptop.services.directory.sync();
    await laptop.services.profiles.writeOwn();
  });

  it('records the account that made the vault as its owner', () => {
    const ann = laptop.services.keys.current()!;
    const owner = laptop.services.config.get().vaults.find((v) => v.id === vault.id)?.owner;
    expect(owner).toEqual({ server: new URL(home.url).origin, accountUid: ann.accountUid });
  });

  it('gives an account on another server none of this computer’s vaults, slots or profile', async () => {
    const annSlots = accountSlots(usb);
    await lock(laptop);
    await laptop.gate.call('auth:unlock', { serverUrl: other.url, username: 'mallory', password: MALLORY });
    const mallory = laptop.services.keys.current()!;
    await laptop.services.directory.sync();
    await laptop.services.profiles.writeOwn();

    expect(await serverHolds(laptop)).toEqual({ vaults: [], computers: [] });
    expect(accountSlots(usb)).toEqual(annSlots);
    expect(accountSlots(usb)).not.toContain(mallory.keyId);
    const view = await laptop.gate.call<AccountComputersView>('account:computers');
    expect(view.vaults).toEqual([]);
    expect(view.computers.find((c) => c.isThisComputer)).toMatchObject({ vaultIds: [], itemCount: 0 });

    // Nor its recovery kit (its password), whatever her own password proves on her own server.
    const kit = path.join(laptop.dir, 'ann-kit.txt');
    expect(
      await laptop.gate.refused('vault:saveRecoveryKit', {
        vaultId: vault.id,
        destinationPath: kit,
        accountPassword: MALLORY,
      }),
    ).toMatchObject({ code: 'conflict' });
    expect(fs.existsSync(kit)).toBe(false);

    // The vault still backs up here, whoever is signed in.
    const job = await laptop.gate.ended(laptop.services.backup.backupNow(itemId).jobId);
    expect(job.status).toBe('success');
    await laptop.services.directory.sync();
    expect(await serverHolds(laptop)).toEqual({ vaults: [], computers: [] });
  });

  it('finds all in order when the owner unlocks again', async () => {
    await lock(laptop);
    await laptop.gate.call('auth:unlock', { serverUrl: home.url, username: 'ann', password: ANN });
    await laptop.services.directory.sync();
    await laptop.services.profiles.writeOwn();
    const ann = laptop.services.keys.current()!;
    expect(await serverHolds(laptop)).toEqual({ vaults: [vault.id], computers: [ann.computerId] });
    expect(accountSlots(usb)).toContain(ann.keyId);
    expect(laptop.services.directory.problems().size).toBe(0);
  });
});

describe('a vault made before vaults had owners', { timeout: 240_000 }, () => {
  /** A vault as an older version wrote it: no owner in the configuration. */
  /** The same computer started again (the same settings, keychain and folders). */
  function restart(c: Computer): Computer {
    c.services.dispose();
    const services: Services = composeTestServices({
      dir: c.dir,
      serverUrl: home.url,
      secrets: c.secrets,
      store: c.store,
      runner: new ForkedEngineRunner(),
      deviceName: 'desk',
    });
    disposers.push(() => services.dispose());
    return { ...c, services, gate: gateCalls(() => services, { jobTimeoutMs: 90_000 }) };
  }

  function forgetOwners(c: Computer): void {
    const raw = c.store.read('backup') as { vaults: Record<string, unknown>[] };
    c.store.write('backup', { ...raw, vaults: raw.vaults.map(({ owner: _, ...v }) => v) });
  }

  it('joins only the account this computer remembered when owners came, however often another unlocks', async () => {
    let desk = startComputer('desk');
    await desk.gate.call('auth:unlock', { username: 'ann', password: ANN });
    const usb = path.join(desk.dir, 'usb');
    const made = await desk.gate.call<VaultView>('vault:create', {
      type: 'local',
      name: 'Old USB',
      path: usb,
      mode: 'new',
      storePassword: true,
    });
    // Nothing of this unlock still running when the configuration is rewritten below.
    await desk.services.directory.sync();
    await desk.services.profiles.writeOwn();
    await lock(desk);
    forgetOwners(desk);
    // The version with owners starts: the vault waits for ann, the account this computer knew.
    desk = restart(desk);

    // Another account, twice in a row (the second time it is the last account signed in here).
    for (let i = 0; i < 2; i++) {
      await desk.gate.call('auth:unlock', { serverUrl: other.url, username: 'mallory', password: MALLORY });
      await desk.services.directory.sync();
      await desk.services.profiles.writeOwn();
      expect(await serverHolds(desk)).toEqual({ vaults: [], computers: [] });
      expect(desk.services.config.get().vaults[0]!.owner).toBeUndefined();
      expect(accountSlots(usb)).not.toContain(desk.services.keys.current()!.keyId);
      await lock(desk);
    }

    // ann: the vault joins her and records her as owner.
    await desk.gate.call('auth:unlock', { serverUrl: home.url, username: 'ann', password: ANN });
    await desk.services.directory.sync();
    const ann = desk.services.keys.current()!;
    expect((await serverHolds(desk)).vaults).toContain(made.id);
    expect(desk.services.config.get().vaults[0]!.owner).toEqual({
      server: new URL(home.url).origin,
      accountUid: ann.accountUid,
    });
    expect(desk.services.config.get().vaults[0]).not.toHaveProperty('pendingOwner');
    expect(accountSlots(usb)).toContain(ann.keyId);
  });

  it('gives a vault made while the key was not available only to the account of that session', async () => {
    const desk = startComputer('keyless');
    await desk.gate.call('auth:unlock', { username: 'ann', password: ANN });
    await lock(desk);
    // This computer remembers another key id than the server's: the key stays unavailable.
    const memory = desk.store.read('accountKeys') as { accounts: Record<string, { keyId: string }> };
    for (const k of Object.keys(memory.accounts)) memory.accounts[k]!.keyId = 'f'.repeat(32);
    desk.store.write('accountKeys', memory);
    await desk.gate.call('auth:unlock', { username: 'ann', password: ANN });
    expect(desk.services.keys.current()).toBeNull();
    const made = await desk.gate.call<VaultView>('vault:create', {
      type: 'local',
      name: 'New USB',
      path: path.join(desk.dir, 'usb'),
      mode: 'new',
      storePassword: true,
    });
    expect(desk.services.config.get().vaults[0]).toMatchObject({
      pendingOwner: { server: new URL(home.url).origin, username: 'ann' },
    });
    await lock(desk);
    for (let i = 0; i < 2; i++) {
      await desk.gate.call('auth:unlock', { serverUrl: other.url, username: 'mallory', password: MALLORY });
      await desk.services.directory.sync();
      expect((await serverHolds(desk)).vaults).not.toContain(made.id);
      await lock(desk);
    }
    expect(desk.services.config.get().vaults[0]!.owner).toBeUndefined();
  });

  it('does not join at a first unlock, when this computer remembered no account', async () => {
    const fresh = startComputer('fresh');
    // Made on this computer before it ever signed in (as an older version would have).
    const made = await fresh.services.vaults.create({
      type: 'local',
      name: 'Found USB',
      path: path.join(fresh.dir, 'usb'),
      mode: 'new',
      storePassword: true,
      password: 'a repository password of its own',
    });
    await fresh.gate.call('auth:unlock', { serverUrl: home.url, username: 'ann', password: ANN });
    await fresh.services.directory.sync();
    await fresh.services.profiles.writeOwn();
    expect(fresh.services.config.get().vaults[0]!.owner).toBeUndefined();
    const holds = await serverHolds(fresh);
    expect(holds.vaults).not.toContain(made.id);
    expect(holds.computers).not.toContain(fresh.services.keys.current()!.computerId);
  });
});
