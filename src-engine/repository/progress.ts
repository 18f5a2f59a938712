/** Progress of a backup or restore: counts, the current file, and rate and ETA derived from them. */
export interface TransferProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  currentFile: string;
  /** bytes per second */
  rate: number;
  /** seconds, or undefined before a rate is known */
  eta: number | undefined;
}

/**
 * An `emit(force?)` that fills in rate and ETA and hands a copy of `progress` to `onProgress`, at most
 * once per interval unless forced (a progress bar needs no more, and copying per chunk would cost).
 */
export function progressEmitter<P extends TransferProgress>(
  progress: P,
  started: number,
  onProgress: ((p: P) => void) | undefined,
  intervalMs = 100,
): (force?: boolean) => void {
  let lastEmit = 0;
  return (force = false) => {
    const now = Date.now();
    if (!onProgress || (!force && now - lastEmit < intervalMs)) return;
    lastEmit = now;
    const secs = (now - started) / 1000;
    progress.rate = secs > 0 ? progress.bytesDone / secs : 0;
    progress.eta =
      progress.rate > 0 ? Math.max(0, (progress.bytesTotal - progress.bytesDone) / progress.rate) : undefined;
    onProgress({ ...progress });
  };
}
