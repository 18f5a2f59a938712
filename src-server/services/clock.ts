/** Time as a port, so TOTP windows, expiries and throttling can be tested with an injected clock. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
