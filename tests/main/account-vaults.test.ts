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
 * Each computer is the app's composed services (compose.ts): its unlock makes or unwraps the AMK
 * (AccountKeyService), which the directory and profile services take from there.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ElectronStoreSettings } from '../../src-main/adapters/electron-store-settings';
import { ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import type { Services } from '../../src-main/compose';
import { DirectoryState } from '../../src-main/services/account-vaults/directory-state';
import { deviceTokenAccount } from '../../src-main/services/lock-service';
import type { UnlockedAccountKeys } from '../../src-main/services/ports';
import { LocalFolderStorage, Repository, RestHttpStorage, restore } from '../../src-engine/index';
import {
  parseRecoveryKey,
  randomBytes,
  sealProfile,
  sealVaultRecord,
  toHex,
} from '../../src-shared/account-crypto';
import type { VaultRecord } from '../../src-shared/account-keys';
import type {
  AccountComputersView,
  AccountKeyView,
  AccountKitView,
  CatalogueSearchResult,
  DirectoryVaultView,
  ProtectedItemView,
  VaultView,
} from '../../src-shared/ipc-contract';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { bearer } from '../server/helpers';
import { desktopSignIn } from '../server/key-helpers';
import { composeTestServices } from './composed-services';
import { MemorySecretStore } from './fakes';
import { gateCalls, manualItem } from './gate-calls';

const PASSWORD = 'correct horse battery staple';

interface Computer {
  name: string;
  dir: string;
  services: Services;
  secrets: MemorySecretStore;
  /** The same settings file the services use: what this computer remembers of the directory. */
  state: DirectoryState;
  gate: ReturnType<typeof gateCalls>;
  keys(): UnlockedAccountKeys;
}

let server: TestAccountServer;
let root: string;
const computers: Computer[] = [];

async function startComputer(name: string): Promise<Computer> {
  const dir = fs.mkdtempSync(path.join(root, `${name}-`));
  const secrets = new MemorySecretStore();
  const store = new ElectronStoreSettings({ cwd: path.join(dir, 'app') });
  const services = composeTestServices({
    dir,
    serverUrl: server.url,
    secrets,
    store,
    runner: new ForkedEngineRunner(),
    deviceName: name,
  });
  const computer: Computer = {
    name,
    dir,
    services,
    secrets,
    state: new DirectoryState(store),
    gate: gateCalls(() => services, { jobTimeoutMs: 90_000 }),
    keys: () => {
      const keys = services.keys.current();
      if (!keys) throw new Error(`${name} holds no account key`);
      return keys;
    },
  };
  computers.push(computer);
  await computer.gate.call('auth:unlock', { username: 'ann', password: PASSWORD });
  return computer;
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
  for (const c of computers) c.services.dispose();
  await server?.close().catch(() => undefined);
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('a new computer gets the account’s backups back', { timeout: 240_000 }, () => {
  let a: Computer;
  let b: Computer;
  let accountVault: VaultView;
  let folderVault: VaultView;
  let docsItem: ProtectedItemView;
  let accountUid: string;
  let keyId: string;
  let aComputerId: string;
  let amk: Uint8Array;
  let recoveryKey: Uint8Array;
  let oldDrive: VaultView;
  let photosItem: ProtectedItemView;
  const source = () => path.join(a.dir, 'home');
  const note = crypto.randomBytes(300_000);
  const photo = crypto.randomBytes(200_000);

  beforeAll(async () => {
    a = await startComputer('laptop');
    ({ accountUid, keyId, computerId: aComputerId } = a.keys());
    amk = new Uint8Array(a.keys().amk);
    // The account recovery kit of the AMK this unlock made.
    recoveryKey = await parseRecoveryKey((await a.gate.call<AccountKitView>('accountKit:get')).recoveryKey);
    fs.mkdirSync(path.join(source(), 'docs'), { recursive: true });
    fs.mkdirSync(path.join(source(), 'photos'), { recursive: true });
    fs.writeFileSync(path.join(source(), 'docs', 'note.bin'), note);
    fs.writeFileSync(path.join(source(), 'photos', 'photo.bin'), photo);
  });

  it('A: a vault made with no password gets a random one, its directory row and its account slot', async () => {
    accountVault = await a.gate.call<VaultView>('vault:create', {
      type: 'account',
      name: 'Account storage',
      repository: 'laptop',
      mode: 'new',
      storePassword: true,
    });
    folderVault = await a.gate.call<VaultView>('vault:create', {
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
    await a.services.directory.sync();
    await a.services.profiles.writeOwn();

    const rows = await a.services.client.directory(server.url, a.keys().sessionToken);
    expect(rows.vaults.map((r) => r.vaultId).sort()).toEqual([accountVault.id, folderVault.id].sort());
    expect(rows.computers.map((r) => r.computerId)).toEqual([aComputerId]);
    // The server holds the record sealed: neither the password nor the name is in what it answers.
    expect(JSON.stringify(rows)).not.toContain(password!);
    expect(JSON.stringify(rows)).not.toContain('USB backup');

    // The folder repository holds an account slot of this AMK and the drive envelope (no password wrap).
    const keyFiles = fs
      .readdirSync(path.join(a.dir, 'usb', 'keys'))
      .map((f) => JSON.parse(fs.readFileSync(path.join(a.dir, 'usb', 'keys', f), 'utf8')));
    expect(keyFiles.filter((k) => k.type === 'strongroom-account').map((k) => k.keyId)).toEqual([keyId]);
    const envelopes = keyFiles.filter((k) => k.type === 'strongroom-envelope');
    expect(envelopes).toHaveLength(1);
    expect(envelopes[0]).toMatchObject({ accountUid, keyId: keyId, passwordWrap: null });
    // The account-storage repository opens with the AMK alone, and its slot holds the directory record.
    const repo = await Repository.openWithAccountKey(
      new RestHttpStorage(
        `${server.url}/storage/ann/laptop/`,
        a.secrets.entries.get(deviceTokenAccount(server.url, 'ann'))!,
      ),
      amk,
    );
    expect(await repo.readAccountMetadata(amk)).toMatchObject({
      vaultId: accountVault.id,
      name: 'Account storage',
      repositoryPassword: password,
      location: { kind: 'account', repository: 'laptop' },
    });
  });

  it('A: a rename is a new version of the row, and the slot follows it (one slot per account)', async () => {
    const before = a.state.vaultVersion(accountUid, folderVault.id);
    await a.gate.call('vault:rename', { vaultId: folderVault.id, name: 'USB drive' });
    await a.services.directory.sync();
    expect(a.state.vaultVersion(accountUid, folderVault.id)).toBe(before + 1);
    const repo = await Repository.openWithAccountKey(new LocalFolderStorage(path.join(a.dir, 'usb')), amk);
    expect((await repo.accountSlots(amk)).map((s) => s.record?.name)).toEqual(['USB drive']);
  });

  it('A: a vault made while locked joins at the next unlock with its password; removing one soft-deletes its row', async () => {
    a.services.lock.lock('manual');
    expect(a.services.keys.current()).toBeNull();
    // Without the key, a made-up password that is not kept here would be gone at the next lock.
    await expect(
      a.services.vaults.create({
        type: 'local',
        name: 'Nowhere',
        path: path.join(a.dir, 'nowhere'),
        mode: 'new',
        storePassword: false,
      }),
    ).rejects.toThrow(/enter a password of your own/);
    expect(fs.existsSync(path.join(a.dir, 'nowhere'))).toBe(false);
    const late = await a.services.vaults.create({
      type: 'local',
      name: 'Old drive',
      path: path.join(a.dir, 'old-drive'),
      mode: 'new',
      password: 'a password of my own',
      storePassword: true,
      passwordWrapOnDrive: true,
    });
    oldDrive = late;
    await a.gate.call('auth:unlock', { username: 'ann', password: PASSWORD });
    await a.services.directory.sync();
    let rows = await a.services.client.directory(server.url, a.keys().sessionToken);
    expect(rows.vaults.find((r) => r.vaultId === late.id)).toMatchObject({ version: 1, deletedAt: null });
    const { entries } = await a.services.directory.read(a.keys());
    // It joins with its current password (from the keychain), not a new one.
    expect(entries.get(late.id)?.record).toMatchObject({ repositoryPassword: 'a password of my own' });
    // Its drive envelope carries the password wrap too, as asked: an exact copy of the server's row.
    const envelope = fs
      .readdirSync(path.join(a.dir, 'old-drive', 'keys'))
      .map((f) => JSON.parse(fs.readFileSync(path.join(a.dir, 'old-drive', 'keys', f), 'utf8')))
      .find((k) => k.type === 'strongroom-envelope');
    const rowsNow = await bearer(server.url, 'GET', '/api/account/keys', a.keys().sessionToken);
    expect(envelope.passwordWrap).toEqual(rowsNow.body.passwordWrap);
    expect(envelope.recoveryWrap).toEqual(rowsNow.body.recoveryWrap);

    await a.gate.call('vault:remove', { vaultId: late.id });
    await a.services.directory.sync();
    rows = await a.services.client.directory(server.url, a.keys().sessionToken);
    expect(rows.vaults.find((r) => r.vaultId === late.id)).toMatchObject({ version: 2 });
    expect(rows.vaults.find((r) => r.vaultId === late.id)?.deletedAt).not.toBeNull();
    await a.services.profiles.writeOwn();
  });

  it('B: lists the laptop with its two vaults, neither on this computer yet', async () => {
    b = await startComputer('desktop');
    expect(b.keys().keyId).toBe(keyId);
    const view = await b.gate.call<AccountComputersView>('account:computers');
    expect(view.thisComputerId).toBe(b.keys().computerId);
    const laptop = view.computers.find((c) => c.name === 'laptop')!;
    expect(laptop).toMatchObject({
      computerId: aComputerId,
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
    expect(await b.services.profiles.offerRestore()).toBe(true);
    // The unlock said so too ("This account has backups from …").
    expect((await b.gate.call<AccountKeyView>('accountKey:status')).offerRestore).toBe(true);
    expect(b.services.directory.problems().size).toBe(0);
  });

  it('B: "Restore files" adds the account-storage vault at once and asks for the drive', async () => {
    const result = await b.gate.call<{ added: VaultView[]; needFolder: DirectoryVaultView[] }>(
      'account:addVaults',
      { vaultIds: [accountVault.id, folderVault.id] },
    );
    expect(result.added.map((v) => v.id)).toEqual([accountVault.id]);
    expect(result.added[0]).toMatchObject({
      type: 'account',
      passwordAvailable: true,
      repositoryId: accountVault.repositoryId,
    });
    expect(result.needFolder.map((v) => v.vaultId)).toEqual([folderVault.id]);

    const [snapshot] = await b.services.restore.snapshots(accountVault.id);
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
    const refused = await b.gate.refused('account:connectDrive', { vaultId: folderVault.id, path: other });
    expect(refused).toEqual({
      code: 'conflict',
      message: 'That folder holds another vault, not "USB drive".',
    });
    // Another password too (the usual case): the same words.
    const third = path.join(b.dir, 'third-usb');
    await new ForkedEngineRunner().run(
      { op: 'init', repo: { kind: 'local', path: third }, password: 'someone else' },
      { onProgress: () => {}, onLog: () => {} },
      new AbortController().signal,
    );
    expect(await b.gate.refused('account:connectDrive', { vaultId: folderVault.id, path: third })).toEqual({
      code: 'conflict',
      message: 'That folder holds another vault, not "USB drive".',
    });
    expect(b.services.config.get().vaults.map((v) => v.id)).toEqual([accountVault.id]);
  });

  it('B: connectDrive opens the drive at its folder and restores from it byte for byte', async () => {
    const added = await b.gate.call<VaultView>('account:connectDrive', {
      vaultId: folderVault.id,
      path: path.join(a.dir, 'usb'),
    });
    expect(added).toMatchObject({
      id: folderVault.id,
      type: 'local',
      repositoryId: folderVault.repositoryId,
    });
    const [snapshot] = await b.services.restore.snapshots(folderVault.id);
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
    const first = await b.gate.call<{ items: ProtectedItemView[]; missingPaths: string[] }>(
      'account:takeOver',
      {
        computerId: aComputerId,
        pathMap: [],
        revokeOld: true,
        password: PASSWORD,
      },
    );
    expect(first.items).toEqual([]);
    expect(first.missingPaths.sort()).toEqual(
      [path.join(source(), 'docs'), path.join(source(), 'photos')].sort(),
    );
    expect(b.services.config.get().items).toEqual([]);

    // Ending the laptop asks the password again: none, or a wrong one, takes and ends nothing.
    const takeOver = { computerId: aComputerId, pathMap: [{ from: source(), to: moved }], revokeOld: true };
    expect(await b.gate.refused('account:takeOver', takeOver)).toMatchObject({ code: 'bad_request' });
    expect(
      await b.gate.refused('account:takeOver', { ...takeOver, password: 'not the password' }),
    ).toMatchObject({ code: 'invalid_credentials' });
    expect(b.services.config.get().items).toEqual([]);

    const taken = await b.gate.call<{ items: ProtectedItemView[]; missingPaths: string[] }>(
      'account:takeOver',
      {
        computerId: aComputerId,
        pathMap: [{ from: source(), to: moved }],
        revokeOld: true,
        password: PASSWORD,
      },
    );
    expect(taken.missingPaths).toEqual([]);
    const items = b.services.config.get().items;
    expect(items.map((i) => i.id).sort()).toEqual([docsItem.item.id, photosItem.item.id].sort());
    const docs = items.find((i) => i.id === docsItem.item.id)!;
    expect(docs.paths).toEqual([path.join(moved, 'docs')]);
    expect(docs.schedule).toEqual({ kind: 'daily', at: '02:30' });
    expect(taken.items.map((v) => v.item.name).sort()).toEqual(['Documents', 'Photos']);

    // A is ended: its profile is a tombstone, its device is revoked.
    const rows = await b.services.client.directory(server.url, b.keys().sessionToken);
    expect(rows.computers.find((r) => r.computerId === aComputerId)?.deletedAt).not.toBeNull();
    const { devices } = await b.services.client.devices(server.url, b.keys().sessionToken);
    expect(devices.map((d) => d.computerId)).not.toContain(aComputerId);
    const aToken = a.secrets.entries.get(deviceTokenAccount(server.url, 'ann'))!;
    expect((await bearer(server.url, 'GET', '/api/device/me', aToken)).status).toBe(401);

    // Each of A's vaults was re-keyed: the password A's keychain holds opens neither any more, the new
    // one is kept here and is what the directory now holds.
    const { entries } = await b.services.directory.read(b.keys());
    for (const vault of [accountVault, folderVault]) {
      const old = (await a.secrets.get(`vault:${vault.id}`))!;
      const now = (await b.secrets.get(`vault:${vault.id}`))!;
      expect(now).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(now).not.toBe(old);
      expect(entries.get(vault.id)?.record?.repositoryPassword).toBe(now);
      const repo = await b.services.vaults.repoLocation(b.services.vaults.find(vault.id));
      const opened = await new ForkedEngineRunner().run(
        { op: 'open', repo, password: old },
        { onProgress: () => {}, onLog: () => {} },
        new AbortController().signal,
      );
      expect(opened.errorCode).toBe('WRONG_PASSWORD');
    }

    // And B backs the taken folders up into the same vaults.
    const job = await b.gate.ended(b.services.backup.backupNow(docsItem.item.id).jobId);
    expect(job.status).toBe('success');
  });

  describe('a hostile server', { timeout: 120_000 }, () => {
    let c: Computer;
    let keys: UnlockedAccountKeys;
    let record: VaultRecord;
    let vaultId: string;

    beforeAll(async () => {
      c = computers.find((x) => x.name === 'desktop')!;
      keys = c.keys();
      vaultId = c.services.config.get().vaults.find((v) => v.type === 'account')!.id;
      const { entries } = await c.services.directory.read(keys);
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
      await plant(
        stolenFor,
        await sealVaultRecord(keys.amk, record, { accountUid: keys.accountUid, version: 1 }),
      );
      const { entries } = await c.services.directory.read(keys);
      expect(entries.get(stolenFor)?.problem).toContain('does not open with this account');
      const before = c.services.config.get();
      const refused = await c.gate.refused('account:addVaults', { vaultIds: [stolenFor] });
      expect(refused.code).toBe('conflict');
      expect(refused.message).toContain("does not open with this account's key");
      expect(c.services.config.get()).toEqual(before);
    });

    it('refuses a row sealed for another account', async () => {
      const otherId = crypto.randomUUID();
      const theirs = { ...record, vaultId: otherId };
      await plant(
        otherId,
        await sealVaultRecord(keys.amk, theirs, { accountUid: toHex(randomBytes(16)), version: 1 }),
      );
      const { entries } = await c.services.directory.read(keys);
      expect(entries.get(otherId)).toMatchObject({ record: null });
      expect(entries.get(otherId)?.problem).toContain('another vault or another account');
      expect((await c.gate.refused('account:addVaults', { vaultIds: [otherId] })).message).toContain(
        'another account',
      );
    });

    it('refuses an older version of a row than this computer has seen, and writes nothing over it', async () => {
      const rows = await c.services.client.directory(server.url, keys.sessionToken);
      const row = rows.vaults.find((r) => r.vaultId === vaultId)!;
      // As if the server rolled the row back: this computer has seen a newer one.
      c.state.sawVault(keys.accountUid, vaultId, row.version + 5);
      const { entries } = await c.services.directory.read(keys);
      expect(entries.get(vaultId)?.problem).toContain(`older entry (version ${row.version})`);
      await c.gate.call('vault:rename', { vaultId, name: 'Renamed while refused' });
      await c.services.directory.sync();
      const after = await c.services.client.directory(server.url, keys.sessionToken);
      expect(after.vaults.find((r) => r.vaultId === vaultId)).toEqual(row);
      expect(c.services.directory.problems().get(vaultId)).toContain('older entry');
    });

    it('refuses a computer profile sealed for another account, and takes nothing', async () => {
      // A third computer's own row, holding a profile sealed under another account's id.
      const third = await desktopSignIn(server.url, 'ann', PASSWORD);
      const profile = {
        computerId: third.computerId,
        computerName: 'impostor',
        platform: 'linux',
        items: [],
        preferences: c.services.config.get().preferences,
        updatedAt: new Date().toISOString(),
      };
      const sealed = await sealProfile(keys.amk, profile, { accountUid: toHex(randomBytes(16)), version: 1 });
      const put = await bearer(
        server.url,
        'PUT',
        `/api/account/profiles/${third.computerId}`,
        third.sessionToken,
        {
          version: 1,
          sealed,
        },
      );
      expect(put.status).toBe(200);
      const view = await c.gate.call<AccountComputersView>('account:computers');
      expect(view.computers.map((x) => x.computerId)).not.toContain(third.computerId);
      const before = c.services.config.get();
      const refused = await c.gate.refused('account:takeOver', {
        computerId: third.computerId,
        pathMap: [],
        revokeOld: true,
        password: PASSWORD,
      });
      expect(refused).toMatchObject({ code: 'conflict' });
      expect(refused.message).toContain('does not open with this account');
      expect(c.services.config.get()).toEqual(before);
    });

    it('refuses a record whose repository id is not the repository’s, and adds nothing', async () => {
      // A record that opens (right vault id, version, account) but names another repository.
      const newId = crypto.randomUUID();
      const liar: VaultRecord = { ...record, vaultId: newId, name: 'Liar', repositoryId: 'ab'.repeat(16) };
      await plant(newId, await sealVaultRecord(keys.amk, liar, { accountUid: keys.accountUid, version: 1 }));
      const before = c.services.config.get();
      expect((await c.gate.refused('account:addVaults', { vaultIds: [newId] })).message).toMatch(
        /is another vault, not "Liar"; nothing was added/,
      );
      expect(c.services.config.get()).toEqual(before);
      expect(await c.secrets.get(`vault:${newId}`)).toBeNull();
    });
  });

  it('a folder vault opens from its repository alone (no server at all): recovery key; password where its wrap is on', async () => {
    await server.close();
    const storage = new LocalFolderStorage(path.join(a.dir, 'usb'));
    const repo = await Repository.openWithRecoveryKey(storage, recoveryKey);
    expect(repo.config.id).toBe(folderVault.repositoryId);
    const [snapshot] = await repo.listSnapshots();
    const target = path.join(root, 'no-server');
    fs.mkdirSync(target);
    await restore(repo, snapshot!.id, { target });
    expect(restoredFile(target, 'photo.bin').equals(photo)).toBe(true);

    // The USB drive's envelope has no password wrap (off by default for a server not on this computer).
    await expect(Repository.openWithAccountPassword(storage, PASSWORD)).rejects.toThrow(
      /carries the account password/,
    );
    const old = new LocalFolderStorage(path.join(a.dir, 'old-drive'));
    await expect(Repository.openWithAccountPassword(old, 'not the password')).rejects.toThrow(
      /the account password opens no drive envelope/,
    );
    expect((await Repository.openWithAccountPassword(old, PASSWORD)).config.id).toBe(oldDrive.repositoryId);
  });
});
