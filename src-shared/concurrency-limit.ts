/**
 * First come, first served: at most `limit` tasks run at once. Used wherever a burst of work must not take
 * every core or every file descriptor (the server's password hashing, the engine's restore writes).
 */
export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`a concurrency limit must be a whole number of at least 1, not ${limit}`);
    }
  }

  /** Tasks running now. */
  get running(): number {
    return this.active;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // Hand the slot straight to the next waiter, so a task arriving in between cannot take it and
      // `active` stays the number running.
      if (next) next();
      else this.active--;
    }
  }
}
