/**
 * Test-only clock for the harness (`--test-clock`): real time plus an offset that a test can
 * push forward, so the idle-lock journey proves "one minute without input locks" in seconds
 * instead of waiting a real minute. Timers run on real time as usual, and also fire at once when
 * a skip passes their due time. Nothing else in the harness changes; only time is faked.
 */
import type { Clock, TimerHandle } from '../src-main/services/ports';

interface Timer {
  due: number;
  fn: () => void;
  real: ReturnType<typeof setTimeout>;
}

export class SkippableClock implements Clock {
  private offset = 0;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();

  now(): number {
    return Date.now() + this.offset;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const wait = Math.max(0, ms);
    const real = setTimeout(() => this.fire(id), wait);
    real.unref();
    this.timers.set(id, { due: this.now() + wait, fn, real });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = this.timers.get(handle as number);
    if (timer) clearTimeout(timer.real);
    this.timers.delete(handle as number);
  }

  /** Moves time forward by `ms` and runs every timer that is due by then, earliest first. */
  skip(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('skip needs a non-negative number of ms');
    this.offset += ms;
    const due = [...this.timers.entries()]
      .filter(([, t]) => t.due <= this.now())
      .sort((a, b) => a[1].due - b[1].due);
    for (const [id] of due) this.fire(id);
  }

  private fire(id: number): void {
    const timer = this.timers.get(id);
    if (!timer) return;
    clearTimeout(timer.real);
    this.timers.delete(id);
    timer.fn();
  }
}
