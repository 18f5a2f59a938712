/**
 * Notifications (failure always, skipped scheduled runs, success only when asked, stale items once)
 * and the background presence (tray status line, quit asks while a job runs, login item default),
 * on a real job history file with the injected clock.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BackgroundPresence } from '../../src-main/services/backup/background-presence';
import { BackupConfigStore } from '../../src-main/services/backup/backup-config-store';
import { BackupNotifier, STALE_CHECK_MS } from '../../src-main/services/backup/backup-notifier';
import type { EngineRunner } from '../../src-main/services/backup/engine-runner';
import { emptyOutcome } from '../../src-shared/job-protocol';
import { JobHistoryStore } from '../../src-main/services/backup/job-history-store';
import { JobQueue } from '../../src-main/services/backup/job-queue';
import type { TrayMenu } from '../../src-main/services/ports';
import type { EMPTY_BACKUP_CONFIG } from '../../src-shared/backup-config';
import { type ProtectedItem } from '../../src-shared/backup-config';
import type { JobRecord } from '../../src-shared/backup-jobs';
import type { StorageDeletionAlert } from '../../src-shared/http-api';
import type { JobOutcome } from '../../src-shared/job-protocol';
import { ManualClock, MemorySettingsStore } from './fakes';

const DAY = 24 * 3_600_000;
let dir: string;
let clock: ManualClock;
let history: JobHistoryStore;
let config: BackupConfigStore;
let notes: { title: string; body: string }[];

function item(extra: Partial<ProtectedItem> = {}): ProtectedItem {
  return {
    id: 'item-000001',
    name: 'Documents',
    paths: ['/home/me/Documents'],
    excludes: [],
    excludePresets: [],
    vaultId: 'vault-000001',
    schedule: { kind: 'daily', at: '02:00' },
    retention: { mode: 'keep-all' },
    conditions: { catchUpMissed: true, skipOnBattery: false },
    createdAt: new Date(clock.now()).toISOString(),
    ...extra,
  };
}
function configure(items: ProtectedItem[], prefs: Partial<typeof EMPTY_BACKUP_CONFIG.preferences> = {}) {
  config.update((c) => {
    c.vaults = [
      {
        id: 'vault-000001',
        type: 'local',
        name: 'USB',
        path: '/media/usb',
        repositoryId: 'ab'.repeat(16),
        passwordStored: true,
        createdAt: new Date(clock.now()).toISOString(),
      },
    ];
    c.items = items;
    c.preferences = { ...c.preferences, ...prefs };
  });
}
function ended(status: JobRecord['status'], extra: Partial<JobRecord> = {}): JobRecord {
  return {
    id: `job-${Math.random().toString(16).slice(2, 10)}`,
    kind: 'backup',
    itemId: 'item-000001',
    vaultId: 'vault-000001',
    itemName: 'Documents',
    vaultName: 'USB',
    trigger: 'schedule',
    status,
    queuedAt: new Date(clock.now()).toISOString(),
    startedAt: null,
    endedAt: new Date(clock.now()).toISOString(),
    message: 'The vault folder is not reachable.',
    snapshotId: null,
    filesTotal: 0,
    filesDone: 0,
    filesFailed: 0,
    bytesTotal: 0,
    bytesDone: 0,
    bytesAdded: 0,
    filesNew: null,
    filesChanged: null,
    filesUnmodified: null,
    phases: [],
    restored: null,
    ...extra,
  };
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-notifier-'));
  clock = new ManualClock();
  history = new JobHistoryStore(path.join(dir, 'jobs.sqlite'), () => clock.now());
  config = new BackupConfigStore(new MemorySettingsStore());
  notes = [];
});
afterEach(() => {
  history.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('BackupNotifier', () => {
  it('always tells about a failure and a skipped scheduled run; success only when asked', () => {
    configure([item()]);
    const n = new BackupNotifier({ notifier: { notify: (x) => notes.push(x) }, config, history, clock });
    n.jobChanged(ended('running'));
    n.jobChanged(ended('failed'));
    n.jobChanged(ended('skipped', { message: 'Skipped: this computer was running on battery.' }));
    n.jobChanged(ended('skipped', { trigger: 'manual' }));
    n.jobChanged(ended('success'));
    expect(notes.map((x) => x.title)).toEqual([
      'Backup of "Documents" failed',
      'Backup of "Documents" did not run',
    ]);
    expect(notes[0]!.body).toBe('The vault folder is not reachable.');
    configure([item()], { notifyOnSuccess: true });
    n.jobChanged(ended('success', { message: 'Backed up 3 files.' }));
    expect(notes.at(-1)).toEqual({ title: 'Backup of "Documents" finished', body: 'Backed up 3 files.' });
  });

  it('warns once when an item has had no successful backup for longer than the threshold', () => {
    configure([item()]);
    const n = new BackupNotifier({ notifier: { notify: (x) => notes.push(x) }, config, history, clock });
    n.start();
    clock.advance(3 * DAY);
    expect(notes).toEqual([]);
    clock.advance(STALE_CHECK_MS);
    expect(notes.map((x) => x.title)).toEqual(['"Documents" has not been backed up for 3 days']);
    clock.advance(5 * STALE_CHECK_MS);
    expect(notes).toHaveLength(1);
    // A success ends the episode; the next stale spell warns again.
    const ok = ended('success');
    history.insert(ok);
    n.jobChanged(ok);
    clock.advance(3 * DAY + STALE_CHECK_MS);
    expect(notes).toHaveLength(2);
    n.stop();
  });

  it("tells once of each deletion alert of an account-storage vault raised since the vault's previous job", async () => {
    config.update((c) => {
      c.vaults = [
        {
          id: 'vault-000002',
          type: 'account',
          name: 'Cloud',
          serverUrl: 'https://accounts.example',
          username: 'ada',
          repository: 'laptop',
          repositoryId: 'cd'.repeat(16),
          passwordStored: true,
          createdAt: new Date(clock.now()).toISOString(),
        },
      ];
    });
    const alert = (kind: StorageDeletionAlert['kind'], at: number): StorageDeletionAlert => ({
      repository: 'laptop',
      at: new Date(at).toISOString(),
      kind,
      deletedBytes: 400,
      repositoryBytes: 9000,
      deletedFiles: 1,
      repositoryFiles: 1,
      device: 'stolen',
    });
    let alerts = [alert('keys', clock.now() - DAY)];
    const asked: string[] = [];
    const n = new BackupNotifier({
      notifier: { notify: (x) => notes.push(x) },
      config,
      history,
      clock,
      deletionAlerts: (vaultId) => {
        asked.push(vaultId);
        return Promise.resolve(alerts);
      },
    });
    const onCloud = (extra: Partial<JobRecord> = {}) =>
      ended('success', { vaultId: 'vault-000002', vaultName: 'Cloud', ...extra });

    // The first job of the vault: the standing alert is told of.
    const first = onCloud();
    history.insert(first);
    await n.checkDeletionAlerts(first);
    expect(notes).toEqual([
      {
        title: 'Files of the vault "Cloud" were deleted on the server',
        body: 'If this was not you, restore them in the web panel’s Storage page. Backups in Strongroom says which.',
      },
    ]);
    // The next job: nothing new, nothing told (neither in this run nor after a restart).
    clock.advance(DAY);
    const second = onCloud();
    history.insert(second);
    await n.checkDeletionAlerts(second);
    const restarted = new BackupNotifier({
      notifier: { notify: (x) => notes.push(x) },
      config,
      history,
      clock,
      deletionAlerts: () => Promise.resolve(alerts),
    });
    await restarted.checkDeletionAlerts(second);
    expect(notes).toHaveLength(1);
    // A new alert after it: told once.
    clock.advance(3_600_000);
    alerts = [alert('snapshots', clock.now()), ...alerts];
    const third = onCloud({ kind: 'retention' });
    history.insert(third);
    n.jobChanged(third);
    await vi.waitFor(() => expect(notes).toHaveLength(2));
    await n.checkDeletionAlerts(third);
    expect(notes).toHaveLength(2);
    // A folder vault's jobs never ask the server; a failure to ask tells nothing.
    n.jobChanged(ended('success'));
    expect(asked).toEqual(['vault-000002', 'vault-000002', 'vault-000002', 'vault-000002']);
    const unreachable = new BackupNotifier({
      notifier: { notify: (x) => notes.push(x) },
      config,
      history,
      clock,
      deletionAlerts: () => Promise.reject(new Error('offline')),
    });
    await unreachable.checkDeletionAlerts(onCloud());
    expect(notes).toHaveLength(2);
  });
});

describe('BackgroundPresence', () => {
  class Runner implements EngineRunner {
    finish: ((o: JobOutcome) => void) | null = null;
    run() {
      return new Promise<JobOutcome>((resolve) => (this.finish = resolve));
    }
  }

  function presence(answer: boolean) {
    const runner = new Runner();
    const queue = new JobQueue({
      history,
      runner,
      clock,
      passwords: { get: async () => 'pw', missingReason: () => '' },
    });
    const shown: TrayMenu[] = [];
    let hidden = 0;
    let login = false;
    const asked: string[] = [];
    let quits = 0;
    const p = new BackgroundPresence({
      config,
      queue,
      history,
      tray: { show: (m) => shown.push(m), hide: () => hidden++ },
      loginItem: { isEnabled: () => login, setEnabled: (v) => (login = v) },
      dialogs: {
        confirmQuit: async (m) => {
          asked.push(m);
          return answer;
        },
      },
      open: () => undefined,
      quit: () => quits++,
      lockNow: () => undefined,
      formatTime: (iso) => iso.slice(11, 16),
    });
    return {
      p,
      queue,
      runner,
      shown,
      asked,
      get hidden() {
        return hidden;
      },
      get login() {
        return login;
      },
      get quits() {
        return quits;
      },
    };
  }

  function enqueueVerify(queue: JobQueue) {
    return queue.enqueue({
      kind: 'backup',
      trigger: 'manual',
      vaultId: 'vault-000001',
      vaultName: 'USB',
      itemId: 'item-000001',
      itemName: 'Documents',
      request: (password) => ({
        op: 'verify',
        repo: { kind: 'local', path: '/x' },
        password,
        readData: false,
      }),
    });
  }

  it('shows the tray and turns on start-at-login only while a schedule exists (unless turned off)', () => {
    const t = presence(true);
    configure([item({ schedule: { kind: 'manual' } })]);
    t.p.refresh();
    expect(t.shown).toEqual([]);
    expect(t.login).toBe(false);
    configure([item()]);
    t.p.refresh();
    expect(t.shown.at(-1)!.status).toBe('No backup yet');
    expect(t.login).toBe(true);
    configure([item()], { startAtLogin: false });
    t.p.refresh();
    expect(t.login).toBe(false);
  });

  it('shows the last backup and its result, or the running job with its percentage', async () => {
    configure([item()]);
    const t = presence(true);
    history.insert(ended('warning', { endedAt: '2026-11-28T02:00:10.000Z' }));
    expect(t.p.statusLine()).toBe('Last backup: 02:00, Warning');
    const job = enqueueVerify(t.queue);
    await new Promise((r) => setImmediate(r));
    expect(t.p.statusLine()).toBe('Backing up…');
    expect(
      t.p.statusLine({
        jobId: job.id,
        phase: 'backup',
        filesDone: 1,
        filesTotal: 2,
        bytesDone: 42,
        bytesTotal: 100,
        currentFile: null,
        rate: 1,
        eta: 1,
      }),
    ).toBe('Backing up… 42 %');

    // Quit while it runs: asked first.
    expect(await t.p.requestQuit()).toBe(true);
    expect(t.asked).toHaveLength(1);
    expect(t.quits).toBe(1);
    t.runner.finish?.(emptyOutcome('cancelled', 'Cancelled.', null));
  });

  it('"Keep running" at the quit question does not quit', async () => {
    configure([item()]);
    const t = presence(false);
    enqueueVerify(t.queue);
    await new Promise((r) => setImmediate(r));
    expect(await t.p.requestQuit()).toBe(false);
    expect(t.quits).toBe(0);
    expect(t.queue.isRunning()).toBe(true);
    t.runner.finish?.(emptyOutcome('success', 'ok', null));
  });

  it("the app menu's Quit (before-quit) asks once while a job runs, and goes through once confirmed", async () => {
    configure([item()]);
    const t = presence(true);
    expect(t.p.beforeQuit()).toBe(true); // nothing running: no question
    expect(t.asked).toHaveLength(0);
    enqueueVerify(t.queue);
    await new Promise((r) => setImmediate(r));
    expect(t.p.beforeQuit()).toBe(false);
    expect(t.p.beforeQuit()).toBe(false); // a second Quit while asking: still one question
    await vi.waitFor(() => expect(t.quits).toBe(1));
    expect(t.asked).toHaveLength(1);
    // The quit the confirmed answer starts passes before-quit without asking again.
    expect(t.p.beforeQuit()).toBe(true);
    expect(t.asked).toHaveLength(1);
    t.runner.finish?.(emptyOutcome('cancelled', 'Cancelled.', null));
  });

  it('"Keep running" at the app menu\'s Quit keeps the job; the OS shutting down never asks', async () => {
    configure([item()]);
    const t = presence(false);
    enqueueVerify(t.queue);
    await new Promise((r) => setImmediate(r));
    expect(t.p.beforeQuit()).toBe(false);
    await vi.waitFor(() => expect(t.asked).toHaveLength(1));
    expect(t.quits).toBe(0);
    expect(t.queue.isRunning()).toBe(true);
    t.p.allowQuit();
    expect(t.p.beforeQuit()).toBe(true);
    expect(t.asked).toHaveLength(1);
    t.runner.finish?.(emptyOutcome('success', 'ok', null));
  });

  it('closing the last window with nothing scheduled lets a running job finish, then quits', async () => {
    configure([item({ schedule: { kind: 'manual' } })]);
    const t = presence(true);
    t.queue.onChanged(() => t.p.refresh());
    enqueueVerify(t.queue);
    await new Promise((r) => setImmediate(r));
    t.p.lastWindowClosed();
    expect(t.quits).toBe(0);
    t.runner.finish?.(emptyOutcome('success', 'ok', null));
    await vi.waitFor(() => expect(t.quits).toBe(1));
    expect(t.asked).toHaveLength(0);
    expect(t.p.beforeQuit()).toBe(true);
  });

  it('opening the window again while that job runs keeps Strongroom running after it', async () => {
    configure([item({ schedule: { kind: 'manual' } })]);
    const t = presence(true);
    t.queue.onChanged(() => t.p.refresh());
    enqueueVerify(t.queue);
    await new Promise((r) => setImmediate(r));
    t.p.lastWindowClosed();
    t.p.windowOpened();
    t.runner.finish?.(emptyOutcome('success', 'ok', null));
    await new Promise((r) => setImmediate(r));
    expect(t.quits).toBe(0);
  });

  it('closing the last window quits at once when nothing runs, and never with a schedule', () => {
    configure([item()]);
    const t = presence(true);
    t.p.lastWindowClosed();
    expect(t.quits).toBe(0);
    configure([item({ schedule: { kind: 'manual' } })]);
    t.p.lastWindowClosed();
    expect(t.quits).toBe(1);
  });
});
