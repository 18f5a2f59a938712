/**
 * The harness keeps backing up while its page is closed (locked): with the skippable test clock,
 * a daily schedule fires while locked and its job is in the history. Real services, real account
 * server, the real engine in a forked job process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHarness, type Harness } from '../../src-harness/harness';
import { SkippableClock } from '../../src-harness/skippable-clock';
import type { JobRecord } from '../../src-shared/backup-jobs';
import type { ProtectedItemView, VaultView } from '../../src-shared/ipc-contract';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { gateCalls } from './gate-calls';

const PASSWORD = 'correct horse battery';
let server: TestAccountServer;
let tmp: string;
let harness: Harness;
const clock = new SkippableClock();

const { call } = gateCalls(() => harness.services);

beforeAll(async () => {
  server = await startTestAccountServer();
  await server.createUser('alice', PASSWORD);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-harness-schedule-'));
  const rendererDir = path.join(tmp, 'renderer');
  fs.mkdirSync(path.join(rendererDir, 'desktop'), { recursive: true });
  fs.writeFileSync(path.join(rendererDir, 'desktop', 'index.html'), '<!doctype html><title>t</title>');
  fs.mkdirSync(path.join(tmp, 'data'));
  fs.writeFileSync(path.join(tmp, 'data', 'notes.txt'), 'hello');
  harness = await startHarness({
    dataDir: path.join(tmp, 'harness'),
    serverUrl: server.url,
    rendererDir,
    clock,
    log: () => undefined,
  });
});
afterAll(async () => {
  await harness.close();
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('harness with the test clock', { timeout: 180_000 }, () => {
  it('keeps its job history in the data directory', () => {
    expect(fs.existsSync(path.join(tmp, 'harness', 'jobs.sqlite'))).toBe(true);
  });

  it('runs a daily schedule while locked when the clock is skipped past its time', async () => {
    await call('auth:unlock', { username: 'alice', password: PASSWORD });
    const vault = await call<VaultView>('vault:create', {
      type: 'local',
      name: 'Disk',
      path: path.join(tmp, 'vault'),
      mode: 'new',
      password: 'vault pw',
      storePassword: false, // not kept: entered this session, forgotten at lock...
    });
    const item = await call<ProtectedItemView>('item:save', {
      name: 'Notes',
      paths: [path.join(tmp, 'data')],
      excludes: [],
      excludePresets: [],
      vaultId: vault.id,
      schedule: { kind: 'daily', at: '02:00' },
      retention: { mode: 'keep-all' },
      conditions: { catchUpMissed: true, skipOnBattery: false },
    });
    expect(item.nextRunAt).not.toBeNull();
    harness.services.lock.lockForClose();

    // ...so the scheduled run waits for the password, saying so.
    clock.skip(Date.parse(item.nextRunAt!) - clock.now() + 60_000);
    const waiting = await vi.waitFor(() => {
      const [job] = harness.services.history.list({ itemId: item.item.id });
      expect(job).toMatchObject({ trigger: 'schedule', status: 'waiting' });
      expect(job!.message).toContain('not kept on this computer');
      return job!;
    });

    // Unlocking and entering it lets the waiting run go; then a stored-password vault runs while locked.
    await call('auth:unlock', { username: 'alice', password: PASSWORD });
    await call('vault:enterPassword', { vaultId: vault.id, password: 'vault pw' });
    await vi.waitFor(() => expect(harness.services.history.get(waiting.id)?.status).toBe('success'), {
      timeout: 60_000,
      interval: 200,
    });
    harness.services.lock.lockForClose();
    const overview = harness.services.backup.overview();
    expect(overview.items[0]!.lastJob?.status).toBe('success');
  });

  it('a vault whose password is kept backs up on schedule while the app stays locked, then applies retention', async () => {
    await call('auth:unlock', { username: 'alice', password: PASSWORD });
    const vault = await call<VaultView>('vault:create', {
      type: 'local',
      name: 'Kept',
      path: path.join(tmp, 'vault-kept'),
      mode: 'new',
      password: 'vault pw',
      storePassword: true, // the harness's keychain is the real one (run under with-keyring / npm test)
    });
    const item = await call<ProtectedItemView>('item:save', {
      name: 'Notes hourly',
      paths: [path.join(tmp, 'data')],
      excludes: [],
      excludePresets: [],
      vaultId: vault.id,
      schedule: { kind: 'hourly', everyHours: 1 },
      retention: { mode: 'policy', keepLast: 1 },
      conditions: { catchUpMissed: true, skipOnBattery: false },
    });
    harness.services.lock.lockForClose();
    clock.skip(Date.parse(item.nextRunAt!) - clock.now() + 1000);
    const jobs = await vi.waitFor(
      () => {
        const list = harness.services.history.list({ itemId: item.item.id });
        // One row: the clean-up is a phase of the backup.
        expect(list.map((j) => [j.kind, j.status])).toEqual([['backup', 'success']]);
        expect(list[0]!.phases.map((p) => [p.phase, p.status])).toEqual([
          ['retention', 'success'],
          ['catalogue', 'success'],
        ]);
        return list;
      },
      { timeout: 90_000, interval: 200 },
    );
    expect(harness.services.lock.isLocked()).toBe(true);
    expect(jobs.every((j: JobRecord) => j.trigger === 'schedule')).toBe(true);
    // Leave no vault password in the keychain.
    harness.services.items.remove(item.item.id);
    await harness.services.vaults.remove(vault.id);
  });
});
