/**
 * File-first restore in the renderer: the search as the person types (debounced, stale answers
 * dropped), the versions timeline and its words, "What changed", the rebuild job, and a version
 * handed to the restore wizard (restore, or save a copy as).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type {
  CatalogueSearchResult,
  FileVersion,
  FileVersions,
  SnapshotDiff,
} from '../../../src-shared/ipc-contract';
import { absenceWords, keptIn, versionTimeline } from '../../../src-renderer/desktop/restore/find-format';
import { SEARCH_DEBOUNCE_MS, useFind } from '../../../src-renderer/desktop/restore/find-store';
import { useRestore } from '../../../src-renderer/desktop/restore/restore-store';
import { job, ok, progress, scriptBridge } from './backup-fixtures';

beforeEach(() => {
  useFind.getState().reset();
  useRestore.getState().reset();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const snap = (n: number) => ({ id: `${n}`.repeat(8), time: `2026-11-2${n}T10:00:00.000Z` });

function answer(path: string): CatalogueSearchResult {
  return {
    matches: [
      {
        vaultId: 'vault-000001',
        vaultName: 'USB drive',
        itemId: 'item-000001',
        itemName: 'Documents',
        path,
        type: 'file',
        versionCount: 3,
        lastSeen: snap(5),
        inLatest: true,
      },
    ],
    truncated: false,
    incompleteVaults: [],
  };
}

function version(first: number, last: number, count: number, size: number): FileVersion {
  return {
    contentKey: `k${first}`,
    type: 'file',
    size,
    mtime: snap(first).time,
    backupCount: count,
    first: snap(first),
    last: snap(last),
  };
}

describe('the search field', () => {
  it('asks once after typing pauses, not per keystroke, and clears with the field', async () => {
    vi.useFakeTimers();
    const calls = scriptBridge({
      catalogueSearch: (i) => ok(answer(`/x/${(i as { query: string }).query}`)),
    });
    const s = useFind.getState();
    s.setQuery('l');
    s.setQuery('le');
    s.setQuery('let');
    expect(useFind.getState().searching).toBe(true);
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS - 1);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.map((c) => c.input)).toEqual([{ query: 'let', limit: 200 }]);
    await vi.waitFor(() => expect(useFind.getState().answered).toBe('let'));
    expect(useFind.getState().result?.matches[0]?.path).toBe('/x/let');

    s.setQuery('  ');
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS * 2);
    expect(calls).toHaveLength(1);
    expect(useFind.getState().result).toBeNull();
  });

  it('an older answer arriving after a newer one never replaces it', async () => {
    const pending: Record<string, (v: unknown) => void> = {};
    scriptBridge({
      catalogueSearch: (i) =>
        new Promise((resolve) => {
          const q = (i as { query: string }).query;
          pending[q] = () => resolve(ok(answer(`/answer/${q}`)));
        }),
    });
    useFind.setState({ query: 'old' });
    const first = useFind.getState().search();
    useFind.setState({ query: 'newer' });
    const second = useFind.getState().search();
    await vi.waitFor(() => expect(Object.keys(pending).sort()).toEqual(['newer', 'old']));
    pending.newer!(null);
    await second;
    pending.old!(null);
    await first;
    expect(useFind.getState().answered).toBe('newer');
    expect(useFind.getState().result?.matches[0]?.path).toBe('/answer/newer');
  });

  it('shows a search error in words and keeps the field', async () => {
    scriptBridge({
      catalogueSearch: () => ({
        ok: false,
        error: { code: 'internal', message: 'The catalogue cannot be read.' },
      }),
    });
    useFind.setState({ query: 'tax' });
    await useFind.getState().search();
    expect(useFind.getState()).toMatchObject({ query: 'tax', searching: false });
    expect(useFind.getState().searchError?.message).toBe('The catalogue cannot be read.');
  });
});

describe('versions', () => {
  const versions: FileVersions = {
    vaultId: 'vault-000001',
    itemId: 'item-000001',
    path: '/home/me/report.txt',
    versions: [version(1, 2, 2, 10), version(3, 3, 1, 20), version(5, 5, 1, 30)],
    absences: [{ from: snap(4), until: snap(5) }],
  };

  it('puts the gap between the versions around it, newest first, numbered oldest first', () => {
    expect(
      versionTimeline(versions).map((r) =>
        r.kind === 'version' ? `v${r.number}` : `gap ${r.absence.from.id}`,
      ),
    ).toEqual(['v3', `gap ${snap(4).id}`, 'v2', 'v1']);
  });

  it('says how many backups keep a version, and when the file was absent', () => {
    expect(keptIn(version(1, 2, 200, 1))).toMatch(/^Kept in 200 backups, from .+ 2026, .+ to .+ 2026, /);
    expect(keptIn(version(3, 3, 1, 1))).toMatch(/^In 1 backup, /);
    expect(absenceWords({ from: snap(4), until: snap(5) })).toMatch(/^Not in backups from .+ until .+/);
    expect(absenceWords({ from: snap(4), until: null })).toMatch(/^Not in backups since /);
  });

  it('opens a match to its versions, and Back returns to where it was opened from', async () => {
    const calls = scriptBridge({ catalogueVersions: () => ok(versions) });
    const target = {
      vaultId: 'vault-000001',
      vaultName: 'USB drive',
      itemId: 'item-000001',
      itemName: 'Documents',
      path: '/home/me/report.txt',
      type: 'file' as const,
    };
    useFind.getState().openDiff();
    await useFind.getState().openVersions(target);
    expect(calls[0]!.input).toEqual({
      vaultId: 'vault-000001',
      itemId: 'item-000001',
      path: '/home/me/report.txt',
    });
    expect(useFind.getState()).toMatchObject({ view: 'versions', versions });
    useFind.getState().back();
    expect(useFind.getState().view).toBe('diff');
  });

  it('a version goes to the wizard at "where", and Save a copy as starts restore:start with copy-as', async () => {
    const calls = scriptBridge({ restoreStart: () => ok({ jobId: 'job-copy01' }) });
    useRestore.getState().restoreVersion({
      source: { vaultId: 'vault-000001', itemId: 'item-000001', label: 'report.txt' },
      snapshot: snap(3),
      path: '/home/me/report.txt',
      isFile: true,
      saveCopy: true,
    });
    expect(useRestore.getState()).toMatchObject({
      step: 'destination',
      origin: 'find',
      oneFile: true,
      destination: { mode: 'copy-as', path: '' },
    });
    useRestore.getState().setDestination({ mode: 'copy-as', path: '/tmp/report-v2.txt' });
    await useRestore.getState().start();
    expect(calls[0]!.input).toEqual({
      vaultId: 'vault-000001',
      itemId: 'item-000001',
      snapshotId: snap(3).id,
      include: ['/home/me/report.txt'],
      destination: { mode: 'copy-as', path: '/tmp/report-v2.txt' },
      conflict: 'keep-both',
    });
    expect(useRestore.getState().step).toBe('running');
  });

  it('Back from "where" after a version returns to the search, which kept the versions', () => {
    useFind.setState({ view: 'versions' });
    useRestore.getState().restoreVersion({
      source: { vaultId: 'vault-000001', itemId: null, label: 'a folder' },
      snapshot: snap(2),
      path: '/home/me/folder',
      isFile: false,
      saveCopy: true,
    });
    // A folder cannot be saved as one file: the destination is a folder.
    expect(useRestore.getState()).toMatchObject({ oneFile: false, destination: { mode: 'folder' } });
    useRestore.getState().back();
    expect(useRestore.getState()).toMatchObject({ step: 'source', origin: 'wizard' });
    expect(useFind.getState().view).toBe('versions');
  });
});

describe('what changed', () => {
  const snapshots = [snap(3), snap(2), snap(1)].map((s) => ({
    ...s,
    host: 'laptop',
    paths: ['/home/me'],
    tags: [],
    files: 1,
    bytes: 1,
    partial: false,
  }));
  const diff: SnapshotDiff = {
    from: snap(2),
    to: snap(3),
    added: [{ path: '/home/me/new.txt', type: 'file', sizeBefore: null, sizeAfter: 5 }],
    removed: [],
    modified: [],
    truncated: false,
    totals: { added: 1, removed: 0, modified: 0 },
  };

  it('compares the newest backup with the one before by default, and refuses the same backup twice', async () => {
    const calls = scriptBridge({ restoreSnapshots: () => ok(snapshots), catalogueDiff: () => ok(diff) });
    await useFind
      .getState()
      .chooseDiffSource({ vaultId: 'vault-000001', itemId: 'item-000001', label: 'Documents' });
    expect(useFind.getState()).toMatchObject({ diffFrom: snap(2).id, diffTo: snap(3).id });
    await useFind.getState().compare();
    expect(calls.find((c) => c.method === 'catalogueDiff')!.input).toEqual({
      vaultId: 'vault-000001',
      fromSnapshotId: snap(2).id,
      toSnapshotId: snap(3).id,
      limit: 5000,
    });
    expect(useFind.getState().diff).toEqual(diff);

    useFind.getState().setDiffPair(snap(1).id, snap(1).id);
    expect(useFind.getState().diff).toBeNull();
    await useFind.getState().compare();
    expect(useFind.getState().diffError?.message).toBe('Choose two different backups to compare.');
    expect(calls.filter((c) => c.method === 'catalogueDiff')).toHaveLength(1);
  });
});

describe('rebuilding a catalogue', () => {
  it('follows the job with its progress, then asks the status and the search again', async () => {
    const calls = scriptBridge({
      catalogueUpdate: () => ok({ jobId: 'job-cat001' }),
      catalogueStatus: () =>
        ok([{ vaultId: 'vault-000001', snapshots: 3, updatedAt: null, state: 'ready', jobId: null }]),
      catalogueSearch: () => ok(answer('/home/me/report.txt')),
    });
    useFind.setState({ query: 'report' });
    await useFind.getState().rebuild('vault-000001');
    expect(calls[0]!.input).toEqual({ vaultId: 'vault-000001', rebuild: true });
    const s = useFind.getState();
    s.jobProgress(progress({ jobId: 'job-cat001', phase: 'catalogue', filesDone: 2, filesTotal: 3 }));
    s.jobChanged(job({ id: 'job-cat001', kind: 'catalogue', itemId: null, status: 'running' }));
    expect(useFind.getState().rebuilds['vault-000001']).toMatchObject({
      jobId: 'job-cat001',
      progress: { filesDone: 2 },
      job: { status: 'running' },
    });
    s.jobChanged(job({ id: 'job-cat001', kind: 'catalogue', itemId: null, status: 'success' }));
    await vi.waitFor(() => expect(useFind.getState().statuses?.[0]?.state).toBe('ready'));
    expect(useFind.getState().rebuilds).toEqual({});
    expect(calls.map((c) => c.method)).toEqual(['catalogueUpdate', 'catalogueStatus', 'catalogueSearch']);
  });

  it('asks the status and the search again when a backup has updated the catalogue as its last phase', async () => {
    const calls = scriptBridge({
      catalogueStatus: () =>
        ok([{ vaultId: 'vault-000001', snapshots: 4, updatedAt: null, state: 'ready', jobId: null }]),
      catalogueSearch: () => ok(answer('/home/me/report.txt')),
    });
    useFind.setState({ query: 'report' });
    useFind.getState().jobChanged(job({ status: 'running' }));
    expect(calls).toEqual([]);
    useFind.getState().jobChanged(
      job({
        status: 'success',
        phases: [{ phase: 'catalogue', status: 'success', message: 'Search index updated.' }],
      }),
    );
    await vi.waitFor(() => expect(useFind.getState().statuses?.[0]?.snapshots).toBe(4));
    expect(calls.map((c) => c.method)).toEqual(['catalogueStatus', 'catalogueSearch']);
  });

  it('a failed rebuild says why, by vault', async () => {
    scriptBridge({
      catalogueUpdate: () => ok({ jobId: 'job-cat002' }),
      catalogueStatus: () => ok([]),
    });
    await useFind.getState().rebuild('vault-000001');
    useFind
      .getState()
      .jobChanged(job({ id: 'job-cat002', kind: 'catalogue', status: 'failed', message: 'Wrong password.' }));
    expect(useFind.getState().rebuildErrors['vault-000001']?.message).toBe('Wrong password.');
  });
});
