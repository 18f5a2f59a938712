/**
 * "Strongroom account storage" vaults end to end through the IPC gate: a real account server on
 * loopback (its REST storage on disk), the real settings file, the real job history SQLite file and
 * the real engine in a forked job process, talking to the server with this device's token from the
 * (in-memory) keychain. Covers create new/existing, backup and a byte-for-byte restore, runs while
 * locked, and the failures a person must understand: another account signed in, the device token
 * revoked (401), the quota full (507), the server unreachable.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src-main/compose';
import { deviceTokenAccount } from '../../src-main/services/lock-service';
import type { AccountStorageUsage, ProtectedItemView, VaultView } from '../../src-shared/ipc-contract';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { MemorySecretStore } from './fakes';
import { composeTestServices } from './composed-services';
import { gateCalls, manualItem } from './gate-calls';

const PASSWORD = 'correct horse battery';
const VAULT_PASSWORD = 'vault password for account storage';
let server: TestAccountServer;
let tmp: string;
let services: Services;
let secrets: MemorySecretStore;
const warnings: string[] = [];

const { call, refused, ended } = gateCalls(() => services, { jobTimeoutMs: 90_000 });
const backUp = async (itemId: string) => ended(services.backup.backupNow(itemId).jobId);
const aliceToken = () => secrets.entries.get(deviceTokenAccount(server.url, 'alice'));

function filesUnder(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(root, p), fs.readFileSync(p));
    }
  };
  walk(root);
  return out;
}

beforeAll(async () => {
  server = await startTestAccountServer();
  await server.createUser('alice', PASSWORD);
  await server.createUser('bob', PASSWORD);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-account-vault-'));
  fs.mkdirSync(path.join(tmp, 'data', 'docs'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'data', 'docs', 'note.txt'), 'account storage, first version');
  fs.writeFileSync(path.join(tmp, 'data', 'random.bin'), crypto.randomBytes(700_000));
  secrets = new MemorySecretStore();
  services = composeTestServices({
    dir: tmp,
    serverUrl: server.url,
    secrets,
    deviceName: 'test-laptop',
    log: { warn: (m) => warnings.push(m) },
  });
  await call('auth:unlock', { username: 'alice', password: PASSWORD });
});
afterAll(async () => {
  services?.dispose();
  // The last test closes the server itself.
  await server?.close().catch(() => undefined);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('an account-storage vault', { timeout: 240_000 }, () => {
  let vault: VaultView;
  let item: ProtectedItemView;

  it('creates a new repository on the server, named by server and repository', async () => {
    vault = await call<VaultView>('vault:create', {
      type: 'account',
      name: 'My account storage',
      repository: 'laptop',
      mode: 'new',
      password: VAULT_PASSWORD,
      storePassword: true,
    });
    expect(vault).toMatchObject({ type: 'account', passwordStored: true, passwordAvailable: true });
    expect(vault.location).toBe(`Repository "laptop" of alice on ${server.url}`);
    const config = services.config.get().vaults[0]!;
    expect(config).toMatchObject({ type: 'account', serverUrl: server.url, username: 'alice' });
    // The server holds the repository under alice's name, encrypted: its config is not JSON.
    const account = server.server.services.accounts.byUsername('alice')!;
    expect(server.server.services.storage.listRepos(account.id).map((r) => r.name)).toEqual(['laptop']);
  });

  it('refuses a repository name that breaks the schema, naming the field', async () => {
    const bad = await refused('vault:create', {
      type: 'account',
      name: 'x',
      repository: '../etc',
      mode: 'new',
      password: VAULT_PASSWORD,
      storePassword: false,
    });
    expect(bad.code).toBe('bad_request');
    expect(bad.message).toContain('Repository name');
  });

  it('refuses "new" where a repository exists, and opens it as existing only with its password', async () => {
    await call('vault:remove', { vaultId: vault.id });
    const exists = await refused('vault:create', {
      type: 'account',
      name: 'Again',
      repository: 'laptop',
      mode: 'new',
      password: VAULT_PASSWORD,
      storePassword: false,
    });
    expect(exists).toMatchObject({ code: 'conflict' });
    expect(exists.message).toContain(
      `already a backup repository in the account storage "laptop" on ${server.url}`,
    );
    const wrong = await refused('vault:create', {
      type: 'account',
      name: 'Again',
      repository: 'laptop',
      mode: 'existing',
      password: 'not the password',
      storePassword: false,
    });
    expect(wrong).toMatchObject({ code: 'wrong_password' });
    const missing = await refused('vault:create', {
      type: 'account',
      name: 'Nothing',
      repository: 'never-made',
      mode: 'existing',
      password: VAULT_PASSWORD,
      storePassword: false,
    });
    expect(missing.message).toContain('no Strongroom backup repository in the account storage "never-made"');
    const reopened = await call<VaultView>('vault:create', {
      type: 'account',
      name: 'My account storage',
      repository: 'laptop',
      mode: 'existing',
      password: VAULT_PASSWORD,
      storePassword: true,
    });
    expect(reopened.repositoryId).toBe(vault.repositoryId);
    vault = reopened;
  });

  it('backs up through the job process to the server and restores byte for byte', async () => {
    item = await call<ProtectedItemView>(
      'item:save',
      manualItem('Documents', [path.join(tmp, 'data')], vault.id),
    );
    const job = await backUp(item.item.id);
    expect(job).toMatchObject({ status: 'success', filesDone: 2 });
    const log = services.history.log(job.id).map((e) => e.message);
    expect(log.join('\n')).toContain(`in the account storage "laptop" on ${server.url}`);
    // The token is never written to the job's log or message.
    expect(JSON.stringify({ job, log })).not.toContain(aliceToken()!);

    const target = path.join(tmp, 'restored');
    const restore = await ended(
      services.restore.restore({
        vaultId: vault.id,
        itemId: item.item.id,
        snapshotId: job.snapshotId!,
        include: [],
        destination: { mode: 'folder', path: target },
        conflict: 'overwrite',
      }).jobId,
    );
    expect(restore.status).toBe('success');
    const original = filesUnder(path.join(tmp, 'data'));
    // Into <folder>/<item name>/, relative to the item's folder.
    const restored = filesUnder(path.join(target, 'Documents'));
    expect([...restored.keys()].sort()).toEqual([...original.keys()].sort());
    for (const [name, bytes] of original) expect(restored.get(name)!.equals(bytes)).toBe(true);

    const entries = await call<{ name: string }[]>('restore:browse', {
      vaultId: vault.id,
      snapshotId: job.snapshotId,
      path: path.join(tmp, 'data'),
    });
    expect(entries.map((e) => e.name).sort()).toEqual(['docs', 'random.bin']);
  });

  it("shows the account's storage use from the server, with the device token", async () => {
    const account = server.server.services.accounts.byUsername('alice')!;
    const used = server.server.services.storage.usedBytes(account.id);
    expect(used).toBeGreaterThan(700_000);
    expect(await call('vault:storageUsage', { vaultId: vault.id })).toEqual({
      serverUrl: server.url,
      usedBytes: used,
      quotaBytes: null,
      graceDays: 30,
      deletionAlerts: [],
      panelStorageUrl: `${server.url}/#/storage`,
    });
  });

  it("carries the server's alert when the vault's key file is deleted, and only this vault's", async () => {
    const base = `${server.url}/storage/alice/laptop/keys/`;
    const auth = { authorization: `Bearer ${aliceToken()!}` };
    const listed = (await (
      await fetch(base, { headers: { ...auth, accept: 'application/vnd.x.restic.rest.v2' } })
    ).json()) as {
      name: string;
    }[];
    expect(listed.length).toBeGreaterThan(0);
    const removed = await fetch(base + listed[0]!.name, { method: 'DELETE', headers: auth });
    expect(removed.status).toBe(200);
    // Another repository of the account: its alert is not this vault's.
    const other = `${server.url}/storage/alice/elsewhere/`;
    expect((await fetch(`${other}?create=true`, { method: 'POST', headers: auth })).status).toBe(200);
    const config = { method: 'POST', headers: auth, body: 'sealed config, as far as the server knows' };
    expect((await fetch(`${other}config`, config)).status).toBe(200);
    expect((await fetch(`${other}config`, { method: 'DELETE', headers: auth })).status).toBe(200);

    const usage = await call<AccountStorageUsage>('vault:storageUsage', { vaultId: vault.id });
    expect(usage.deletionAlerts).toEqual([
      expect.objectContaining({ repository: 'laptop', kind: 'keys', deletedFiles: 1, device: 'test-laptop' }),
    ]);
    expect(usage.graceDays).toBe(30);

    // Put back, so the vault opens for the tests that follow.
    const account = server.server.services.accounts.byUsername('alice')!;
    expect(await server.server.services.storage.restore(account, 'laptop')).toBe(1);
  });

  it('writes a recovery kit with the server, username, repository, id and the rest: commands, no token', async () => {
    const file = path.join(tmp, 'kit.txt');
    await call('vault:saveRecoveryKit', {
      vaultId: vault.id,
      destinationPath: file,
      accountPassword: PASSWORD,
    });
    const kit = fs.readFileSync(file, 'utf8');
    for (const line of [
      `Server:         ${server.url}`,
      'Username:       alice',
      'Repository:     laptop',
      `Repository id:  ${vault.repositoryId}`,
      `Password:       ${VAULT_PASSWORD}`,
      `strongroom-backup --repo rest:${server.url}/storage/alice/laptop/ restore latest`,
      'STRONGROOM_STORAGE_TOKEN',
    ])
      expect(kit).toContain(line);
    expect(kit).not.toContain(aliceToken()!);
  });

  it("checks the password for a kit on this computer's own session: no panel sign-in in the account's history", async () => {
    const account = server.server.services.accounts.byUsername('alice')!;
    const before = server.server.services.audit.list(account.id).length;
    await call('vault:saveRecoveryKit', {
      vaultId: vault.id,
      destinationPath: path.join(tmp, 'kit-again.txt'),
      accountPassword: PASSWORD,
    });
    await expect(
      call('vault:saveRecoveryKit', {
        vaultId: vault.id,
        destinationPath: path.join(tmp, 'kit-wrong.txt'),
        accountPassword: 'not the password',
      }),
    ).rejects.toThrow(/invalid_credentials/);
    expect(fs.existsSync(path.join(tmp, 'kit-wrong.txt'))).toBe(false);
    const events = server.server.services.audit.list(account.id).slice(0, -before || undefined);
    // The right password adds nothing; the wrong one is a failed check from the desktop app.
    expect(events.map((e) => `${e.kind} ${e.client}`)).toEqual(['sign_in_failure desktop']);
  });

  it('runs while the app is locked, with the device token from the keychain', async () => {
    services.lock.lock('manual');
    const job = await backUp(item.item.id);
    expect(job.status).toBe('success');
    const verify = await ended(services.backup.verify(vault.id, true).jobId);
    expect(verify.status).toBe('success');
  });

  it('refuses to run while the app signs in to another account, saying which', async () => {
    services.lock.lock('manual');
    await call('auth:unlock', { username: 'bob', password: PASSWORD });
    // bob owns none of this computer's vaults: alice stays the account this computer signs in to,
    // and her account storage keeps backing up.
    expect(services.settings.remembered().username).toBe('alice');
    expect((await backUp(item.item.id)).status).toBe('success');
    // Once this computer signs in to bob (his vaults), hers refuse to run.
    services.settings.remember({ serverUrl: null, username: 'bob' });
    const job = await backUp(item.item.id);
    expect(job.status).toBe('failed');
    expect(job.message).toBe(
      `The vault "My account storage" is account storage of alice on ${server.url}, but Strongroom now ` +
        `signs in as bob on ${server.url}. Sign in as alice on ${server.url} to use it.`,
    );
    const browse = await refused('restore:snapshots', { vaultId: vault.id });
    expect(browse).toMatchObject({ code: 'conflict' });
    expect(await refused('vault:storageUsage', { vaultId: vault.id })).toMatchObject({ code: 'conflict' });
    services.lock.lock('manual');
    await call('auth:unlock', { username: 'alice', password: PASSWORD });
  });

  it('fails clearly when the server refuses the device token (revoked), and runs after the next unlock', async () => {
    const token = aliceToken()!;
    const revoked = await fetch(`${server.url}/api/device/me`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(revoked.status).toBe(204);
    const job = await backUp(item.item.id);
    expect(job).toMatchObject({ status: 'failed' });
    expect(job.message).toContain(`The account server ${server.url} refused this computer's device token`);
    expect(job.message).not.toContain(token);

    services.lock.lock('manual');
    await call('auth:unlock', { username: 'alice', password: PASSWORD });
    expect(aliceToken()).not.toBe(token);
    expect((await backUp(item.item.id)).status).toBe('success');
  });

  it('fails with "Your account storage is full" when the quota is used up (507)', async () => {
    const account = server.server.services.accounts.byUsername('alice')!;
    const storage = server.server.services.storage;
    storage.table.setQuota(account.id, storage.usedBytes(account.id) + 1000);
    fs.writeFileSync(path.join(tmp, 'data', 'more.bin'), crypto.randomBytes(300_000));
    const job = await backUp(item.item.id);
    expect(job.status).toBe('failed');
    expect(job.message).toMatch(new RegExp(`^Your account storage on ${server.url} is full`));
    storage.table.setQuota(account.id, null);
  });

  it('fails naming the server when it cannot be reached', async () => {
    const url = server.url;
    await server.close();
    const job = await backUp(item.item.id);
    expect(job.status).toBe('failed');
    expect(job.message).toMatch(new RegExp(`^Cannot reach the account server ${url}`));
  });
});
