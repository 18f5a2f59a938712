/**
 * A floor under an upload's pace. An idle timeout alone lets a client hold a connection and its
 * quota reservation for ever by sending one byte every few seconds; here the bytes received over
 * the last `windowMs` must average at least `minBytesPerSecond`, once `graceMs` has passed. Only
 * the time the server spends waiting for the client counts: while the store is slow and the body
 * is held back, the clock stops.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';

export interface PaceOptions {
  minBytesPerSecond: number;
  /** The average is over this much of the client's time (default a minute). */
  windowMs?: number;
  /** No verdict before the client has had this much time (default 10 s: TCP's slow start, a slow first hop). */
  graceMs?: number;
}

export const DEFAULT_UPLOAD_PACE: Required<PaceOptions> = {
  minBytesPerSecond: 16 * 1024,
  windowMs: 60_000,
  graceMs: 10_000,
};

/** The upload went on more slowly than the server allows: nothing of it was stored. */
export class UploadTooSlowError extends Error {
  constructor(minBytesPerSecond: number) {
    super(
      `The upload was too slow (under ${Math.round(minBytesPerSecond / 1024)} KiB/s on average) and was stopped.`,
    );
    this.name = 'UploadTooSlowError';
  }
}

/** The client closed the connection before the whole body arrived. */
export class UploadCutOffError extends Error {
  constructor() {
    super('The upload was cut off.');
    this.name = 'UploadCutOffError';
  }
}

class PaceGuard extends Transform {
  private readonly samples: number[] = [];
  private current = 0;
  private waitedMs = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly tickMs: number;
  private readonly windowTicks: number;
  private readonly graceMs: number;

  constructor(
    private readonly source: Readable,
    private readonly opts: PaceOptions,
  ) {
    super();
    const windowMs = opts.windowMs ?? DEFAULT_UPLOAD_PACE.windowMs;
    this.graceMs = opts.graceMs ?? DEFAULT_UPLOAD_PACE.graceMs;
    this.tickMs = Math.min(1000, Math.max(10, Math.floor(windowMs / 20)));
    this.windowTicks = Math.max(1, Math.round(windowMs / this.tickMs));
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.current += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    clearInterval(this.timer);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearInterval(this.timer);
    callback(error);
  }

  private tick(): void {
    // Held back by the server (what comes after this stream is full, or the body was paused for
    // it): not the client's time.
    const heldBack =
      this.readableLength >= this.readableHighWaterMark || this.writableLength > 0 || this.source.isPaused();
    if (heldBack) {
      this.current = 0;
      return;
    }
    this.samples.push(this.current);
    this.current = 0;
    if (this.samples.length > this.windowTicks) this.samples.shift();
    this.waitedMs += this.tickMs;
    if (this.waitedMs < this.graceMs) return;
    const bytes = this.samples.reduce((a, b) => a + b, 0);
    const seconds = (this.samples.length * this.tickMs) / 1000;
    if (bytes < this.opts.minBytesPerSecond * seconds) {
      this.destroy(new UploadTooSlowError(this.opts.minBytesPerSecond));
    }
  }
}

/**
 * The body as a stream that fails with UploadTooSlowError when the client falls under the pace,
 * and with the body's own error (or UploadCutOffError) when the connection drops, at once.
 * `onHeldBack` hears when the server stops reading the body (the store is busy) and starts again:
 * the connection's idle timeout must not count that time against the client.
 */
export function paced(source: Readable, opts: PaceOptions, onHeldBack?: (held: boolean) => void): Readable {
  const guard = new PaceGuard(source, opts);
  if (onHeldBack) {
    source.on('pause', () => onHeldBack(true));
    source.on('resume', () => onHeldBack(false));
  }
  source.once('error', (error) => guard.destroy(error));
  source.once('close', () => {
    if (!source.readableEnded) guard.destroy(new UploadCutOffError());
  });
  guard.once('error', () => source.unpipe(guard));
  source.pipe(guard);
  return guard;
}
