import { create } from 'zustand';
import type { JobLogEntry, JobProgress, JobRecord } from '../../../src-shared/backup-jobs';
import type { IpcError } from '../../../src-shared/ipc-contract';
import type { LsEntry, SnapshotInfo } from '../../../src-shared/job-protocol';
import { isEnded, nextFilesRate, type FilesRate } from '../backups/format';
import { request } from '../request';

export type RestoreStep = 'source' | 'snapshot' | 'select' | 'destination' | 'running' | 'result';
export type Conflict = 'overwrite' | 'skip' | 'keep-both';
export type Destination =
  | { mode: 'original' }
  /** Into `<path>/<item name>/`; `keepFullPaths`: under the full original paths. */
  | { mode: 'folder'; path: string; keepFullPaths?: boolean }
  /** "Save a copy as…": one file, written to exactly this path. */
  | { mode: 'copy-as'; path: string };
/** The backup restored from: a snapshot listed by the wizard, or the one holding a version found by search. */
export type RestorePoint = Pick<SnapshotInfo, 'id' | 'time' | 'paths'>;
/** wizard: chosen step by step; find: one version of a path, from the search (Back returns there). */
export type RestoreOrigin = 'wizard' | 'find';

export interface RestoreSource {
  vaultId: string;
  /** null: every backup in the vault. */
  itemId: string | null;
  /** What the person chose, in words ("Documents", or "Vault: USB drive"). */
  label: string;
}

export interface FolderState {
  entries: LsEntry[] | null;
  loading: boolean;
  error: IpcError | null;
}

/**
 * The Restore wizard: source -> backup -> what to restore -> where -> progress -> result. Folders
 * of the backup are read one level at a time, when opened. A version found by the search enters
 * at "where" with its backup and path chosen (restoreVersion).
 */
export interface RestoreState {
  step: RestoreStep;
  source: RestoreSource | null;
  snapshots: SnapshotInfo[] | null;
  snapshotsError: IpcError | null;
  snapshot: RestorePoint | null;
  origin: RestoreOrigin;
  /** Exactly one file is chosen: "Save a copy as…" is offered. */
  oneFile: boolean;
  folders: Record<string, FolderState>;
  expanded: Record<string, true>;
  /** Chosen snapshot paths; a folder stands for everything under it. Ignored with `everything`. */
  selected: Record<string, true>;
  everything: boolean;
  destination: Destination;
  conflict: Conflict;
  startError: IpcError | null;
  jobId: string | null;
  job: JobRecord | null;
  progress: JobProgress | null;
  filesRate: FilesRate | null;
  log: JobLogEntry[] | null;

  chooseSource(source: RestoreSource): Promise<void>;
  loadSnapshots(): Promise<void>;
  chooseSnapshot(snapshot: SnapshotInfo): Promise<void>;
  /** From the search: restore (or save a copy of) one path as it was in one backup. */
  restoreVersion(version: {
    source: RestoreSource;
    snapshot: { id: string; time: string };
    path: string;
    isFile: boolean;
    saveCopy: boolean;
  }): void;
  loadFolder(path: string): Promise<void>;
  toggleExpanded(path: string): void;
  toggleSelected(path: string): void;
  setEverything(everything: boolean): void;
  toDestination(): void;
  setDestination(destination: Destination): void;
  setConflict(conflict: Conflict): void;
  back(): void;
  /** `restore-what-fits`: the person chose it after a restore stopped for want of space. */
  start(whenTooLittleSpace?: 'restore-what-fits'): Promise<void>;
  /** Back to the destination step with the same selection (after a restore stopped for want of space). */
  chooseAnotherFolder(): void;
  cancel(): Promise<IpcError | null>;
  jobProgress(progress: JobProgress): void;
  jobChanged(job: JobRecord): void;
  /** Start over (after a result, or when the person leaves the wizard). */
  reset(): void;
}

/** The folders above a snapshot path, outermost first: "/a/b/c" -> ["/", "/a", "/a/b"]. */
export function ancestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  const out = ['/'];
  for (let i = 1; i < parts.length; i++) out.push(`/${parts.slice(0, i).join('/')}`);
  return out;
}

export function isUnder(path: string, folder: string): boolean {
  if (folder === '/') return path !== '/';
  return path.startsWith(`${folder}/`);
}

/** True when the path itself or a folder above it is selected. */
export function isCovered(path: string, selected: Record<string, true>): boolean {
  if (selected[path]) return true;
  return Object.keys(selected).some((s) => isUnder(path, s));
}

/** What restore:start needs: the selected paths, none of which is under another. */
export function includeList(selected: Record<string, true>): string[] {
  const paths = Object.keys(selected).sort();
  return paths.filter((p) => !paths.some((other) => other !== p && isUnder(p, other)));
}

/** Selecting a folder drops the selections inside it (they are covered now). */
export function toggleSelection(selected: Record<string, true>, path: string): Record<string, true> {
  if (selected[path]) {
    const next = { ...selected };
    delete next[path];
    return next;
  }
  const next: Record<string, true> = {};
  for (const p of Object.keys(selected)) if (!isUnder(p, path)) next[p] = true;
  next[path] = true;
  return next;
}

const INITIAL = {
  step: 'source' as RestoreStep,
  source: null,
  snapshots: null,
  snapshotsError: null,
  snapshot: null,
  origin: 'wizard' as RestoreOrigin,
  oneFile: false,
  folders: {},
  expanded: {},
  selected: {},
  everything: true,
  destination: { mode: 'folder', path: '' } as Destination,
  conflict: 'keep-both' as Conflict,
  startError: null,
  jobId: null,
  job: null,
  progress: null,
  filesRate: null,
  log: null,
};

export const useRestore = create<RestoreState>()((set, get) => ({
  ...INITIAL,

  async chooseSource(source) {
    set({ ...INITIAL, source, step: 'snapshot' });
    await get().loadSnapshots();
  },

  async loadSnapshots() {
    const source = get().source;
    if (!source) return;
    set({ snapshots: null, snapshotsError: null });
    const result = await request((api) =>
      api.restoreSnapshots({ vaultId: source.vaultId, ...(source.itemId ? { itemId: source.itemId } : {}) }),
    );
    if (get().source !== source) return;
    if (result.ok) set({ snapshots: result.value });
    else set({ snapshotsError: result.error });
  },

  async chooseSnapshot(snapshot) {
    set({ snapshot, step: 'select', folders: {}, expanded: {}, selected: {}, everything: true });
    // Open the tree down to the folders that were backed up, so the person starts at their files.
    const chain = new Set<string>();
    for (const p of snapshot.paths) for (const a of [...ancestors(p), p]) chain.add(a);
    const expanded: Record<string, true> = {};
    for (const a of chain) expanded[a] = true;
    set({ expanded });
    await Promise.all([...chain].map((a) => get().loadFolder(a)));
  },

  restoreVersion({ source, snapshot, path, isFile, saveCopy }) {
    set({
      ...INITIAL,
      origin: 'find',
      source,
      snapshot: { ...snapshot, paths: [path] },
      selected: { [path]: true },
      everything: false,
      oneFile: isFile,
      destination: saveCopy && isFile ? { mode: 'copy-as', path: '' } : { mode: 'folder', path: '' },
      step: 'destination',
    });
  },

  async loadFolder(path) {
    const { source, snapshot } = get();
    if (!source || !snapshot) return;
    const known = get().folders[path];
    if (known && (known.loading || known.entries)) return;
    set({ folders: { ...get().folders, [path]: { entries: null, loading: true, error: null } } });
    const result = await request((api) =>
      api.restoreBrowse({ vaultId: source.vaultId, snapshotId: snapshot.id, path }),
    );
    if (get().snapshot !== snapshot) return;
    set({
      folders: {
        ...get().folders,
        [path]: result.ok
          ? { entries: result.value, loading: false, error: null }
          : { entries: null, loading: false, error: result.error },
      },
    });
  },

  toggleExpanded(path) {
    const expanded = { ...get().expanded };
    if (expanded[path]) delete expanded[path];
    else {
      expanded[path] = true;
      void get().loadFolder(path);
    }
    set({ expanded });
  },

  toggleSelected(path) {
    set({ selected: toggleSelection(get().selected, path), everything: false });
  },

  setEverything(everything) {
    set({ everything });
  },

  toDestination() {
    const { everything, selected, folders } = get();
    const chosen = everything ? [] : includeList(selected);
    set({
      step: 'destination',
      startError: null,
      oneFile: chosen.length === 1 && isFileIn(folders, chosen[0]!),
    });
    if (get().destination.mode === 'copy-as' && !get().oneFile)
      set({ destination: { mode: 'folder', path: '' } });
  },

  setDestination(destination) {
    set({ destination });
  },

  setConflict(conflict) {
    set({ conflict });
  },

  back() {
    // A version from the search: Back returns to its versions (the search keeps them).
    if (get().origin === 'find' && get().step === 'destination') {
      set(INITIAL);
      return;
    }
    const order: RestoreStep[] = ['source', 'snapshot', 'select', 'destination'];
    const at = order.indexOf(get().step);
    if (at > 0) set({ step: order[at - 1]!, startError: null });
  },

  chooseAnotherFolder() {
    set({ step: 'destination', jobId: null, job: null, progress: null, log: null, startError: null });
  },

  async start(whenTooLittleSpace) {
    const { source, snapshot, everything, selected, destination, conflict } = get();
    if (!source || !snapshot) return;
    set({ startError: null });
    const include = everything ? [] : includeList(selected);
    const result = await request((api) =>
      api.restoreStart({
        vaultId: source.vaultId,
        ...(source.itemId ? { itemId: source.itemId } : {}),
        snapshotId: snapshot.id,
        include,
        destination,
        conflict,
        ...(whenTooLittleSpace ? { whenTooLittleSpace } : {}),
      }),
    );
    if (!result.ok) {
      set({ startError: result.error });
      return;
    }
    // An onJobChanged for this job may already have arrived: keep it.
    const known = get().job?.id === result.value.jobId ? get().job : null;
    set({ step: 'running', jobId: result.value.jobId, job: known, progress: null, log: null });
    if (known && isEnded(known.status)) await finish(known);
  },

  async cancel() {
    const jobId = get().jobId;
    if (!jobId) return null;
    const result = await request((api) => api.jobCancel({ jobId }));
    return result.ok ? null : result.error;
  },

  jobProgress(progress) {
    if (progress.jobId !== get().jobId) return;
    const counting = progress.phase === 'waiting' || progress.phase === 'scan';
    set({
      progress,
      filesRate: counting
        ? get().filesRate
        : nextFilesRate(get().filesRate ?? undefined, progress.filesDone, performance.now()),
    });
  },

  jobChanged(job) {
    if (job.kind !== 'restore') return;
    const { jobId, step } = get();
    if (jobId === null && step === 'destination') {
      // restore:start has not answered yet; remember it in case this is ours.
      set({ job });
      return;
    }
    if (job.id !== jobId) return;
    set({ job });
    if (isEnded(job.status)) void finish(job);
  },

  reset() {
    set(INITIAL);
  },
}));

/** True when the folder listing already read shows `path` as a file. */
function isFileIn(folders: Record<string, FolderState>, path: string): boolean {
  const parent = ancestors(path).pop() ?? '/';
  return folders[parent]?.entries?.find((e) => e.path === path)?.type === 'file';
}

/** The job ended: read its log (what was not restored, and why) and show the result. */
async function finish(job: JobRecord): Promise<void> {
  const result = await request((api) => api.jobGet({ jobId: job.id }));
  if (useRestore.getState().jobId !== job.id) return;
  useRestore.setState({
    step: 'result',
    job: result.ok ? result.value.job : job,
    log: result.ok ? result.value.log : [],
    progress: null,
  });
}
