import { isIP } from 'node:net';
import type { Db } from '../db/database';
import type { Clock } from './clock';

/** Consecutive failures allowed before any wait. */
export const FREE_FAILURES = 5;
export const MAX_WAIT_SECONDS = 15 * 60;
/** NIST SP 800-63B 5.2.2: at most 100 consecutive failures without a long wait. */
export const LONG_WAIT_EVERY = 100;
export const LONG_WAIT_SECONDS = 60 * 60;

/**
 * Seconds a key must wait after its `failures`-th consecutive failure: nothing for the first
 * five, then 1 s, 2 s, 4 s ... up to 15 minutes, and one hour after every 100th failure.
 */
export function waitAfterFailures(failures: number): number {
  if (failures < FREE_FAILURES) return 0;
  if (failures % LONG_WAIT_EVERY === 0) return LONG_WAIT_SECONDS;
  return Math.min(2 ** (failures - FREE_FAILURES), MAX_WAIT_SECONDS);
}

/**
 * The throttle key of a client address. One IPv6 host is usually handed a whole /64 and can pick
 * any address in it, so IPv6 is counted per /64 (otherwise each attempt could come from a fresh
 * address); an IPv4-mapped IPv6 address counts as the IPv4 address it is.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return `address:${mapped[1]}`;
  if (isIP(address) !== 6) return `address:${address}`;
  const [head = '', tail = ''] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `address:${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export type ThrottleDecision =
  { allowed: true; ticket: ThrottleTicket } | { allowed: false; retryAfterSeconds: number };

/** A charged attempt: settle it with success(), failure() (already counted) or refund(). */
export interface ThrottleTicket {
  keys: string[];
  previous: Map<string, { failures: number; blockedUntil: number }>;
}

/**
 * Failure counters per key (an account name, a client address), kept in SQLite so a restart
 * does not reset them. An attempt is charged as a failure *before* any password work and in
 * one transaction with the check, so a flood of concurrent requests cannot all slip through
 * the same gap: each passing attempt moves the next allowed time forward at once.
 */
export class ThrottleStore {
  private readonly get;
  private readonly put;
  private readonly remove;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    this.get = db.prepare<[string], { failures: number; blocked_until: number }>(
      'SELECT failures, blocked_until FROM throttle WHERE key = ?',
    );
    this.put = db.prepare(
      `INSERT INTO throttle (key, failures, blocked_until) VALUES (?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, blocked_until = excluded.blocked_until`,
    );
    this.remove = db.prepare('DELETE FROM throttle WHERE key = ?');
  }

  /** Refuses if any key is waiting; otherwise charges one failure to every key. */
  attempt(keys: string[]): ThrottleDecision {
    return this.db
      .transaction((): ThrottleDecision => {
        const now = this.clock.now();
        const rows = keys.map((key) => ({ key, row: this.get.get(key) }));
        const waitMs = Math.max(0, ...rows.map(({ row }) => (row ? row.blocked_until - now : 0)));
        if (waitMs > 0) return { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
        const previous = new Map<string, { failures: number; blockedUntil: number }>();
        for (const { key, row } of rows) {
          const failures = (row?.failures ?? 0) + 1;
          previous.set(key, { failures: row?.failures ?? 0, blockedUntil: row?.blocked_until ?? 0 });
          this.put.run(key, failures, now + waitAfterFailures(failures) * 1000);
        }
        return { allowed: true, ticket: { keys, previous } };
      })
      .immediate();
  }

  /** A success resets every key of the attempt. */
  success(ticket: ThrottleTicket): void {
    this.db.transaction(() => ticket.keys.forEach((key) => this.remove.run(key)))();
  }

  /**
   * Undoes the charge of an attempt that was neither a success nor a failure (right password,
   * code not yet given), unless another attempt has changed the counter since.
   */
  refund(ticket: ThrottleTicket): void {
    this.db.transaction(() => {
      for (const [key, before] of ticket.previous) {
        const row = this.get.get(key);
        if (!row || row.failures !== before.failures + 1) continue;
        if (before.failures === 0) this.remove.run(key);
        else this.put.run(key, before.failures, before.blockedUntil);
      }
    })();
  }

  /** Current consecutive failures of a key (for tests and the admin). */
  failures(key: string): number {
    return this.get.get(key)?.failures ?? 0;
  }

  clear(key: string): void {
    this.remove.run(key);
  }
}
