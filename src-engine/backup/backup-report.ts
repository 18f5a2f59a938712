/**
 * What one backup tells: its progress (counts, rate, ETA), the snapshot's summary, and every problem as
 * a record (kind, path, reason), with whether the snapshot is partial. Every part of the backup reports
 * through one of these.
 */
import type { EngineProblem, ProblemKind } from '../../src-shared/engine-records';
import { displayName, type FsPath } from '../fs/fs-names';
import { progressEmitter, type TransferProgress } from '../repository/progress';
import type { SnapshotSummary } from '../repository/repository';

export interface BackupProgress extends TransferProgress {
  phase: 'scan' | 'backup' | 'finish';
}

/** A backup's problems are the kinds that concern a source path. */
export type BackupProblemKind = Extract<ProblemKind, 'not-stored' | 'changed' | 'metadata' | 'note'>;

export class BackupReport {
  /** The problems as text, as the snapshot keeps them. */
  readonly warnings: string[] = [];
  readonly problems: EngineProblem[] = [];
  /** Some path is missing from the snapshot (a `not-stored` problem). */
  partial = false;
  readonly summary: SnapshotSummary = {
    filesNew: 0,
    filesChanged: 0,
    filesUnmodified: 0,
    dirs: 0,
    bytesProcessed: 0,
    bytesAdded: 0,
    blobsAdded: 0,
    durationMs: 0,
    totalFilesProcessed: 0,
    totalBytesProcessed: 0,
  };
  readonly progress: BackupProgress = {
    phase: 'scan',
    filesDone: 0,
    filesTotal: 0,
    bytesDone: 0,
    bytesTotal: 0,
    currentFile: '',
    rate: 0,
    eta: undefined,
  };
  /** Hands a copy of the progress to the listener, at most once per interval unless forced. */
  readonly emit: (force?: boolean) => void;

  constructor(
    readonly started: number,
    private readonly onProblem: ((p: EngineProblem) => void) | undefined,
    onProgress: ((p: BackupProgress) => void) | undefined,
    progressIntervalMs: number | undefined,
  ) {
    this.emit = progressEmitter(this.progress, started, onProgress, progressIntervalMs);
  }

  /** One problem with the source path `what`; only `not-stored` makes the snapshot partial. */
  problem(kind: BackupProblemKind, what: FsPath, reason: string, errno?: string): void {
    const p: EngineProblem = { kind, path: displayName(what), reason, ...(errno ? { errno } : {}) };
    this.problems.push(p);
    this.warnings.push(`${p.path}: ${reason}`);
    if (kind === 'not-stored') this.partial = true;
    this.onProblem?.(p);
  }

  /** File bytes read (and chunked), whether or not they were new to the repository. */
  bytesRead(n: number): void {
    this.progress.bytesDone += n;
    this.summary.bytesProcessed += n;
    this.emit();
  }

  /** A file that is in the snapshot, read or reused from the parent: `size` bytes. */
  fileStored(size: number): void {
    this.summary.totalFilesProcessed = (this.summary.totalFilesProcessed ?? 0) + 1;
    this.summary.totalBytesProcessed = (this.summary.totalBytesProcessed ?? 0) + size;
  }

  phase(p: BackupProgress['phase']): void {
    this.progress.phase = p;
    this.emit(true);
  }
}
