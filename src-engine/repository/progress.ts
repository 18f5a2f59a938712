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
  now: () => number = Date.now,
): (force?: boolean) => void {
  let lastEmit = 0;
  const eta = new EtaEstimator();
  return (force = false) => {
    const t = now();
    if (!onProgress || (!force && t - lastEmit < intervalMs)) return;
    lastEmit = t;
    const secs = (t - started) / 1000;
    const estimate = eta.update(t, progress.bytesDone, progress.bytesTotal);
    progress.rate = estimate.rate ?? (secs > 0 ? progress.bytesDone / secs : 0);
    progress.eta = estimate.eta;
    onProgress({ ...progress });
  };
}

/** One sample a second; the rate is taken over the last ten. */
const SAMPLE_MS = 1000;
const WINDOW_SAMPLES = 10;
/** No time left is said before this much of transfer, however steady it looks. */
const MIN_TRANSFER_MS = 5000;
/** How many samples in a row the recent rate must stay near the smoothed one before it is trusted. */
const STEADY_SAMPLES = 3;

/**
 * Time left from the recent rate, smoothed, rather than from the average since the start: a start
 * of unchanged files read from cache, the scan, or a pause throws that average off by orders of
 * magnitude ("14 minutes" then "1624 hours"). Says nothing (undefined) until the rate is steady,
 * and nothing again while the transfer has stalled for a whole window.
 */
export class EtaEstimator {
  private readonly samples: { t: number; bytes: number }[] = [];
  private smoothed: number | undefined;
  private firstByteAt: number | undefined;
  private steadyRun = 0;

  update(
    t: number,
    bytesDone: number,
    bytesTotal: number,
  ): { rate: number | undefined; eta: number | undefined } {
    if (this.firstByteAt === undefined) {
      if (bytesDone <= 0) return { rate: undefined, eta: undefined };
      this.firstByteAt = t;
      this.samples.push({ t, bytes: bytesDone });
    }
    const last = this.samples[this.samples.length - 1]!;
    if (t - last.t >= SAMPLE_MS) {
      this.samples.push({ t, bytes: bytesDone });
      if (this.samples.length > WINDOW_SAMPLES + 1) this.samples.shift();
      const first = this.samples[0]!;
      const recent = (bytesDone - first.bytes) / ((t - first.t) / 1000);
      const near =
        this.smoothed !== undefined &&
        recent > 0 &&
        recent <= 2 * this.smoothed &&
        recent >= 0.5 * this.smoothed;
      // Near: smoothed, so the estimate does not leap. Far (the kind of files changed, a pause): start
      // again from the recent rate, and wait for it to hold before saying a time.
      this.smoothed = near
        ? this.smoothed! + 0.3 * (recent - this.smoothed!)
        : recent > 0
          ? recent
          : undefined;
      this.steadyRun = near ? this.steadyRun + 1 : 0;
    }
    const rate = this.smoothed;
    const ready = t - this.firstByteAt >= MIN_TRANSFER_MS && this.steadyRun >= STEADY_SAMPLES;
    if (!ready || rate === undefined || rate <= 0) return { rate, eta: undefined };
    return { rate, eta: Math.max(0, (bytesTotal - bytesDone) / rate) };
  }
}
