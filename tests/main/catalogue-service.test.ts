/**
 * The file catalogue through the IPC gate, as the Restore page calls it: real account server, real
 * settings and job history files, the real engine in forked job processes, catalogue files in the
 * app's data directory. Catalogue updates are queued by themselves (after backups, at unlock for
 * vaults never catalogued, and as a rebuild when main finds a catalogue damaged).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Services } from '../../src-main/compose';
import { catalogueFileFor } from '../../src-main/catalogue/catalogue-file';
import type { JobRecord } from '../../src-shared/backup-jobs';
import type {
  CatalogueSearchResult,
  CatalogueStatus,
  FileVersions,
  ProtectedItemView,
  SnapshotDiff,
  VaultView,
} from '../../src-shared/ipc-contract';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { MemorySecretStore } from './fakes';
import { composeTestServices } from './composed-services';
import { gateCalls, manualItem } from './gate-calls';

const PASSWORD = 'correct horse battery';
const VAULT_PASSWORD = 'vault password for tests';
let server: TestAccountServer;
let tmp: string;
let services: Services;
const secrets = new MemorySecretStore();
/** The catalogue worker's test gate (CatalogueWorkerData): [0] 1 = queries run; [1] = queries held. */
const gate = new Int32Array(new SharedArrayBuffer(8));
gate[0] = 1;
const workers: Worker[] = [];
const holdQueries = () => Atomics.store(gate, 0, 0);
const releaseQueries = () => {
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
};

function compose(): Services {
  return composeTestServices({
    dir: tmp,
    serverUrl: server.url,
    secrets,
    catalogueWorker: { gate: gate.buffer as SharedArrayBuffer, onSpawn: (w) => workers.push(w) },
  });
}
const { call, refused, ended } = gateCalls(() => services);
/** Waits until the vault's catalogue is up to date (by a backup's phase, or update jobs queued by themselves). */
async function catalogueReady(vaultId: string): Promise<CatalogueStatus> {
  let status: CatalogueStatus | undefined;
  await vi.waitFor(
    async () => {
      status = (await call<CatalogueStatus[]>('catalogue:status')).find((s) => s.vaultId === vaultId);
      expect(status).toMatchObject({ state: 'ready', jobId: null });
    },
    { timeout: 60_000, interval: 100 },
  );
  return status!;
}

beforeAll(async () => {
  server = await startTestAccountServer();
  await server.createUser('alice', PASSWORD);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-catalogue-service-'));
  fs.mkdirSync(path.join(tmp, 'data', 'taxes', '2025'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'data', 'taxes', '2025', 'Return.pdf'), 'first draft');
  fs.writeFileSync(path.join(tmp, 'data', 'notes.txt'), 'notes');
  services = compose();
});
afterAll(async () => {
  services.dispose();
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 10 });
});

describe('finding files in every backup through the IPC gate', { timeout: 240_000 }, () => {
  let vault: VaultView;
  let item: ProtectedItemView;
  const snapshots: string[] = [];

  it('refuses the catalogue while locked', async () => {
    expect((await refused('catalogue:search', { query: 'x' })).code).toBe('locked');
    expect((await refused('catalogue:status')).code).toBe('locked');
    await call('auth:unlock', { username: 'alice', password: PASSWORD });
    expect(await call('catalogue:status')).toEqual([]);
  });

  it('catalogues a vault in each backup, as its last phase, and finds its files', async () => {
    vault = await call<VaultView>('vault:create', {
      type: 'local',
      name: 'USB drive',
      path: path.join(tmp, 'vault'),
      mode: 'new',
      password: VAULT_PASSWORD,
      storePassword: true,
    });
    expect(await call('catalogue:status')).toEqual([
      { vaultId: vault.id, snapshots: 0, updatedAt: null, state: 'missing', jobId: null },
    ]);
    item = await call<ProtectedItemView>(
      'item:save',
      manualItem('Papers', [path.join(tmp, 'data')], vault.id),
    );
    for (const content of [null, 'second draft, longer']) {
      if (content) fs.writeFileSync(path.join(tmp, 'data', 'taxes', '2025', 'Return.pdf'), content);
      const job = await ended(
        (await call<{ jobId: string }>('job:backupNow', { itemId: item.item.id })).jobId,
      );
      expect(job.status).toBe('success');
      // The update is the backup's own last phase: no job of its own.
      expect(job.phases).toEqual([
        { phase: 'catalogue', status: 'success', message: expect.stringContaining('Search index updated') },
      ]);
      snapshots.push(job.snapshotId!);
      expect((await catalogueReady(vault.id)).snapshots).toBe(snapshots.length);
    }
    expect(await call<JobRecord[]>('job:list', { kind: 'catalogue' })).toEqual([]);
    expect(fs.statSync(catalogueFileFor(path.join(tmp, 'app'), vault.id)).mode & 0o777).toBe(0o600);

    const found = await call<CatalogueSearchResult>('catalogue:search', { query: 'taxes/2025/*.PDF' });
    expect(found).toEqual({
      matches: [
        {
          vaultId: vault.id,
          vaultName: 'USB drive',
          itemId: item.item.id,
          itemName: 'Papers',
          path: path.join(tmp, 'data', 'taxes', '2025', 'Return.pdf'),
          type: 'file',
          versionCount: 2,
          lastSeen: { id: snapshots[1], time: expect.any(String) },
          inLatest: true,
        },
      ],
      truncated: false,
      incompleteVaults: [],
    });
    const inVault = await call<CatalogueSearchResult>('catalogue:search', {
      query: 'e',
      vaultId: vault.id,
      limit: 1,
    });
    expect(inVault).toMatchObject({ truncated: true, matches: [{ vaultId: vault.id }] });
  });

  it('answers versions and what changed', async () => {
    const file = path.join(tmp, 'data', 'taxes', '2025', 'Return.pdf');
    const v = await call<FileVersions>('catalogue:versions', {
      vaultId: vault.id,
      itemId: item.item.id,
      path: file,
    });
    expect(v.versions.map((x) => [x.size, x.backupCount])).toEqual([
      [11, 1],
      [20, 1],
    ]);
    const diff = await call<SnapshotDiff>('catalogue:diff', {
      vaultId: vault.id,
      fromSnapshotId: snapshots[0],
      toSnapshotId: snapshots[1],
    });
    expect(diff.modified.map((e) => e.path)).toEqual([file]);
    expect(diff.totals).toEqual({ added: 0, removed: 0, modified: 1 });
    expect(
      await refused('catalogue:diff', {
        vaultId: vault.id,
        fromSnapshotId: 'deadbeef',
        toSnapshotId: snapshots[1],
      }),
    ).toMatchObject({ code: 'not_found' });
    expect(
      await refused('catalogue:versions', { vaultId: 'no-such-vault', itemId: null, path: '/x' }),
    ).toMatchObject({
      code: 'not_found',
    });
  });

  it('answers other calls while a catalogue query runs in its worker thread', async () => {
    const file = path.join(tmp, 'data', 'taxes', '2025', 'Return.pdf');
    holdQueries();
    let settled = false;
    const diff = call<SnapshotDiff>('catalogue:diff', {
      vaultId: vault.id,
      fromSnapshotId: snapshots[0],
      toSnapshotId: snapshots[1],
    }).finally(() => {
      settled = true;
    });
    try {
      // The worker's thread is blocked inside the query; main still answers the lock and the jobs.
      await vi.waitFor(() => expect(Atomics.load(gate, 1)).toBe(1), { timeout: 30_000, interval: 10 });
      expect(await call('lock:status')).toMatchObject({ locked: false });
      expect(await call<JobRecord[]>('job:list', { kind: 'backup' })).toHaveLength(2);
      expect(settled).toBe(false);
    } finally {
      releaseQueries();
    }
    expect((await diff).modified.map((e) => e.path)).toEqual([file]);
  });

  it('fails a query clearly when its worker dies, not as a damaged catalogue; the next one works', async () => {
    holdQueries();
    const search = refused('catalogue:search', { query: 'Return' });
    try {
      await vi.waitFor(() => expect(Atomics.load(gate, 1)).toBe(1), { timeout: 30_000, interval: 10 });
      await workers.at(-1)!.terminate();
      expect(await search).toMatchObject({
        code: 'internal',
        message: expect.stringMatching(/search index stopped before answering/),
      });
    } finally {
      releaseQueries();
    }
    const started = workers.length;
    expect((await call<CatalogueStatus[]>('catalogue:status'))[0]).toMatchObject({ state: 'ready' });
    expect((await call<CatalogueSearchResult>('catalogue:search', { query: 'Return' })).matches).toHaveLength(
      1,
    );
    expect(workers).toHaveLength(started + 1);
  });

  it('rebuilds on request, as a job, with the same answers', async () => {
    const before = await call<CatalogueSearchResult>('catalogue:search', { query: '*' });
    const { jobId } = await call<{ jobId: string }>('catalogue:update', { vaultId: vault.id, rebuild: true });
    expect(await ended(jobId)).toMatchObject({ kind: 'catalogue', status: 'success' });
    expect(await call('catalogue:search', { query: '*' })).toEqual(before);
  });

  it('catalogues a vault without a catalogue at unlock, and rebuilds one found damaged', async () => {
    const file = catalogueFileFor(path.join(tmp, 'app'), vault.id);
    const before = await call<CatalogueSearchResult>('catalogue:search', { query: '*' });
    // Restart without the catalogue: the unlock queues it.
    services.dispose();
    fs.rmSync(file);
    services = compose();
    await call('auth:unlock', { username: 'alice', password: PASSWORD });
    expect((await catalogueReady(vault.id)).snapshots).toBe(2);
    expect(await call('catalogue:search', { query: '*' })).toEqual(before);

    // Restart with garbage in it: never read; a rebuild is queued and then answers again.
    services.dispose();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    fs.writeFileSync(file, Buffer.alloc(4096, 0xa5));
    services = compose();
    await call('auth:unlock', { username: 'alice', password: PASSWORD });
    const during = await call<CatalogueSearchResult>('catalogue:search', { query: '*' });
    expect(during).toEqual({ matches: [], truncated: false, incompleteVaults: [vault.id] });
    const status = (await call<CatalogueStatus[]>('catalogue:status'))[0]!;
    expect(status.state).toBe('damaged');
    expect(status.jobId).not.toBeNull();
    await catalogueReady(vault.id);
    expect(await call('catalogue:search', { query: '*' })).toEqual(before);
  });

  it('rebuilds a catalogue of another version at unlock without calling it damaged', async () => {
    const file = catalogueFileFor(path.join(tmp, 'app'), vault.id);
    const before = await call<CatalogueSearchResult>('catalogue:search', { query: '*' });
    // As every catalogue is after an update that changes its tables: sound, but schema 2.
    services.dispose();
    const old = new Database(file);
    old.pragma('user_version = 2');
    old.close();
    services = compose();
    await call('auth:unlock', { username: 'alice', password: PASSWORD });
    const status = (await call<CatalogueStatus[]>('catalogue:status'))[0]!;
    expect(status.state).not.toBe('damaged');
    await catalogueReady(vault.id);
    expect(await call('catalogue:search', { query: '*' })).toEqual(before);
    const [rebuilt] = await call<JobRecord[]>('job:list', { kind: 'catalogue', limit: 1 });
    expect(rebuilt).toMatchObject({ status: 'success' });
    const { log } = await call<{ log: { message: string }[] }>('job:get', { jobId: rebuilt!.id });
    expect(log.map((l) => l.message).join('\n')).toMatch(/made by another version of Strongroom/);
  });

  it('never answers from a catalogue deleted under an open reader', async () => {
    const file = catalogueFileFor(path.join(tmp, 'app'), vault.id);
    expect((await call<CatalogueSearchResult>('catalogue:search', { query: '*' })).matches).not.toEqual([]);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    const after = await call<CatalogueSearchResult>('catalogue:search', { query: '*' });
    expect(after).toEqual({ matches: [], truncated: false, incompleteVaults: [vault.id] });
    const { jobId } = await call<{ jobId: string }>('catalogue:update', {
      vaultId: vault.id,
      rebuild: false,
    });
    expect(await ended(jobId)).toMatchObject({ kind: 'catalogue', status: 'success' });
    expect((await call<CatalogueSearchResult>('catalogue:search', { query: '*' })).matches).not.toEqual([]);
  });

  it('deletes the catalogue with the vault', async () => {
    const file = catalogueFileFor(path.join(tmp, 'app'), vault.id);
    expect(fs.existsSync(file)).toBe(true);
    await call('item:remove', { itemId: item.item.id });
    await call('vault:remove', { vaultId: vault.id });
    expect(fs.readdirSync(path.join(tmp, 'app')).filter((n) => n.startsWith('catalogue-'))).toEqual([]);
    expect(await call('catalogue:status')).toEqual([]);
  });
});
