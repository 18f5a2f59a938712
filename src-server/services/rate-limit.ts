/**
 * A per-address request budget kept in memory: at most `perMinute` requests in each minute.
 * For a route that answers anyone and costs little (the sign-in parameters), where the throttle's
 * failure counters (throttle.ts) would never fall for a busy but honest address.
 */
import type { Clock } from './clock';
import { ServiceError } from './service-error';
import { addressKey } from './throttle';

const WINDOW_MS = 60_000;

export class RateLimit {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly clock: Clock,
    readonly perMinute: number,
    private readonly what: string,
  ) {}

  /** Counts one request from `address`, or refuses with Retry-After when its minute is used up. */
  take(address: string): void {
    const now = this.clock.now();
    const key = addressKey(address);
    if (this.windows.size > 10_000) this.sweep(now);
    const window = this.windows.get(key);
    if (!window || now - window.start >= WINDOW_MS) {
      this.windows.set(key, { start: now, count: 1 });
      return;
    }
    if (window.count >= this.perMinute) {
      const wait = Math.max(1, Math.ceil((window.start + WINDOW_MS - now) / 1000));
      throw new ServiceError('throttled', `Too many ${this.what}. Try again in ${wait} s.`, wait);
    }
    window.count++;
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (now - window.start >= WINDOW_MS) this.windows.delete(key);
  }
}
