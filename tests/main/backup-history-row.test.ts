/**
 * One backup, one row in the History, through the IPC gate, the real queue, the real job history file
 * and the engine in a forked job process: the clean-up of old backups and the search-index update are
 * phases of the backup's row (their log lines in its log), with the new / changed / unchanged counts;
 * a phase that fails leaves the backup saved and the row says Warning, naming the phase and why.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogueFileFor } from '../../src-main/catalogue/catalogue-file';
import type { Services } from '../../src-main/compose';
import type { JobLogEntry, JobRecord } from '../../src-shared/backup-jobs';
import type { CatalogueSearchResult, ProtectedItemView, VaultView } from '../../src-shared/ipc-contract';
import type { SnapshotInfo } from '../../src-shared/job-protocol';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { composeTestServices } from './composed-services';
import { MemorySecretStore } from './fakes';
import { gateCalls, manualItem } from './gate-calls';

const PASSWORD = 'correct horse battery';
let server: TestAccountServer;
let tmp: string;
let services: Services;

const { call, ended } = gateCalls(() => services);

beforeAll(async () => {
  server = await startTestAccountServer();
  await server.createUser('alice', PASSWORD);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-history-row-'));
  fs.mkdirSync(path.join(tmp, 'data', 'docs'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'data', 'docs', 'a.txt'), 'first version');
  fs.writeFileSync(path.join(tmp, 'data', 'docs', 'b.txt'), 'never changes');
  services = composeTestServices({ dir: tmp, serverUrl: server.url, secrets: new MemorySecretStore() });
  await call('auth:unlock', { username: 'alice', password: PASSWORD });
});
afterAll(async () => {
  services?.dispose();
  await server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('a backup in the History', { timeout: 180_000 }, () => {
  let vault: VaultView;
  let item: ProtectedItemView;

  const backUp = async () =>
    ended((await call<{ jobId: string }>('job:backupNow', { itemId: item.item.id })).jobId);
  const log = async (jobId: string) => (await call<{ log: JobLogEntry[] }>('job:get', { jobId })).log;

  it('is one row holding its clean-up and search-index phases, its counts and their log', async () => {
    vault = await call<VaultView>('vault:create', {
      type: 'local',
      name: 'USB drive',
      path: path.join(tmp, 'vault'),
      mode: 'new',
      password: 'vault password for tests',
      storePassword: true,
    });
    item = await call<ProtectedItemView>('item:save', {
      ...manualItem('Documents', [path.join(tmp, 'data')], vault.id),
      retention: { mode: 'policy', keepLast: 1 },
    });

    const first = await backUp();
    fs.writeFileSync(path.join(tmp, 'data', 'docs', 'a.txt'), 'second version, longer');
    fs.writeFileSync(path.join(tmp, 'data', 'docs', 'c.txt'), 'a new file');
    const second = await backUp();

    // Two backups, two rows: no clean-up row, no catalogue row.
    const rows = await call<JobRecord[]>('job:list', {});
    expect(rows.map((j) => [j.kind, j.id])).toEqual([
      ['backup', second.id],
      ['backup', first.id],
    ]);
    expect(second).toMatchObject({
      status: 'success',
      filesDone: 3,
      filesNew: 1,
      filesChanged: 1,
      filesUnmodified: 1,
      phases: [
        { phase: 'retention', status: 'success', message: expect.stringContaining('removed 1 backup') },
        { phase: 'catalogue', status: 'success', message: expect.stringContaining('Search index updated') },
      ],
    });
    expect(first).toMatchObject({ filesNew: 2, filesChanged: 0, filesUnmodified: 0 });
    const lines = (await log(second.id)).map((l) => l.message);
    expect(lines.some((m) => m.startsWith('Backed up 3 files'))).toBe(true);
    expect(lines.some((m) => m.startsWith('Retention: removed 1 backup'))).toBe(true);
    expect(lines.some((m) => m.startsWith('Search index updated'))).toBe(true);

    // The clean-up did its work, and the search index knows the new backup.
    const snapshots = await call<SnapshotInfo[]>('restore:snapshots', { vaultId: vault.id });
    expect(snapshots.map((s) => s.id)).toEqual([second.snapshotId]);
    const found = await call<CatalogueSearchResult>('catalogue:search', { query: 'c.txt' });
    expect(found.matches.map((m) => m.path)).toEqual([path.join(tmp, 'data', 'docs', 'c.txt')]);
    expect((await call<{ state: string }[]>('catalogue:status'))[0]).toMatchObject({ state: 'ready' });
  });

  it('a search-index phase that fails leaves the backup saved: Warning, naming the phase and why', async () => {
    // Something that is not a catalogue where the catalogue goes: the phase cannot open it.
    const file = catalogueFileFor(path.join(tmp, 'app'), vault.id);
    fs.rmSync(file, { force: true });
    fs.mkdirSync(file);
    fs.writeFileSync(path.join(tmp, 'data', 'docs', 'd.txt'), 'one more');
    const job = await backUp();
    expect(job.status).toBe('warning');
    expect(job.snapshotId).toMatch(/^[0-9a-f]{64}$/);
    expect(job.phases).toEqual([
      { phase: 'retention', status: 'success', message: expect.any(String) },
      {
        phase: 'catalogue',
        status: 'failed',
        message: expect.stringMatching(/^The search index update failed: /),
      },
    ]);
    expect(job.message).toMatch(/^Backed up 4 files .* The search index update failed: /);
    expect((await call<JobRecord[]>('job:list', {})).filter((j) => j.kind !== 'backup')).toEqual([]);
  });
});
