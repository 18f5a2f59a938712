/**
 * At most one progress message per interval (4 a second by default): a progress bar needs no more,
 * and main forwards each one to the page. The latest state is never lost: a change that arrives
 * inside the interval is sent when it ends, and `flush` sends what is pending at once (before `done`,
 * or when the phase changes).
 */
export class ProgressThrottle<P> {
  private last = 0;
  private pending: P | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (p: P) => void,
    private readonly intervalMs = 250,
    private readonly now: () => number = Date.now,
  ) {}

  push(p: P): void {
    this.pending = p;
    const wait = this.last + this.intervalMs - this.now();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === undefined) return;
    const p = this.pending;
    this.pending = undefined;
    this.last = this.now();
    this.send(p);
  }
}
