import { create } from 'zustand';
import type { JobLogEntry, JobRecord, JobStatus } from '../../../src-shared/backup-jobs';
import type { IpcError } from '../../../src-shared/ipc-contract';
import { request } from '../request';

export interface HistoryFilter {
  itemId: string | null;
  status: JobStatus | null;
}

export const PAGE_SIZE = 50;

/**
 * History: every job, newest first (job:list), filtered by item and status, paged with "Show
 * older jobs", and kept live by onJobChanged. One job at a time opens to its details and log.
 */
export interface HistoryState {
  filter: HistoryFilter;
  jobs: JobRecord[];
  /** True while older jobs may exist beyond the last page read. */
  more: boolean;
  loading: boolean;
  error: IpcError | null;
  /** The job opened to its details. */
  open: { job: JobRecord; log: JobLogEntry[] } | null;
  openError: IpcError | null;

  setFilter(filter: Partial<HistoryFilter>): Promise<void>;
  load(): Promise<void>;
  loadOlder(): Promise<void>;
  openJob(jobId: string): Promise<void>;
  closeJob(): void;
  jobChanged(job: JobRecord): void;
  reset(): void;
}

export function matches(filter: HistoryFilter, job: JobRecord): boolean {
  return (
    (filter.itemId === null || job.itemId === filter.itemId) &&
    (filter.status === null || job.status === filter.status)
  );
}

/** A job heard of by event: replaces its row, or joins the top when it is new and matches. */
export function mergeJob(jobs: JobRecord[], filter: HistoryFilter, job: JobRecord): JobRecord[] {
  const at = jobs.findIndex((j) => j.id === job.id);
  if (at >= 0) {
    if (!matches(filter, job)) return jobs.filter((j) => j.id !== job.id);
    const next = jobs.slice();
    next[at] = job;
    return next;
  }
  if (!matches(filter, job)) return jobs;
  return [job, ...jobs];
}

const INITIAL = {
  filter: { itemId: null, status: null } as HistoryFilter,
  jobs: [] as JobRecord[],
  more: false,
  loading: false,
  error: null,
  open: null,
  openError: null,
};

export const useHistory = create<HistoryState>()((set, get) => {
  let seq = 0;
  const listInput = (filter: HistoryFilter, beforeJobId?: string) => ({
    limit: PAGE_SIZE,
    ...(filter.itemId ? { itemId: filter.itemId } : {}),
    ...(filter.status ? { status: filter.status } : {}),
    ...(beforeJobId ? { beforeJobId } : {}),
  });

  return {
    ...INITIAL,

    async setFilter(change) {
      set({ filter: { ...get().filter, ...change } });
      await get().load();
    },

    async load() {
      const mine = ++seq;
      set({ loading: true, error: null });
      const result = await request((api) => api.jobList(listInput(get().filter)));
      if (mine !== seq) return;
      if (result.ok) set({ jobs: result.value, more: result.value.length === PAGE_SIZE, loading: false });
      else set({ error: result.error, loading: false });
    },

    async loadOlder() {
      const last = get().jobs[get().jobs.length - 1];
      if (!last) return;
      const mine = ++seq;
      set({ loading: true, error: null });
      const result = await request((api) => api.jobList(listInput(get().filter, last.id)));
      if (mine !== seq) return;
      if (result.ok) {
        const known = new Set(get().jobs.map((j) => j.id));
        set({
          jobs: [...get().jobs, ...result.value.filter((j) => !known.has(j.id))],
          more: result.value.length === PAGE_SIZE,
          loading: false,
        });
      } else set({ error: result.error, loading: false });
    },

    async openJob(jobId) {
      set({ openError: null });
      const result = await request((api) => api.jobGet({ jobId }));
      if (result.ok) set({ open: result.value });
      else set({ openError: result.error });
    },

    closeJob() {
      set({ open: null, openError: null });
    },

    jobChanged(job) {
      const { jobs, filter, open } = get();
      set({ jobs: mergeJob(jobs, filter, job) });
      // The open job's details follow it; its log is read again when it ends.
      if (open && open.job.id === job.id) {
        set({ open: { ...open, job } });
        if (job.status !== 'running' && job.status !== 'waiting') void get().openJob(job.id);
      }
    },

    reset() {
      seq++;
      set(INITIAL);
    },
  };
});
