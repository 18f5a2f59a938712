/** The Restore wizard's state: selection rules, lazy folders, and the job from start to result. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ancestors,
  includeList,
  isCovered,
  toggleSelection,
  useRestore,
} from '../../../src-renderer/desktop/restore/restore-store';
import { job, ok, progress, scriptBridge } from './backup-fixtures';

beforeEach(() => useRestore.getState().reset());
afterEach(() => vi.unstubAllGlobals());

describe('selection', () => {
  it('lists the folders above a path', () => {
    expect(ancestors('/home/me/Documents')).toEqual(['/', '/home', '/home/me']);
    expect(ancestors('/x')).toEqual(['/']);
  });
  it('a selected folder covers what is inside it, and not its neighbours with a longer name', () => {
    const sel = toggleSelection({}, '/home/me/Documents');
    expect(isCovered('/home/me/Documents/a.txt', sel)).toBe(true);
    expect(isCovered('/home/me/Documents2/a.txt', sel)).toBe(false);
  });
  it('selecting a folder drops the selections inside it; the include list has no overlap', () => {
    let sel = toggleSelection({}, '/d/a.txt');
    sel = toggleSelection(sel, '/e/b.txt');
    sel = toggleSelection(sel, '/d');
    expect(Object.keys(sel).sort()).toEqual(['/d', '/e/b.txt']);
    expect(includeList({ '/d': true, '/d/x': true, '/e': true })).toEqual(['/d', '/e']);
    expect(toggleSelection(sel, '/d')).toEqual({ '/e/b.txt': true });
  });
});

const SNAPSHOT = {
  id: 'abcdef01',
  time: '2026-11-29T10:05:00.000Z',
  host: 'laptop',
  paths: ['/home/me/Documents'],
  tags: ['item:item-000001'],
  files: 3,
  bytes: 1200,
  partial: false,
};

describe('the wizard', () => {
  it('reads the backups of the chosen item, then opens the tree down to the backed-up folder', async () => {
    const calls = scriptBridge({
      restoreSnapshots: () => ok([SNAPSHOT]),
      restoreBrowse: (input) =>
        ok([
          { name: 'x', path: `${(input as { path: string }).path}/x`, type: 'dir', size: null, mtime: null },
        ]),
    });
    await useRestore
      .getState()
      .chooseSource({ vaultId: 'vault-000001', itemId: 'item-000001', label: 'Documents' });
    expect(calls[0]).toEqual({
      method: 'restoreSnapshots',
      input: { vaultId: 'vault-000001', itemId: 'item-000001' },
    });
    expect(useRestore.getState().step).toBe('snapshot');
    await useRestore.getState().chooseSnapshot(SNAPSHOT);
    const browsed = calls
      .filter((c) => c.method === 'restoreBrowse')
      .map((c) => (c.input as { path: string }).path);
    expect(browsed.sort()).toEqual(['/', '/home', '/home/me', '/home/me/Documents']);
    expect(useRestore.getState().expanded['/home/me']).toBe(true);
    // A folder already read is not asked for again.
    await useRestore.getState().loadFolder('/home');
    expect(calls.filter((c) => c.method === 'restoreBrowse')).toHaveLength(4);
  });

  it('starts the restore with the selection, follows its progress, and shows the result with the log', async () => {
    const calls = scriptBridge({
      restoreSnapshots: () => ok([SNAPSHOT]),
      restoreBrowse: () => ok([]),
      restoreStart: () => ok({ jobId: 'job-restore1' }),
      jobGet: () =>
        ok({
          job: job({ id: 'job-restore1', kind: 'restore', status: 'warning', filesDone: 2, filesFailed: 1 }),
          log: [
            {
              at: '2026-11-29T10:06:00.000Z',
              level: 'warning',
              path: '/home/me/Documents/c.txt',
              message: 'exists, skipped',
            },
          ],
        }),
    });
    const s = useRestore.getState();
    await s.chooseSource({ vaultId: 'vault-000001', itemId: 'item-000001', label: 'Documents' });
    await s.chooseSnapshot(SNAPSHOT);
    s.toggleSelected('/home/me/Documents/a.txt');
    s.toDestination();
    s.setDestination({ mode: 'folder', path: '/tmp/restored' });
    s.setConflict('skip');
    await s.start();
    expect(calls.find((c) => c.method === 'restoreStart')!.input).toEqual({
      vaultId: 'vault-000001',
      itemId: 'item-000001',
      snapshotId: 'abcdef01',
      include: ['/home/me/Documents/a.txt'],
      destination: { mode: 'folder', path: '/tmp/restored' },
      conflict: 'skip',
    });
    expect(useRestore.getState().step).toBe('running');

    s.jobProgress(progress({ jobId: 'job-restore1', phase: 'restore' }));
    s.jobProgress(progress({ jobId: 'job-other01', bytesDone: 999 }));
    expect(useRestore.getState().progress?.bytesDone).toBe(300);

    s.jobChanged(job({ id: 'job-restore1', kind: 'restore', status: 'warning' }));
    await vi.waitFor(() => expect(useRestore.getState().step).toBe('result'));
    expect(useRestore.getState().log).toHaveLength(1);
    expect(useRestore.getState().job?.filesFailed).toBe(1);
  });

  it('offers Save a copy as… only when exactly one file is selected', async () => {
    scriptBridge({
      restoreSnapshots: () => ok([SNAPSHOT]),
      restoreBrowse: (input) => {
        const dir = (input as { path: string }).path;
        return ok(
          dir === '/home/me/Documents'
            ? [
                { name: 'a.txt', path: `${dir}/a.txt`, type: 'file', size: 3, mtime: null },
                { name: 'sub', path: `${dir}/sub`, type: 'dir', size: null, mtime: null },
              ]
            : [],
        );
      },
    });
    const s = useRestore.getState();
    await s.chooseSource({ vaultId: 'vault-000001', itemId: 'item-000001', label: 'Documents' });
    await s.chooseSnapshot(SNAPSHOT);
    s.toggleSelected('/home/me/Documents/a.txt');
    s.toDestination();
    expect(useRestore.getState().oneFile).toBe(true);
    s.setDestination({ mode: 'copy-as', path: '/tmp/a copy.txt' });
    s.back();
    s.toggleSelected('/home/me/Documents/sub');
    s.toDestination();
    expect(useRestore.getState()).toMatchObject({
      oneFile: false,
      destination: { mode: 'folder', path: '' },
    });
    s.back();
    s.toggleSelected('/home/me/Documents/a.txt');
    s.toDestination();
    // One folder alone is not one file either.
    expect(useRestore.getState().oneFile).toBe(false);
  });

  it('shows why a restore could not start and stays on the destination step', async () => {
    scriptBridge({
      restoreSnapshots: () => ok([SNAPSHOT]),
      restoreBrowse: () => ok([]),
      restoreStart: () => ({
        ok: false,
        error: { code: 'bad_request', message: 'destination.path: Use a full path.' },
      }),
    });
    const s = useRestore.getState();
    await s.chooseSource({ vaultId: 'vault-000001', itemId: null, label: 'Vault: USB drive' });
    await s.chooseSnapshot(SNAPSHOT);
    s.toDestination();
    await s.start();
    expect(useRestore.getState().step).toBe('destination');
    expect(useRestore.getState().startError?.message).toContain('destination.path');
  });
});
