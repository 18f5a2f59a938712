/**
 * The Backups page's store: cards follow their jobs live (onJobProgress / onJobChanged), main's
 * overview is read again when a backup ends, and actions go through window.api.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useBackups, withJobChange, withProgress } from '../../../src-renderer/desktop/backups/backups-store';
import { useDesktop } from '../../../src-renderer/desktop/store';
import { itemView, job, ok, overview, progress, scriptBridge } from './backup-fixtures';

beforeEach(() => {
  useBackups.getState().reset();
  useDesktop.setState({ screen: { kind: 'starting' }, view: { page: 'backups' } });
});
afterEach(() => vi.unstubAllGlobals());

describe('cards following their jobs', () => {
  it('shows a started job and its progress on its own item only', () => {
    const other = itemView({ item: { ...itemView().item, id: 'item-000002', name: 'Photos' } });
    let o = overview([itemView(), other]);
    o = withJobChange(o, job({ status: 'waiting' }));
    expect(o.items[0]!.activeJob?.status).toBe('waiting');
    expect(o.items[1]!.activeJob).toBeNull();

    o = withProgress(o, progress());
    // The first progress of a waiting job means it runs now.
    expect(o.items[0]!.activeJob?.status).toBe('running');
    expect(o.items[0]!.progress?.bytesDone).toBe(300);
    expect(o.items[1]!.progress).toBeNull();
  });

  it('moves a finished job to "last backup" and clears the stale warning on success', () => {
    let o = withJobChange(overview(), job());
    o = withProgress(o, progress());
    const ended = job({ status: 'success', endedAt: '2026-11-29T10:05:00.000Z', filesDone: 10 });
    o = withJobChange(o, ended);
    expect(o.items[0]!.activeJob).toBeNull();
    expect(o.items[0]!.progress).toBeNull();
    expect(o.items[0]!.lastJob).toEqual(ended);
    expect(o.items[0]!.lastSuccessAt).toBe('2026-11-29T10:05:00.000Z');
    expect(o.items[0]!.stale).toBe(false);
  });

  it('keeps the last success time when a backup fails', () => {
    const before = overview([itemView({ lastSuccessAt: '2026-11-27T02:30:00.000Z', stale: true })]);
    const o = withJobChange(before, job({ status: 'failed', endedAt: '2026-11-29T10:05:00.000Z' }));
    expect(o.items[0]!.lastSuccessAt).toBe('2026-11-27T02:30:00.000Z');
    expect(o.items[0]!.stale).toBe(true);
    expect(o.items[0]!.lastJob?.status).toBe('failed');
  });

  it('leaves the overview alone for jobs that are not an item backup', () => {
    const o = overview();
    expect(withJobChange(o, job({ kind: 'verify', itemId: null }))).toBe(o);
    expect(withProgress(o, progress({ jobId: 'job-unknown' }))).toBe(o);
  });
});

describe('the store', () => {
  it('reads the overview again when a backup ends (next run, warnings are main’s to say)', async () => {
    let answer = overview();
    const calls = scriptBridge({ backupOverview: () => ok(answer) });
    await useBackups.getState().load();
    useBackups.getState().jobChanged(job());
    useBackups.getState().jobProgress(progress());
    expect(useBackups.getState().overview!.items[0]!.progress?.filesDone).toBe(3);
    expect(calls.filter((c) => c.method === 'backupOverview')).toHaveLength(1);

    answer = overview([itemView({ nextRunAt: '2026-12-01T02:30:00.000Z', stale: false })]);
    useBackups.getState().jobChanged(job({ status: 'success', endedAt: '2026-11-29T10:05:00.000Z' }));
    await vi.waitFor(() =>
      expect(useBackups.getState().overview!.items[0]!.nextRunAt).toBe('2026-12-01T02:30:00.000Z'),
    );
    expect(useBackups.getState().progress).toEqual({});
  });

  it('keeps the progress of jobs that are not item backups by id (a vault verify)', () => {
    useBackups.getState().jobChanged(job({ id: 'job-verify1', kind: 'verify', itemId: null }));
    useBackups.getState().jobProgress(progress({ jobId: 'job-verify1', phase: 'verify' }));
    expect(useBackups.getState().jobs['job-verify1']?.kind).toBe('verify');
    expect(useBackups.getState().progress['job-verify1']?.phase).toBe('verify');
  });

  it('says what went wrong when the overview cannot be read, and locks on "locked"', async () => {
    scriptBridge({
      backupOverview: () => ({ ok: false, error: { code: 'internal', message: 'Config unreadable.' } }),
    });
    await useBackups.getState().load();
    expect(useBackups.getState().loadError?.message).toBe('Config unreadable.');

    scriptBridge({
      backupOverview: () => ({ ok: false, error: { code: 'locked', message: 'Locked.' } }),
      lockStatus: () => new Promise(() => undefined),
    });
    useDesktop.setState({
      screen: {
        kind: 'unlocked',
        account: {
          deviceTokenProblem: null,
          username: 'a',
          serverUrl: 'http://x',
          totpEnabled: false,
          mustEnrollTotp: false,
          recoveryCodesRemaining: 0,
          accountKey: {
            state: 'ready',
            keyId: null,
            kitPending: false,
            serverIsLocal: true,
            reason: null,
            offerRestore: false,
            serverMoved: null,
          },
        },
        serverIsLocal: true,
      },
    });
    await useBackups.getState().load();
    expect(useDesktop.getState().screen.kind).toBe('starting');
  });

  it('sends Back up now for the item and reads the overview after', async () => {
    const calls = scriptBridge({
      jobBackupNow: () => ok({ jobId: 'job-000009' }),
      backupOverview: () => ok(overview()),
    });
    const result = await useBackups.getState().backupNow('item-000001');
    expect(result).toEqual(ok({ jobId: 'job-000009' }));
    await vi.waitFor(() => expect(calls.map((c) => c.method)).toEqual(['jobBackupNow', 'backupOverview']));
    expect(calls[0]!.input).toEqual({ itemId: 'item-000001' });
  });

  it('forgets everything on reset (the app locked)', async () => {
    scriptBridge({ backupOverview: () => ok(overview()) });
    await useBackups.getState().load();
    useBackups.getState().jobProgress(progress());
    useBackups.getState().reset();
    expect(useBackups.getState().overview).toBeNull();
    expect(useBackups.getState().progress).toEqual({});
  });
});
