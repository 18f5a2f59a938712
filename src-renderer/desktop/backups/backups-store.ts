import { create } from 'zustand';
import type { JobProgress, JobRecord } from '../../../src-shared/backup-jobs';
import type {
  AccountStorageUsage,
  BackupOverview,
  ChannelInput,
  IpcError,
  ProtectedItemView,
  Result,
  VaultView,
} from '../../../src-shared/ipc-contract';
import { request } from '../request';
import { isEnded, nextFilesRate, type FilesRate } from './format';

/**
 * The Backups page's state: vaults and protected items as main describes them (backup:overview),
 * kept live by onJobProgress / onJobChanged, and every action on them. Jobs that are not an
 * item's backup (verify, restore) are kept by id in `jobs` / `progress` for whoever started them.
 */
export interface BackupsState {
  overview: BackupOverview | null;
  loadError: IpcError | null;
  loading: boolean;
  /** Live progress of any job this window has heard of, by job id. */
  progress: Record<string, JobProgress>;
  /** Files per second of running jobs (progress events carry bytes per second only). */
  filesRates: Record<string, FilesRate>;
  /** The latest record of any job this window has heard of, by job id. */
  jobs: Record<string, JobRecord>;

  load(): Promise<void>;
  jobProgress(progress: JobProgress): void;
  jobChanged(job: JobRecord): void;
  /** Forget everything (the app locked). */
  reset(): void;

  backupNow(itemId: string): Promise<Result<{ jobId: string }>>;
  cancel(jobId: string): Promise<Result<null>>;
  saveItem(input: ChannelInput<'item:save'>): Promise<Result<ProtectedItemView>>;
  removeItem(itemId: string): Promise<Result<null>>;
  createVault(input: ChannelInput<'vault:create'>): Promise<Result<VaultView>>;
  renameVault(vaultId: string, name: string): Promise<Result<VaultView>>;
  removeVault(vaultId: string): Promise<Result<null>>;
  enterVaultPassword(vaultId: string, password: string): Promise<Result<VaultView>>;
  verifyVault(vaultId: string, readData: boolean): Promise<Result<{ jobId: string }>>;
  /** An account-storage vault's storage use and quota, asked from its server. */
  storageUsage(vaultId: string): Promise<Result<AccountStorageUsage>>;
}

/** An item's card follows its own backup jobs: the running one, then the last one finished. */
export function withJobChange(overview: BackupOverview, job: JobRecord): BackupOverview {
  if (job.kind !== 'backup' || !job.itemId) return overview;
  let changed = false;
  const items = overview.items.map((view) => {
    if (view.item.id !== job.itemId) return view;
    changed = true;
    if (!isEnded(job.status)) {
      const sameJob = view.activeJob?.id === job.id;
      return { ...view, activeJob: job, progress: sameJob ? view.progress : null };
    }
    const wasActive = view.activeJob?.id === job.id;
    const succeeded = job.status === 'success' || job.status === 'warning';
    return {
      ...view,
      activeJob: wasActive ? null : view.activeJob,
      progress: wasActive ? null : view.progress,
      lastJob: job,
      lastSuccessAt: succeeded ? (job.endedAt ?? view.lastSuccessAt) : view.lastSuccessAt,
      stale: succeeded ? false : view.stale,
    };
  });
  return changed ? { ...overview, items } : overview;
}

export function withProgress(overview: BackupOverview, progress: JobProgress): BackupOverview {
  let changed = false;
  const items = overview.items.map((view) => {
    if (view.activeJob?.id !== progress.jobId) return view;
    changed = true;
    const activeJob =
      view.activeJob.status === 'waiting' && progress.phase !== 'waiting'
        ? { ...view.activeJob, status: 'running' as const }
        : view.activeJob;
    return { ...view, activeJob, progress };
  });
  return changed ? { ...overview, items } : overview;
}

const EMPTY = { overview: null, loadError: null, loading: false, progress: {}, filesRates: {}, jobs: {} };

export const useBackups = create<BackupsState>()((set, get) => {
  /** After a change main made (a saved item, a new vault): the overview is main's to describe. */
  const reloadAfter = async <T>(result: Result<T>): Promise<Result<T>> => {
    if (result.ok) await get().load();
    return result;
  };
  let loadSeq = 0;

  return {
    ...EMPTY,

    async load() {
      const seq = ++loadSeq;
      set({ loading: true });
      const result = await request((api) => api.backupOverview());
      // A newer load started meanwhile (jobs end in bursts): its answer wins.
      if (seq !== loadSeq) return;
      if (result.ok) set({ overview: result.value, loadError: null, loading: false });
      else set({ loadError: result.error, loading: false });
    },

    jobProgress(progress) {
      const { overview } = get();
      const rate = get().filesRates[progress.jobId];
      const counting = progress.phase === 'waiting' || progress.phase === 'scan';
      set({
        progress: { ...get().progress, [progress.jobId]: progress },
        ...(counting
          ? {}
          : {
              filesRates: {
                ...get().filesRates,
                [progress.jobId]: nextFilesRate(rate, progress.filesDone, performance.now()),
              },
            }),
        ...(overview ? { overview: withProgress(overview, progress) } : {}),
      });
    },

    jobChanged(job) {
      const { overview, progress } = get();
      const nextProgress = { ...progress };
      const nextRates = { ...get().filesRates };
      if (isEnded(job.status)) {
        delete nextProgress[job.id];
        delete nextRates[job.id];
      }
      set({
        filesRates: nextRates,
        jobs: { ...get().jobs, [job.id]: job },
        progress: nextProgress,
        ...(overview ? { overview: withJobChange(overview, job) } : {}),
      });
      // A finished backup moves "next run" and may clear a warning: main recomputes those.
      if (isEnded(job.status) && job.kind === 'backup') void get().load();
    },

    reset() {
      loadSeq++;
      set(EMPTY);
    },

    async backupNow(itemId) {
      const result = await request((api) => api.jobBackupNow({ itemId }));
      if (result.ok) void get().load();
      return result;
    },
    cancel: (jobId) => request((api) => api.jobCancel({ jobId })),
    saveItem: async (input) => reloadAfter(await request((api) => api.itemSave(input))),
    removeItem: async (itemId) => reloadAfter(await request((api) => api.itemRemove({ itemId }))),
    createVault: async (input) => reloadAfter(await request((api) => api.vaultCreate(input))),
    renameVault: async (vaultId, name) =>
      reloadAfter(await request((api) => api.vaultRename({ vaultId, name }))),
    removeVault: async (vaultId) => reloadAfter(await request((api) => api.vaultRemove({ vaultId }))),
    enterVaultPassword: async (vaultId, password) =>
      reloadAfter(await request((api) => api.vaultEnterPassword({ vaultId, password }))),
    verifyVault: (vaultId, readData) => request((api) => api.vaultVerify({ vaultId, readData })),
    storageUsage: (vaultId) => request((api) => api.vaultStorageUsage({ vaultId })),
  };
});
