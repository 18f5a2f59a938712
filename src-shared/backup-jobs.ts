/**
 * Jobs as the history and the renderer see them: one run of backup, restore, verify, retention or
 * catalogue (bringing the file catalogue up to date), its outcome, counts, and its log. A backup's
 * clean-up of old backups and search-index update are phases of its own row, not jobs of their own.
 * Shared by main's JobHistoryStore, the IPC contract and the page.
 */
import type { BackupPhase } from './job-protocol';

export type { BackupPhase } from './job-protocol';
export const JOB_KINDS = ['backup', 'restore', 'verify', 'retention', 'catalogue'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/**
 * waiting: queued behind another job of the same vault (or for an unlock when the vault password is
 * not kept); running; then one end state. warning: finished, but some files could not be read or
 * written (a partial snapshot, an incomplete restore); skipped: never started, `message` says why.
 */
export const JOB_STATUSES = [
  'waiting',
  'running',
  'success',
  'warning',
  'failed',
  'cancelled',
  'skipped',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const JOB_END_STATUSES = ['success', 'warning', 'failed', 'cancelled', 'skipped'] as const;
export type JobEndStatus = (typeof JOB_END_STATUSES)[number];

/** manual: "Back up now" and the like; schedule: on time; catch-up: a missed run made up for later. */
export type JobTrigger = 'manual' | 'schedule' | 'catch-up';

export interface JobRecord {
  id: string;
  kind: JobKind;
  /** The protected item (backup, retention, restore from an item); null for vault-level jobs. */
  itemId: string | null;
  vaultId: string;
  /** Names at the time of the run, so history stays readable after a rename or removal. */
  itemName: string | null;
  vaultName: string;
  trigger: JobTrigger;
  status: JobStatus;
  queuedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  /** One line a person reads: the summary, why it failed, why it was skipped. */
  message: string | null;
  /** The snapshot made (backup) or read (restore). */
  snapshotId: string | null;
  filesTotal: number;
  /** Files backed up / restored / checked. */
  filesDone: number;
  /** Files that could not be read or written (each is in the log with its path and reason). */
  filesFailed: number;
  bytesTotal: number;
  /** Bytes read from disk (backup) or written (restore). */
  bytesDone: number;
  /** Bytes added to the vault after deduplication and compression (backup). */
  bytesAdded: number;
  /** Backup: files new, changed and unchanged since the item's previous backup; null when not known. */
  filesNew: number | null;
  filesChanged: number | null;
  filesUnmodified: number | null;
  /** Backup: the phases run after its snapshot was saved (clean-up, search index), in order. */
  phases: BackupPhase[];
  /** Restore: where the files went, and those restored under a new name (keep both); null before its end. */
  restored: RestoredFiles | null;
}

export interface RestoredFiles {
  /** The folder the files were restored into ("/": their original location). */
  target: string;
  /** The first few files restored beside the one that was there: where each was to go, and its path. */
  keptBoth: { path: string; restoredAs: string }[];
  keptBothCount: number;
  /** A restore that stopped before writing anything, since the selection did not fit: need and room. */
  tooLittleSpace?: { neededBytes: number; freeBytes: number };
}

/** What identifies a job when it is queued; everything else starts empty. */
export type NewJobFields = Pick<
  JobRecord,
  'id' | 'kind' | 'itemId' | 'vaultId' | 'itemName' | 'vaultName' | 'trigger' | 'status' | 'queuedAt'
>;

/** A job record with no start, end, message, snapshot or counts yet. */
export function newJobRecord(fields: NewJobFields): JobRecord {
  return {
    ...fields,
    startedAt: null,
    endedAt: null,
    message: null,
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
  };
}

export type JobLogLevel = 'info' | 'warning' | 'error';
export interface JobLogEntry {
  at: string;
  level: JobLogLevel;
  /** The file the entry is about, if any. */
  path: string | null;
  message: string;
}

export type JobPhase =
  'waiting' | 'scan' | 'backup' | 'restore' | 'verify' | 'retention' | 'catalogue' | 'finish';

/** Live progress of a running job (also what the tray's status line shows). */
export interface JobProgress {
  jobId: string;
  phase: JobPhase;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  currentFile: string | null;
  /** Bytes per second. */
  rate: number;
  /** Seconds; null before a rate is known. */
  eta: number | null;
}
