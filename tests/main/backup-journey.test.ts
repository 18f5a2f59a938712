/**
 * The backup services end to end through the IPC gate (dispatch), as the renderer calls them:
 * real account server, real settings file, real job history SQLite file, the real engine in a
 * forked job process on temporary folders. Only the keychain is in memory here (the real keychain
 * has its own test, vault-password-keychain.test.ts).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Services } from '../../src-main/compose';
import { itemFolder, itemRoot } from '../../src-main/services/backup/restore-service';
import type { JobRecord } from '../../src-shared/backup-jobs';
import type { ProtectedItemView, VaultView } from '../../src-shared/ipc-contract';
import type { SnapshotInfo } from '../../src-shared/job-protocol';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { MemorySecretStore } from './fakes';
import { composeTestServices } from './composed-services';
import { gateCalls, manualItem } from './gate-calls';

const PASSWORD = 'correct horse battery';
const VAULT_PASSWORD = 'vault password for tests';
let server: TestAccountServer;
let tmp: string;
let services: Services;
let secrets: MemorySecretStore;
const sent: { name: string; payload: unknown }[] = [];

const { call, refused, ended } = gateCalls(() => services);

beforeAll(async () => {
  server = await startTestAccountServer();
  await server.createUser('alice', PASSWORD);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-backup-journey-'));
  fs.mkdirSync(path.join(tmp, 'data', 'docs'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'data', 'docs', 'a.txt'), 'first version');
  fs.writeFileSync(path.join(tmp, 'data', 'b.bin'), Buffer.alloc(200_000, 7));
  secrets = new MemorySecretStore();
  services = composeTestServices({
    dir: tmp,
    serverUrl: server.url,
    secrets,
    events: { send: (name, payload) => sent.push({ name, payload }) },
  });
});
afterAll(async () => {
  services.dispose();
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('backing up and restoring through the IPC gate', { timeout: 180_000 }, () => {
  let vault: VaultView;
  let item: ProtectedItemView;
  let firstJob: JobRecord;

  it('refuses the backup channels while locked', async () => {
    expect((await refused('backup:overview')).code).toBe('locked');
    await call('auth:unlock', { username: 'alice', password: PASSWORD });
    expect((await call<{ vaults: unknown[] }>('backup:overview')).vaults).toEqual([]);
  });

  it('creates a new vault (a repository through the job process), its password in the keychain', async () => {
    vault = await call<VaultView>('vault:create', {
      type: 'local',
      name: 'USB drive',
      path: path.join(tmp, 'vault'),
      mode: 'new',
      password: VAULT_PASSWORD,
      storePassword: true,
    });
    expect(vault).toMatchObject({ name: 'USB drive', passwordStored: true, passwordAvailable: true });
    expect(vault.repositoryId).toMatch(/^[0-9a-f]{16,64}$/);
    expect(secrets.entries.get(`vault:${vault.id}`)).toBe(VAULT_PASSWORD);
    expect(fs.readdirSync(path.join(tmp, 'vault')).length).toBeGreaterThan(0);
  });

  it('refuses a non-empty folder for a new vault, and a folder without a repository as existing', async () => {
    const notEmpty = await refused('vault:create', {
      type: 'local',
      name: 'x',
      path: path.join(tmp, 'data'),
      mode: 'new',
      password: 'p',
      storePassword: false,
    });
    expect(notEmpty).toMatchObject({ code: 'conflict' });
    expect(notEmpty.message).toContain('is not empty');
    const noRepo = await refused('vault:create', {
      type: 'local',
      name: 'x',
      path: path.join(tmp, 'data'),
      mode: 'existing',
      password: 'p',
      storePassword: false,
    });
    expect(noRepo.message).toContain('no Strongroom backup repository');
  });

  it('opens the existing repository with its password, and refuses a wrong one', async () => {
    // The same repository under a second vault is refused by path; copy it to open it elsewhere.
    fs.cpSync(path.join(tmp, 'vault'), path.join(tmp, 'vault-copy'), { recursive: true });
    const wrong = await refused('vault:create', {
      type: 'local',
      name: 'Copy',
      path: path.join(tmp, 'vault-copy'),
      mode: 'existing',
      password: 'not it',
      storePassword: false,
    });
    expect(wrong).toMatchObject({ code: 'wrong_password' });
    const copy = await call<VaultView>('vault:create', {
      type: 'local',
      name: 'Copy',
      path: path.join(tmp, 'vault-copy'),
      mode: 'existing',
      password: VAULT_PASSWORD,
      storePassword: false,
    });
    expect(copy).toMatchObject({
      repositoryId: vault.repositoryId,
      passwordStored: false,
      passwordAvailable: true,
    });
    expect(secrets.entries.has(`vault:${copy.id}`)).toBe(false);
    await call('vault:remove', { vaultId: copy.id });
  });

  it('saves a protected item whose folders exist, and names a folder that does not', async () => {
    const input = {
      name: 'Documents',
      paths: [path.join(tmp, 'data')],
      excludes: [],
      excludePresets: ['caches'],
      vaultId: vault.id,
      schedule: { kind: 'manual' },
      retention: { mode: 'keep-all' },
      conditions: { catchUpMissed: true, skipOnBattery: false },
    };
    const missing = path.join(tmp, 'nope');
    const bad = await refused('item:save', { ...input, paths: [missing] });
    expect(bad).toMatchObject({ code: 'bad_request' });
    expect(bad.message).toContain(missing);
    item = await call<ProtectedItemView>('item:save', input);
    expect(item).toMatchObject({ vaultName: 'USB drive', lastJob: null, nextRunAt: null });
  });

  it('refuses to remove a vault that an item uses, naming the item', async () => {
    const error = await refused('vault:remove', { vaultId: vault.id });
    expect(error).toMatchObject({ code: 'conflict' });
    expect(error.message).toContain('"Documents"');
  });

  it('backs up now: the job runs in the job process and ends Success with counts, events sent', async () => {
    const { jobId } = await call<{ jobId: string }>('job:backupNow', { itemId: item.item.id });
    firstJob = await ended(jobId);
    expect(firstJob).toMatchObject({ status: 'success', kind: 'backup', trigger: 'manual', filesDone: 2 });
    expect(firstJob.snapshotId).toMatch(/^[0-9a-f]+$/);
    expect(sent.some((e) => e.name === 'onJobChanged' && (e.payload as JobRecord).status === 'success')).toBe(
      true,
    );
    const overview = await call<{ items: ProtectedItemView[] }>('backup:overview');
    expect(overview.items[0]!.lastJob?.id).toBe(jobId);
    expect(overview.items[0]!.lastSuccessAt).not.toBeNull();
    const list = await call<JobRecord[]>('job:list', { itemId: item.item.id });
    expect(list.map((j) => j.id)).toEqual([jobId]);
  });

  it('restores the first backup of a changed file to another folder, bytes equal', async () => {
    fs.writeFileSync(path.join(tmp, 'data', 'docs', 'a.txt'), 'second version, longer');
    const second = await ended(
      (await call<{ jobId: string }>('job:backupNow', { itemId: item.item.id })).jobId,
    );
    expect(second.status).toBe('success');
    const snapshots = await call<SnapshotInfo[]>('restore:snapshots', {
      vaultId: vault.id,
      itemId: item.item.id,
    });
    expect(snapshots.map((s) => s.id)).toEqual([second.snapshotId, firstJob.snapshotId]);
    const file = path.join(tmp, 'data', 'docs', 'a.txt');
    const target = path.join(tmp, 'restored');
    const restore = await ended(
      (
        await call<{ jobId: string }>('restore:start', {
          vaultId: vault.id,
          itemId: item.item.id,
          snapshotId: firstJob.snapshotId,
          include: [file],
          destination: { mode: 'folder', path: target },
          conflict: 'keep-both',
        })
      ).jobId,
    );
    // Into <folder>/<item name>/, relative to the item's folder; the job says where they went.
    const into = path.join(target, 'Documents');
    expect(restore).toMatchObject({ status: 'success', kind: 'restore' });
    expect(restore.restored).toEqual({ target: into, keptBoth: [], keptBothCount: 0 });
    expect(restore.message).toContain(`to ${into}`);
    expect(fs.readFileSync(path.join(into, 'docs', 'a.txt'), 'utf8')).toBe('first version');

    // "Keep the full original paths": under the whole path, as restic restores by default.
    const full = await ended(
      (
        await call<{ jobId: string }>('restore:start', {
          vaultId: vault.id,
          itemId: item.item.id,
          snapshotId: firstJob.snapshotId,
          include: [file],
          destination: { mode: 'folder', path: target, keepFullPaths: true },
          conflict: 'keep-both',
        })
      ).jobId,
    );
    expect(full.restored?.target).toBe(target);
    expect(fs.readFileSync(path.join(target, file), 'utf8')).toBe('first version');

    // Keep both at the original location: the job names the file it wrote beside the one there.
    const back = await ended(
      (
        await call<{ jobId: string }>('restore:start', {
          vaultId: vault.id,
          itemId: item.item.id,
          snapshotId: firstJob.snapshotId,
          include: [file],
          destination: { mode: 'original' },
          conflict: 'keep-both',
        })
      ).jobId,
    );
    const beside = path.join(tmp, 'data', 'docs', 'a (restored).txt');
    expect(back.restored).toEqual({
      target: '/',
      keptBoth: [{ path: file, restoredAs: beside }],
      keptBothCount: 1,
    });
    expect(back.message).toBe(
      'Restored 1 file (13 B) to its original location. Restored as “a (restored).txt” beside the file that was there.',
    );
    expect(fs.readFileSync(beside, 'utf8')).toBe('first version');
    expect(fs.readFileSync(file, 'utf8')).toBe('second version, longer');
    fs.rmSync(beside);
  });

  it('names the restore folder after the item, made one safe folder name', () => {
    expect(itemFolder('/r', 'My files')).toBe('/r/My files');
    expect(itemFolder('/r', '../etc/x')).toBe('/r/.._etc_x');
    expect(itemFolder('/r', '..')).toBe('/r/Restored');
    expect(itemFolder('/r', ' a\nb ')).toBe('/r/a_b');
  });

  it("restores relative to the item's folder, or to the common parent of its paths", () => {
    expect(itemRoot([path.join(tmp, 'data')])).toBe(path.join(tmp, 'data'));
    expect(itemRoot([path.join(tmp, 'gone')])).toBe(path.join(tmp, 'gone'));
    expect(itemRoot(['/home/me/A', '/home/me/B/c'])).toBe('/home/me');
    expect(itemRoot(['/home/me/A', '/srv/x'])).toBe('/');
    fs.writeFileSync(path.join(tmp, 'one.txt'), 'x');
    expect(itemRoot([path.join(tmp, 'one.txt')])).toBe(tmp);
  });

  it('refuses, before starting, a restore folder it cannot write in or inside what the item backs up', async () => {
    const start = async (to: string) =>
      (await services.dispatch(
        'restore:start',
        {
          vaultId: vault.id,
          itemId: item.item.id,
          snapshotId: firstJob.snapshotId,
          include: [],
          destination: { mode: 'folder', path: to },
          conflict: 'keep-both',
        },
        true,
      ))!;
    const inside = await start(path.join(tmp, 'data', 'docs', 'restored here'));
    expect(inside).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(!inside.ok && inside.error.message).toContain('which "Documents" backs up');
    expect(fs.existsSync(path.join(tmp, 'data', 'docs', 'restored here'))).toBe(false);

    // A read-only disk refuses root too; where no tmpfs can be mounted, a folder without write
    // permission does (for anyone but root).
    const readOnly = path.join(tmp, 'read-only');
    fs.mkdirSync(readOnly);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', readOnly]).status === 0;
    if (!mounted) fs.chmodSync(readOnly, 0o555);
    try {
      if (!mounted && process.getuid?.() === 0) {
        console.log(
          'note: no tmpfs could be mounted and root writes anywhere: the read-only folder check is skipped',
        );
        return;
      }
      const refused = await start(path.join(readOnly, 'restored'));
      expect(refused).toMatchObject({ ok: false, error: { code: 'bad_request' } });
      expect(!refused.ok && refused.error.message).toMatch(
        /^Strongroom cannot write in .*read-only \((it is on a read-only disk|permission denied)\)\. Choose another folder\.$/,
      );
    } finally {
      if (mounted) spawnSync('umount', ['-l', readOnly]);
    }
  });

  it('saves a copy of the first version as a chosen file; refuses two files and a folder as the name', async () => {
    const file = path.join(tmp, 'data', 'docs', 'a.txt');
    const saveAs = path.join(tmp, 'a from the first backup.txt');
    const start = async (include: string[], to: string) =>
      (await services.dispatch(
        'restore:start',
        {
          vaultId: vault.id,
          itemId: item.item.id,
          snapshotId: firstJob.snapshotId,
          include,
          destination: { mode: 'copy-as', path: to },
          conflict: 'keep-both',
        },
        true,
      ))!;
    const two = await start([file, path.join(tmp, 'data', 'b.bin')], saveAs);
    expect(two).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(!two.ok && two.error.message).toContain('Save a copy as… saves one file');
    const folderAsName = await start([file], tmp);
    expect(folderAsName).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(!folderAsName.ok && folderAsName.error.message).toContain('is a folder');
    const relative = await start([file], 'a.txt');
    expect(relative).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(fs.existsSync(saveAs)).toBe(false);

    const started = await start([file], saveAs);
    if (!started.ok) throw new Error(JSON.stringify(started));
    const job = await ended((started.value as { jobId: string }).jobId);
    expect(job).toMatchObject({ status: 'success', kind: 'restore', filesDone: 1 });
    expect(job.message).toContain(`as ${saveAs}`);
    expect(fs.readFileSync(saveAs, 'utf8')).toBe('first version');
  });

  it('browses a backup one folder at a time', async () => {
    const entries = await call<{ name: string; type: string }[]>('restore:browse', {
      vaultId: vault.id,
      snapshotId: firstJob.snapshotId,
      path: path.join(tmp, 'data'),
    });
    expect(entries.map((e) => [e.name, e.type]).sort()).toEqual([
      ['b.bin', 'file'],
      ['docs', 'dir'],
    ]);
  });

  it('verifies the vault as a job in the history', async () => {
    const verify = await ended(
      (await call<{ jobId: string }>('vault:verify', { vaultId: vault.id, readData: true })).jobId,
    );
    expect(verify).toMatchObject({ kind: 'verify', status: 'success', itemId: null, vaultName: 'USB drive' });
  });

  it('removing a protected item keeps its history', async () => {
    const other = await call<ProtectedItemView>(
      'item:save',
      manualItem('Short-lived', [path.join(tmp, 'data', 'docs')], vault.id),
    );
    const job = await ended(
      (await call<{ jobId: string }>('job:backupNow', { itemId: other.item.id })).jobId,
    );
    await call('item:remove', { itemId: other.item.id });
    expect(
      (await call<{ items: ProtectedItemView[] }>('backup:overview')).items.map((i) => i.item.name),
    ).toEqual(['Documents']);
    expect((await call<JobRecord[]>('job:list', { itemId: other.item.id })).map((j) => j.id)).toEqual([
      job.id,
    ]);
    expect((await refused('job:backupNow', { itemId: other.item.id })).code).toBe('not_found');
  });

  it('locks: job events stop reaching the renderer, jobs still run', async () => {
    await call('lock:lockAndClose');
    const before = sent.length;
    const job = services.backup.backupNow(item.item.id);
    await vi.waitFor(() => expect(services.history.get(job.jobId)?.status).toBe('success'), {
      timeout: 60_000,
      interval: 100,
    });
    expect(sent.length).toBe(before);
  });
});
