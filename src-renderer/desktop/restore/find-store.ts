import { create } from 'zustand';
import type { JobProgress, JobRecord } from '../../../src-shared/backup-jobs';
import type {
  CatalogueEntryType,
  CatalogueSearchResult,
  CatalogueStatus,
  FileVersions,
  IpcError,
  SnapshotDiff,
} from '../../../src-shared/ipc-contract';
import type { SnapshotInfo } from '../../../src-shared/job-protocol';
import { isEnded } from '../backups/format';
import { request } from '../request';
import type { RestoreSource } from './restore-store';

/** How long typing pauses before the search is asked: a few keystrokes make one query. */
export const SEARCH_DEBOUNCE_MS = 250;

/** One path of one vault (and item) whose versions are shown. */
export interface VersionsTarget {
  vaultId: string;
  vaultName: string;
  itemId: string | null;
  itemName: string | null;
  path: string;
  type: CatalogueEntryType;
}

export type FindView = 'search' | 'versions' | 'diff';

/** A "Rebuild search index" job of one vault, followed from its start to its end. */
export interface CatalogueJob {
  jobId: string;
  job: JobRecord | null;
  progress: JobProgress | null;
}

/**
 * File-first restore (issue 9): the search field's query and its answer, the vaults' catalogue
 * status and their rebuild jobs, the versions of one path, and "What changed" between two backups.
 * Answers arrive out of order: each kind is numbered, and only the newest request's answer is kept.
 */
export interface FindState {
  query: string;
  result: CatalogueSearchResult | null;
  /** The query `result` answers (the field may already say more). */
  answered: string;
  searching: boolean;
  searchError: IpcError | null;
  statuses: CatalogueStatus[] | null;
  statusError: IpcError | null;
  rebuilds: Record<string, CatalogueJob>;
  rebuildErrors: Record<string, IpcError>;

  view: FindView;
  /** Where Back from the versions goes. */
  versionsFrom: FindView;
  target: VersionsTarget | null;
  versions: FileVersions | null;
  versionsError: IpcError | null;

  diffSource: RestoreSource | null;
  diffSnapshots: SnapshotInfo[] | null;
  diffSnapshotsError: IpcError | null;
  diffFrom: string | null;
  diffTo: string | null;
  diff: SnapshotDiff | null;
  diffLoading: boolean;
  diffError: IpcError | null;

  setQuery(query: string): void;
  search(): Promise<void>;
  loadStatuses(): Promise<void>;
  rebuild(vaultId: string): Promise<void>;
  openVersions(target: VersionsTarget): Promise<void>;
  loadVersions(): Promise<void>;
  back(): void;
  openDiff(): void;
  chooseDiffSource(source: RestoreSource | null): Promise<void>;
  setDiffPair(from: string | null, to: string | null): void;
  compare(): Promise<void>;
  jobProgress(progress: JobProgress): void;
  jobChanged(job: JobRecord): void;
  reset(): void;
}

const INITIAL = {
  query: '',
  result: null,
  answered: '',
  searching: false,
  searchError: null,
  statuses: null,
  statusError: null,
  rebuilds: {},
  rebuildErrors: {},
  view: 'search' as FindView,
  versionsFrom: 'search' as FindView,
  target: null,
  versions: null,
  versionsError: null,
  diffSource: null,
  diffSnapshots: null,
  diffSnapshotsError: null,
  diffFrom: null,
  diffTo: null,
  diff: null,
  diffLoading: false,
  diffError: null,
};

let searchTimer: ReturnType<typeof setTimeout> | null = null;
/** Numbers the requests of each kind; an answer whose number is not the latest is dropped. */
const latest = { search: 0, versions: 0, diff: 0, snapshots: 0 };

export const useFind = create<FindState>()((set, get) => ({
  ...INITIAL,

  setQuery(query) {
    set({ query });
    if (searchTimer) clearTimeout(searchTimer);
    searchTimer = null;
    if (!query.trim()) {
      latest.search++; // an answer still on its way is for a query no longer there
      set({ result: null, answered: '', searching: false, searchError: null });
      return;
    }
    set({ searching: true });
    searchTimer = setTimeout(() => {
      searchTimer = null;
      void get().search();
    }, SEARCH_DEBOUNCE_MS);
  },

  async search() {
    const query = get().query.trim();
    if (!query) return;
    const n = ++latest.search;
    set({ searching: true });
    const result = await request((api) => api.catalogueSearch({ query, limit: 200 }));
    if (n !== latest.search) return;
    if (result.ok) set({ result: result.value, answered: query, searching: false, searchError: null });
    else set({ searchError: result.error, searching: false });
  },

  async loadStatuses() {
    const result = await request((api) => api.catalogueStatus());
    if (!result.ok) {
      set({ statusError: result.error });
      return;
    }
    // A catalogue job already under way (after a backup, or a rebuild asked before) is followed too.
    const rebuilds = { ...get().rebuilds };
    for (const s of result.value) {
      if (s.jobId && !rebuilds[s.vaultId])
        rebuilds[s.vaultId] = { jobId: s.jobId, job: null, progress: null };
    }
    set({ statuses: result.value, statusError: null, rebuilds });
  },

  async rebuild(vaultId) {
    const errors = { ...get().rebuildErrors };
    delete errors[vaultId];
    set({ rebuildErrors: errors });
    const result = await request((api) => api.catalogueUpdate({ vaultId, rebuild: true }));
    if (!result.ok) {
      set({ rebuildErrors: { ...get().rebuildErrors, [vaultId]: result.error } });
      return;
    }
    set({
      rebuilds: { ...get().rebuilds, [vaultId]: { jobId: result.value.jobId, job: null, progress: null } },
    });
  },

  async openVersions(target) {
    const from = get().view === 'versions' ? get().versionsFrom : get().view;
    set({ view: 'versions', versionsFrom: from, target, versions: null, versionsError: null });
    await get().loadVersions();
  },

  async loadVersions() {
    const target = get().target;
    if (!target) return;
    const n = ++latest.versions;
    set({ versions: null, versionsError: null });
    const result = await request((api) =>
      api.catalogueVersions({ vaultId: target.vaultId, itemId: target.itemId, path: target.path }),
    );
    if (n !== latest.versions) return;
    if (result.ok) set({ versions: result.value });
    else set({ versionsError: result.error });
  },

  back() {
    const view = get().view;
    if (view === 'versions')
      set({ view: get().versionsFrom, target: null, versions: null, versionsError: null });
    else set({ view: 'search' });
  },

  openDiff() {
    set({ view: 'diff' });
  },

  async chooseDiffSource(source) {
    const n = ++latest.snapshots;
    latest.diff++;
    set({
      diffSource: source,
      diffSnapshots: null,
      diffSnapshotsError: null,
      diffFrom: null,
      diffTo: null,
      diff: null,
      diffError: null,
      diffLoading: false,
    });
    if (!source) return;
    const result = await request((api) =>
      api.restoreSnapshots({ vaultId: source.vaultId, ...(source.itemId ? { itemId: source.itemId } : {}) }),
    );
    if (n !== latest.snapshots) return;
    if (!result.ok) {
      set({ diffSnapshotsError: result.error });
      return;
    }
    // Newest first: by default, what the newest backup changed since the one before it.
    const snaps = result.value;
    set({ diffSnapshots: snaps, diffFrom: snaps[1]?.id ?? null, diffTo: snaps[0]?.id ?? null });
  },

  setDiffPair(from, to) {
    latest.diff++;
    set({ diffFrom: from, diffTo: to, diff: null, diffError: null, diffLoading: false });
  },

  async compare() {
    const { diffSource, diffFrom, diffTo } = get();
    if (!diffSource) return;
    if (!diffFrom || !diffTo || diffFrom === diffTo) {
      set({ diffError: { code: 'bad_request', message: 'Choose two different backups to compare.' } });
      return;
    }
    const n = ++latest.diff;
    set({ diffLoading: true, diffError: null, diff: null });
    const result = await request((api) =>
      api.catalogueDiff({
        vaultId: diffSource.vaultId,
        fromSnapshotId: diffFrom,
        toSnapshotId: diffTo,
        limit: 5000,
      }),
    );
    if (n !== latest.diff) return;
    if (result.ok) set({ diff: result.value, diffLoading: false });
    else set({ diffError: result.error, diffLoading: false });
  },

  jobProgress(progress) {
    const entry = Object.entries(get().rebuilds).find(([, r]) => r.jobId === progress.jobId);
    if (!entry) return;
    set({ rebuilds: { ...get().rebuilds, [entry[0]]: { ...entry[1], progress } } });
  },

  jobChanged(job) {
    if (job.kind === 'backup' && isEnded(job.status) && job.phases.some((p) => p.phase === 'catalogue')) {
      // A backup brought the catalogue up to date as its last phase: the answers may have grown.
      void refreshAfterCatalogue();
      return;
    }
    if (job.kind !== 'catalogue') return;
    const known = get().rebuilds[job.vaultId];
    if (known && known.jobId !== job.id) return;
    if (!known && isEnded(job.status)) {
      // A catalogue update we did not follow (after a backup) ended: the answers may have grown.
      void refreshAfterCatalogue();
      return;
    }
    const rebuilds = { ...get().rebuilds };
    if (isEnded(job.status)) {
      delete rebuilds[job.vaultId];
      if (job.status === 'failed') {
        set({
          rebuildErrors: {
            ...get().rebuildErrors,
            [job.vaultId]: {
              code: 'internal',
              message: job.message ?? 'The search index could not be rebuilt.',
            },
          },
        });
      }
      set({ rebuilds });
      void refreshAfterCatalogue();
      return;
    }
    rebuilds[job.vaultId] = { jobId: job.id, job, progress: known?.progress ?? null };
    set({ rebuilds });
  },

  reset() {
    if (searchTimer) clearTimeout(searchTimer);
    searchTimer = null;
    for (const k of Object.keys(latest) as (keyof typeof latest)[]) latest[k]++;
    set(INITIAL);
  },
}));

/** A catalogue changed: its status, the search and the versions shown are asked again. */
async function refreshAfterCatalogue(): Promise<void> {
  const s = useFind.getState();
  await Promise.all([
    s.loadStatuses(),
    s.query.trim() ? s.search() : Promise.resolve(),
    s.view === 'versions' ? s.loadVersions() : Promise.resolve(),
  ]);
}
