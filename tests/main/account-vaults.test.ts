/**
 * The new-computer journey against a real account server on loopback, real settings files, real job
 * history and the real engine in forked job processes, real repositories in temp folders. Computer A
 * makes an account-storage vault and a folder vault (random repository passwords), backs up; the
 * vault directory and A's profile land on the server sealed under the account master key (AMK), and
 * each repository carries its account slot (and the folder one the drive envelope). Computer B (its
 * own data folder, its own sign-in, the same AMK) lists A, adds both vaults (the folder one through
 * connectDrive), restores a file byte for byte from each and finds it in the catalogue, then takes
 * over A's items with a path map and ends A. The folder vault then opens from its repository alone
 * with the account recovery key. A hostile server's rows are refused, with nothing changed.
 *
 * The AMK is made as the app makes it (key-helpers: the real wraps, POST /api/account/keys) and
 * held by a small AccountKeyHolder around each computer's real session.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ElectronStoreSettings } from '../../src-main/adapters/electron-store-settings';
import { ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import type { Services } from '../../src-main/compose';
import { AccountClient } from '../../src-main/services/account-client';
import { ComputerProfileService } from '../../src-main/services/account-vaults/computer-profile-service';
import { DirectoryState } from '../../src-main/services/account-vaults/directory-state';
import { VaultDirectoryService } from '../../src-main/services/account-vaults/vault-directory-service';
import { deviceTokenAccount } from '../../src-main/services/lock-service';
import type { AccountKeyHolder, UnlockedAccountKeys } from '../../src-main/services/ports';
import { ServiceError } from '../../src-main/services/service-error';
import { LocalFolderStorage, Repository, restore } from '../../src-engine/index';
import { sealVaultRecord, toHex, randomBytes, unwrapAmk } from '../../src-shared/account-crypto';
import type { VaultRecord } from '../../src-shared/account-keys';
import type { CatalogueSearchResult, ProtectedItemView, VaultView } from '../../src-shared/ipc-contract';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { derivedKeys } from '../support/derived-keys';
import { bearer } from '../server/helpers';
import { createKeysBody, newKeys, type MadeKeys } from '../server/key-helpers';
import { composeTestServices } from './composed-services';
import { MemorySecretStore } from './fakes';
import { gateCalls, manualItem } from './gate-calls';

const PASSWORD = 'correct horse battery staple';

class HeldKeys implements AccountKeyHolder {
  private keys: UnlockedAccountKeys | null = null;
  private readonly listeners = new Set<(k: UnlockedAccountKeys | null) => void>();
  current() {
    return this.keys;
  }
  onChange(listener: (k: UnlockedAccountKeys | null) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(keys: UnlockedAccountKeys | null) {
    this.keys = keys;
    for (const l of this.listeners) l(keys);
  }
}

interface Computer {
  name: string;
  dir: string;
  computerId: string;
  services: Services;
  secrets: MemorySecretStore;
  holder: HeldKeys;
  state: DirectoryState;
  directory: VaultDirectoryService;
  profiles: ComputerProfileService;
  gate: ReturnType<typeof gateCalls>;
  logs: string[];
}

let server: TestAccountServer;
let root: string;
let made: MadeKeys;
let accountUid: string;
const computers: Computer[] = [];

async function startComputer(name: string): Promise<Computer> {
  const dir = fs.mkdtempSync(path.join(root, `${name}-`));
  const computerId = toHex(randomBytes(16));
  const secrets = new MemorySecretStore();
  const runner = new ForkedEngineRunner();
  const store = new ElectronStoreSettings({ cwd: path.join(dir, 'app') });
  const logs: string[] = [];
  const services = composeTestServices({
    dir,
    serverUrl: server.url,
    secrets,
    runner,
    store,
    deviceName: name,
    client: new AccountClient({ computerId }),
  });
  const holder = new HeldKeys();
  const state = new DirectoryState(store);
  const log = (m: string) => logs.push(m);
  const directory = new VaultDirectoryService({
    keys: holder,
    client: services.client,
    config: services.config,
    vaults: services.vaults,
    runner,
    state,
    hostName: name,
    serverIsLocal: () => false,
    catalogue: services.catalogue,
    log,
  });
  const profiles = new ComputerProfileService({
    keys: holder,
    client: services.client,
    config: services.config,
    directory,
    state,
    clock: { now: () => Date.now(), setTimeout: () => 0, clearTimeout: () => undefined },
    computerName: name,
    platform: process.platform,
    lastSuccessAt: (itemId) => services.history.lastSuccessAt(itemId),
    onJobEnded: (listener) => services.queue.onEnded((job) => listener(job)),
    itemView: (item) => services.backup.itemView(item),
    log,
  });
  directory.start();
  profiles.start();
  const computer: Computer = {
    name,
    dir,
    computerId,
    services,
    secrets,
    holder,
    state,
    directory,
    profiles,
    gate: gateCalls(() => services, { jobTimeoutMs: 90_000 }),
    logs,
  };
  computers.push(computer);
  await computer.gate.call('auth:unlock', { username: 'ann', password: PASSWORD });
  return computer;
}

/** The computer's session from its real unlock, and the account's AMK (made once, as the app does). */
async function holdKeys(c: Computer): Promise<void> {
  const sessionToken = await c.services.lock.withSession(async (s) => s.sessionToken);
  const rows = await bearer(server.url, 'GET', '/api/account/keys', sessionToken);
  expect(rows.status).toBe(200);
  accountUid = rows.body.accountUid;
  let amk: Uint8Array;
  if (rows.body.keyId === null) {
    made = await newKeys();
    const created = await bearer(
      server.url,
      'POST',
      '/api/account/keys',
      sessionToken,
      await createKeysBody(made, PASSWORD, { accountUid, generation: rows.body.generation }),
    );
    expect(created.status).toBe(200);
    amk = made.amk;
  } else {
    const wrap = rows.body.passwordWrap;
    const { wrapKey } = await derivedKeys(PASSWORD, wrap.kdf);
    amk = await unwrapAmk(wrap.sealed, wrapKey, {
      accountUid,
      kind: 'password',
      generation: wrap.generation,
      keyId: rows.body.keyId,
    });
  }
  c.holder.set({
    serverUrl: server.url,
    username: 'ann',
    accountUid,
    computerId: c.computerId,
    keyId: made.keyId,
    amk,
    sessionToken,
  });
}

/** Every file under `dir`, by path relative to it. */
function filesUnder(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** The one restored copy of `name` under `target`. */
function restoredFile(target: string, name: string): Buffer {
  const hits = [...filesUnder(target)].filter(([p]) => path.basename(p) === name);
  expect(hits).toHaveLength(1);
  return hits[0]![1];
}

beforeAll(async () => {
  server = await startTestAccountServer();
  await server.createUser('ann', PASSWORD);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-account-vaults-'));
});
afterAll(async () => {
  for (const c of computers) {
    c.directory.dispose();
    c.profiles.dispose();
    c.services.dispose();
  }
  await server?.close().catch(() => undefined);
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('a new computer gets the account’s backups back', { timeout: 240_000 }, () => {
  let a: Computer;
  let b: Computer;
  let accountVault: VaultView;
  let folderVault: VaultView;
  let docsItem: ProtectedItemView;
  let photosItem: ProtectedItemView;
  const source = () => path.join(a.dir, 'home');
  const note = crypto.randomBytes(300_000);
  const photo = crypto.randomBytes(200_000);

  beforeAll(async () => {
    a = await startComputer('laptop');
    await holdKeys(a);
    fs.mkdirSync(path.join(source(), 'docs'), { recursive: true });
    fs.mkdirSync(path.join(source(), 'photos'), { recursive: true });
    fs.writeFileSync(path.join(source(), 'docs', 'note.bin'), note);
    fs.writeFileSync(path.join(source(), 'photos', 'photo.bin'), photo);
  });

  it('A: a vault made with no password gets a random one, its directory row and its account slot', async () => {
    accountVault = await a.services.vaults.create({
      type: 'account',
      name: 'Account storage',
      repository: 'laptop',
      mode: 'new',
      storePassword: true,
    });
    folderVault = await a.services.vaults.create({
      type: 'local',
      name: 'USB backup',
      path: path.join(a.dir, 'usb'),
      mode: 'new',
      storePassword: true,
    });
    const password = await a.secrets.get(`vault:${accountVault.id}`);
    expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await a.secrets.get(`vault:${folderVault.id}`)).not.toBe(password);

    docsItem = await a.gate.call('item:save', {
      ...manualItem('Documents', [path.join(source(), 'docs')], accountVault.id),
      schedule: { kind: 'daily', at: '02:30' },
    });
    photosItem = await a.gate.call(
      'item:save',
      manualItem('Photos', [path.join(source(), 'photos')], folderVault.id),
    );
    for (const item of [docsItem, photosItem]) {
      const job = await a.gate.ended(a.services.backup.backupNow(item.item.id).jobId);
      expect(job.status).toBe('success');
    }
    await a.directory.sync();
    await a.profiles.writeOwn();

    const rows = await a.services.client.directory(server.url, a.holder.current()!.sessionToken);
    expect(rows.vaults.map((r) => r.vaultId).sort()).toEqual([accountVault.id, folderVault.id].sort());
    expect(rows.computers.map((r) => r.computerId)).toEqual([a.computerId]);
    // The server holds the record sealed: neither the password nor the name is in what it answers.
    expect(JSON.stringify(rows)).not.toContain(password!);
    expect(JSON.stringify(rows)).not.toContain('USB backup');

    // The folder repository holds an account slot of this AMK and the drive envelope (no password wrap).
    const keyFiles = fs
      .readdirSync(path.join(a.dir, 'usb', 'keys'))
      .map((f) => JSON.parse(fs.readFileSync(path.join(a.dir, 'usb', 'keys', f), 'utf8')));
    expect(keyFiles.filter((k) => k.type === 'strongroom-account').map((k) => k.keyId)).toEqual([made.keyId]);
    const envelopes = keyFiles.filter((k) => k.type === 'strongroom-envelope');
    expect(envelopes).toHaveLength(1);
    expect(envelopes[0]).toMatchObject({ accountUid, keyId: made.keyId, passwordWrap: null });
    // The account-storage repository opens with the AMK alone, and its slot holds the directory record.
    const repo = await Repository.openWithAccountKey(
      new (await import('../../src-engine/index')).RestHttpStorage(
        `${server.url}/storage/ann/laptop/`,
        a.secrets.entries.get(deviceTokenAccount(server.url, 'ann'))!,
      ),
      made.amk,
    );
    expect(await repo.readAccountMetadata(made.amk)).toMatchObject({
      vaultId: accountVault.id,
      name: 'Account storage',
      repositoryPassword: password,
      location: { kind: 'account', repository: 'laptop' },
    });
  });

  it('A: a rename is a new version of the row, and the slot follows it (one slot per account)', async () => {
    const before = a.state.vaultVersion(accountUid, folderVault.id);
    await a.gate.call('vault:rename', { vaultId: folderVault.id, name: 'USB drive' });
    await a.directory.sync();
    expect(a.state.vaultVersion(accountUid, folderVault.id)).toBe(before + 1);
    const repo = await Repository.openWithAccountKey(
      new LocalFolderStorage(path.join(a.dir, 'usb')),
      made.amk,
    );
    expect((await repo.accountSlots(made.amk)).map((s) => s.record?.name)).toEqual(['USB drive']);
  });

  it('A: a vault made while the key was away joins at the next unlock; removing one soft-deletes its row', async () => {
    const held = a.holder.current()!;
    a.holder.set(null);
    const late = await a.services.vaults.create({
      type: 'local',
      name: 'Old drive',
      path: path.join(a.dir, 'old-drive'),
      mode: 'new',
      password: 'a password of my own',
      storePassword: false,
    });
    await a.directory.sync();
    let rows = await a.services.client.directory(server.url, held.sessionToken);
    expect(rows.vaults.map((r) => r.vaultId)).not.toContain(late.id);

    a.holder.set(held);
    await a.directory.sync();
    rows = await a.services.client.directory(server.url, held.sessionToken);
    expect(rows.vaults.find((r) => r.vaultId === late.id)).toMatchObject({ version: 1, deletedAt: null });
    const { entries } = await a.directory.read(held);
    // It joins with its current password (held in memory here, not kept on this computer).
    expect(entries.get(late.id)?.record).toMatchObject({ repositoryPassword: 'a password of my own' });

    await a.gate.call('vault:remove', { vaultId: late.id });
    await a.directory.sync();
    rows = await a.services.client.directory(server.url, held.sessionToken);
    expect(rows.vaults.find((r) => r.vaultId === late.id)).toMatchObject({ version: 2 });
    expect(rows.vaults.find((r) => r.vaultId === late.id)?.deletedAt).not.toBeNull();
    await a.profiles.writeOwn();
  });

  it('B: lists the laptop with its two vaults, neither on this computer yet', async () => {
    b = await startComputer('desktop');
    await holdKeys(b);
    const view = await b.profiles.computers();
    expect(view.thisComputerId).toBe(b.computerId);
    const laptop = view.computers.find((c) => c.name === 'laptop')!;
    expect(laptop).toMatchObject({
      computerId: a.computerId,
      isThisComputer: false,
      itemCount: 2,
      hasProfile: true,
    });
    expect(laptop.vaultIds.sort()).toEqual([accountVault.id, folderVault.id].sort());
    expect(laptop.lastBackupAt).not.toBeNull();
    expect(view.vaults).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          vaultId: accountVault.id,
          kind: 'account',
          onThisComputer: false,
          needsFolder: false,
        }),
        expect.objectContaining({
          vaultId: folderVault.id,
          kind: 'local',
          name: 'USB drive',
          onThisComputer: false,
          needsFolder: true,
          locationHint: path.join(a.dir, 'usb'),
        }),
      ]),
    );
    expect(view.offerRestore).toBe(true);
    expect(await b.profiles.offerRestore()).toBe(true);
    expect(view.problems).toEqual([]);
  });

  it('B: "Restore files" adds the account-storage vault at once and asks for the drive', async () => {
    const result = await b.directory.addVaults([accountVault.id, folderVault.id]);
    expect(result.added.map((v) => v.id)).toEqual([accountVault.id]);
    expect(result.added[0]).toMatchObject({
      type: 'account',
      passwordAvailable: true,
      repositoryId: accountVault.repositoryId,
    });
    expect(result.needFolder.map((v) => v.vaultId)).toEqual([folderVault.id]);

    const [snapshot] = await b.services.backup.snapshots(accountVault.id);
    const target = path.join(b.dir, 'restore-account');
    const { jobId } = await b.gate.call<{ jobId: string }>('restore:start', {
      vaultId: accountVault.id,
      snapshotId: snapshot!.id,
      include: [],
      destination: { mode: 'folder', path: target },
      conflict: 'overwrite',
    });
    expect((await b.gate.ended(jobId)).status).toBe('success');
    expect(restoredFile(target, 'note.bin').equals(note)).toBe(true);

    // Find works too: the catalogue is built in the background for the added vault.
    await vi.waitFor(
      async () => {
        const found = await b.gate.call<CatalogueSearchResult>('catalogue:search', {
          query: 'note.bin',
          vaultId: accountVault.id,
        });
        expect(found.matches.map((m) => path.basename(m.path))).toContain('note.bin');
      },
      { timeout: 60_000, interval: 250 },
    );
  });

  it('B: connectDrive refuses a folder that holds another repository, with words, and adds nothing', async () => {
    const other = path.join(b.dir, 'other-usb');
    const password = (await a.secrets.get(`vault:${folderVault.id}`))!;
    // The same password, another repository: only its id tells them apart.
    const init = await new ForkedEngineRunner().run(
      { op: 'init', repo: { kind: 'local', path: other }, password },
      { onProgress: () => {}, onLog: () => {} },
      new AbortController().signal,
    );
    expect(init.status).toBe('success');
    const refused = await b.directory.connectDrive(folderVault.id, other).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ServiceError);
    expect((refused as ServiceError).message).toBe('That folder holds another vault, not "USB drive".');
    // Another password too (the usual case): the same words.
    const third = path.join(b.dir, 'third-usb');
    await new ForkedEngineRunner().run(
      { op: 'init', repo: { kind: 'local', path: third }, password: 'someone else' },
      { onProgress: () => {}, onLog: () => {} },
      new AbortController().signal,
    );
    await expect(b.directory.connectDrive(folderVault.id, third)).rejects.toThrow(
      'That folder holds another vault, not "USB drive".',
    );
    expect(b.services.config.get().vaults.map((v) => v.id)).toEqual([accountVault.id]);
  });

  it('B: connectDrive opens the drive at its folder and restores from it byte for byte', async () => {
    const added = await b.directory.connectDrive(folderVault.id, path.join(a.dir, 'usb'));
    expect(added).toMatchObject({
      id: folderVault.id,
      type: 'local',
      repositoryId: folderVault.repositoryId,
    });
    const [snapshot] = await b.services.backup.snapshots(folderVault.id);
    const target = path.join(b.dir, 'restore-usb');
    const { jobId } = await b.gate.call<{ jobId: string }>('restore:start', {
      vaultId: folderVault.id,
      snapshotId: snapshot!.id,
      include: [],
      destination: { mode: 'folder', path: target },
      conflict: 'overwrite',
    });
    expect((await b.gate.ended(jobId)).status).toBe('success');
    expect(restoredFile(target, 'photo.bin').equals(photo)).toBe(true);
  });

  it('B: takes nothing while a folder is missing here, then takes the items with a path map and ends A', async () => {
    // The laptop died: its folders are not on this computer.
    const moved = path.join(b.dir, 'home');
    fs.renameSync(source(), moved);
    const first = await b.profiles.takeOver({ computerId: a.computerId, pathMap: [], revokeOld: true });
    expect(first.items).toEqual([]);
    expect(first.missingPaths.sort()).toEqual(
      [path.join(source(), 'docs'), path.join(source(), 'photos')].sort(),
    );
    expect(b.services.config.get().items).toEqual([]);

    const taken = await b.profiles.takeOver({
      computerId: a.computerId,
      pathMap: [{ from: source(), to: moved }],
      revokeOld: true,
    });
    expect(taken.missingPaths).toEqual([]);
    const items = b.services.config.get().items;
    expect(items.map((i) => i.id).sort()).toEqual([docsItem.item.id, photosItem.item.id].sort());
    const docs = items.find((i) => i.id === docsItem.item.id)!;
    expect(docs.paths).toEqual([path.join(moved, 'docs')]);
    expect(docs.schedule).toEqual({ kind: 'daily', at: '02:30' });
    expect(taken.items.map((v) => v.item.name).sort()).toEqual(['Documents', 'Photos']);

    // A is ended: its profile is a tombstone, its device is revoked.
    const rows = await b.services.client.directory(server.url, b.holder.current()!.sessionToken);
    expect(rows.computers.find((r) => r.computerId === a.computerId)?.deletedAt).not.toBeNull();
    const { devices } = await b.services.client.devices(server.url, b.holder.current()!.sessionToken);
    expect(devices.map((d) => d.computerId)).not.toContain(a.computerId);
    const aToken = a.secrets.entries.get(deviceTokenAccount(server.url, 'ann'))!;
    expect((await bearer(server.url, 'GET', '/api/device/me', aToken)).status).toBe(401);

    // And B backs the taken folders up into the same vaults.
    const job = await b.gate.ended(b.services.backup.backupNow(docsItem.item.id).jobId);
    expect(job.status).toBe('success');
  });

  it('the folder vault opens from its repository alone with the recovery key (no server at all)', async () => {
    const storage = new LocalFolderStorage(path.join(a.dir, 'usb'));
    const repo = await Repository.openWithRecoveryKey(storage, made.recoveryKey);
    expect(repo.config.id).toBe(folderVault.repositoryId);
    const [snapshot] = await repo.listSnapshots();
    const target = path.join(root, 'no-server');
    fs.mkdirSync(target);
    await restore(repo, snapshot!.id, { target });
    expect(restoredFile(target, 'photo.bin').equals(photo)).toBe(true);
  });
});

describe('a hostile server', { timeout: 120_000 }, () => {
  let c: Computer;
  let keys: UnlockedAccountKeys;
  let record: VaultRecord;
  let vaultId: string;

  beforeAll(async () => {
    c = computers.find((x) => x.name === 'desktop')!;
    keys = c.holder.current()!;
    vaultId = c.services.config.get().vaults.find((v) => v.type === 'account')!.id;
    const { entries } = await c.directory.read(keys);
    record = entries.get(vaultId)!.record!;
  });

  /** Writes a row as a server could answer it (the routes store what they are given). */
  async function plant(id: string, sealed: string): Promise<void> {
    const rows = await c.services.client.directory(server.url, keys.sessionToken);
    const version = (rows.vaults.find((r) => r.vaultId === id)?.version ?? 0) + 1;
    await c.services.client.putDirectoryRow(server.url, keys.sessionToken, id, { version, sealed });
  }

  it('refuses a row sealed for another vault, and adds nothing', async () => {
    const stolenFor = crypto.randomUUID();
    // The account vault's record, sealed for its own id, planted under another vault's id.
    await plant(stolenFor, await sealVaultRecord(keys.amk, record, { accountUid, version: 1 }));
    const { entries } = await c.directory.read(keys);
    expect(entries.get(stolenFor)?.problem).toContain('does not open with this account');
    const before = c.services.config.get();
    await expect(c.directory.addVaults([stolenFor])).rejects.toThrow(/does not open with this account's key/);
    expect(c.services.config.get()).toEqual(before);
  });

  it('refuses a row sealed for another account', async () => {
    const otherId = crypto.randomUUID();
    const theirs = { ...record, vaultId: otherId };
    await plant(
      otherId,
      await sealVaultRecord(keys.amk, theirs, { accountUid: toHex(randomBytes(16)), version: 1 }),
    );
    const { entries } = await c.directory.read(keys);
    expect(entries.get(otherId)).toMatchObject({ record: null });
    expect(entries.get(otherId)?.problem).toContain('another vault or another account');
    await expect(c.directory.addVaults([otherId])).rejects.toThrow(/another account/);
  });

  it('refuses an older version of a row than this computer has seen, and writes nothing over it', async () => {
    const rows = await c.services.client.directory(server.url, keys.sessionToken);
    const row = rows.vaults.find((r) => r.vaultId === vaultId)!;
    // As if the server rolled the row back: this computer has seen a newer one.
    c.state.sawVault(accountUid, vaultId, row.version + 5);
    const { entries } = await c.directory.read(keys);
    expect(entries.get(vaultId)?.problem).toContain(`older entry (version ${row.version})`);
    await c.gate.call('vault:rename', { vaultId, name: 'Renamed while refused' });
    await c.directory.sync();
    const after = await c.services.client.directory(server.url, keys.sessionToken);
    expect(after.vaults.find((r) => r.vaultId === vaultId)).toEqual(row);
    expect(c.directory.problems().get(vaultId)).toContain('older entry');
  });

  it('refuses a record whose repository id is not the repository’s, and adds nothing', async () => {
    // A record that opens (right vault id, version, account) but names another repository.
    const newId = crypto.randomUUID();
    const liar: VaultRecord = { ...record, vaultId: newId, name: 'Liar', repositoryId: 'ab'.repeat(16) };
    await plant(newId, await sealVaultRecord(keys.amk, liar, { accountUid, version: 1 }));
    const before = c.services.config.get();
    await expect(c.directory.addVaults([newId])).rejects.toThrow(
      /is another vault, not "Liar"; nothing was added/,
    );
    expect(c.services.config.get()).toEqual(before);
    expect(await c.secrets.get(`vault:${newId}`)).toBeNull();
  });
});
