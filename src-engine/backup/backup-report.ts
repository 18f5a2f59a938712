/**
 * What one backup tells: its progress (counts, rate, ETA), the snapshot's summary, and every warning and
 * failure, with whether the snapshot is partial. Every part of the backup reports through one of these.
 */
import { displayName, type FsPath } from '../fs/fs-names';
import { progressEmitter, type TransferProgress } from '../repository/progress';
import type { SnapshotSummary } from '../repository/repository';

export interface BackupProgress extends TransferProgress {
  phase: 'scan' | 'backup' | 'finish';
}

/** One source path left out of the snapshot (or stored without something it had), with why. */
export interface BackupFailure {
  /** The source path (bytes of a name that is not UTF-8 as \xNN). */
  path: string;
  reason: string;
}

export class BackupReport {
  readonly warnings: string[] = [];
  readonly failures: BackupFailure[] = [];
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
    private readonly onWarning: ((message: string) => void) | undefined,
    onProgress: ((p: BackupProgress) => void) | undefined,
    progressIntervalMs: number | undefined,
  ) {
    this.emit = progressEmitter(this.progress, started, onProgress, progressIntervalMs);
  }

  /** `what` is the path; a failure (missing data) makes the snapshot partial, a note does not. */
  warn(what: FsPath, reason: string, missingData = true): void {
    const m = `${displayName(what)}: ${reason}`;
    this.warnings.push(m);
    if (missingData) {
      this.partial = true;
      this.failures.push({ path: displayName(what), reason });
    }
    this.onWarning?.(m);
  }

  /** File bytes read (and chunked), whether or not they were new to the repository. */
  bytesRead(n: number): void {
    this.progress.bytesDone += n;
    this.summary.bytesProcessed += n;
    this.emit();
  }

  phase(p: BackupProgress['phase']): void {
    this.progress.phase = p;
    this.emit(true);
  }
}
