import { isIP } from 'node:net';
import type { Db } from '../db/database';
import type { Clock } from './clock';
import type { ServerKey } from './server-key';

/** How a kind of key waits: free attempts, then 1 s doubling up to a cap. */
export interface ThrottleSchedule {
  freeAttempts: number;
  maxWaitSeconds: number;
  /** Every this many consecutive attempts, one long wait (NIST SP 800-63B 5.2.2), if set. */
  longWaitEvery?: number;
  longWaitSeconds?: number;
}

/** Consecutive failures allowed before any wait. */
export const FREE_FAILURES = 5;
export const MAX_WAIT_SECONDS = 15 * 60;
/** NIST SP 800-63B 5.2.2: at most 100 consecutive failures without a long wait. */
export const LONG_WAIT_EVERY = 100;
export const LONG_WAIT_SECONDS = 60 * 60;

/** Password and code attempts, per account and per client address. */
export const SIGN_IN_SCHEDULE: ThrottleSchedule = {
  freeAttempts: FREE_FAILURES,
  maxWaitSeconds: MAX_WAIT_SECONDS,
  longWaitEvery: LONG_WAIT_EVERY,
  longWaitSeconds: LONG_WAIT_SECONDS,
};
/** Sign-ups from one client address: as sign-in (each costs a full hash, or tells a name is taken). */
export const SIGN_UP_PER_ADDRESS_SCHEDULE: ThrottleSchedule = SIGN_IN_SCHEDULE;
/** Sign-ups from everywhere together: bursts of 20, then at most one a minute. */
export const SIGN_UP_TOTAL_SCHEDULE: ThrottleSchedule = { freeAttempts: 20, maxWaitSeconds: 60 };

/**
 * A key is forgotten this long after its back-off ended (a day without an attempt): the counter
 * starts again from zero. Longer than any wait, so a steady attacker is never forgotten.
 */
export const THROTTLE_FORGET_MS = 24 * 60 * 60 * 1000;

/**
 * Seconds a key must wait after its `failures`-th consecutive failure: with the sign-in schedule,
 * nothing for the first five, then 1 s, 2 s, 4 s ... up to 15 minutes, and one hour after every
 * 100th failure.
 */
export function waitAfterFailures(failures: number, schedule: ThrottleSchedule = SIGN_IN_SCHEDULE): number {
  if (failures < schedule.freeAttempts) return 0;
  if (schedule.longWaitEvery && failures % schedule.longWaitEvery === 0) return schedule.longWaitSeconds ?? 0;
  return Math.min(2 ** (failures - schedule.freeAttempts), schedule.maxWaitSeconds);
}

/** Which schedule a key follows, by its kind (the text before the first colon). */
const SCHEDULES: Record<string, ThrottleSchedule> = {
  account: SIGN_IN_SCHEDULE,
  address: SIGN_IN_SCHEDULE,
  'signup-address': SIGN_UP_PER_ADDRESS_SCHEDULE,
  'recovery-address': SIGN_IN_SCHEDULE,
  signup: SIGN_UP_TOTAL_SCHEDULE,
};

function scheduleOf(key: string): ThrottleSchedule {
  return SCHEDULES[key.slice(0, key.indexOf(':'))] ?? SIGN_IN_SCHEDULE;
}

/**
 * The throttle key of a client address. One IPv6 host is usually handed a whole /64 and can pick
 * any address in it, so IPv6 is counted per /64 (otherwise each attempt could come from a fresh
 * address); an IPv4-mapped IPv6 address counts as the IPv4 address it is.
 */
export function addressKey(
  address: string,
  kind: 'address' | 'signup-address' | 'recovery-address' = 'address',
): string {
  return `${kind}:${networkOf(address)}`;
}

/** The one key all sign-ups share. */
export const SIGN_UP_TOTAL_KEY = 'signup:all';

function networkOf(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
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
 *
 * Rows are keyed by an HMAC of the key under the server key, so the table never holds the
 * usernames people tried (typos, other people's names, passwords typed into the name field) nor
 * their addresses; rows are dropped a day after their back-off ended (THROTTLE_FORGET_MS).
 */
export class ThrottleStore {
  private readonly get;
  private readonly put;
  private readonly remove;
  private readonly forget;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly serverKey: ServerKey,
  ) {
    this.get = db.prepare<[string], { failures: number; blocked_until: number }>(
      'SELECT failures, blocked_until FROM throttle WHERE key = ?',
    );
    this.put = db.prepare(
      `INSERT INTO throttle (key, failures, blocked_until) VALUES (?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, blocked_until = excluded.blocked_until`,
    );
    this.remove = db.prepare('DELETE FROM throttle WHERE key = ?');
    this.forget = db.prepare<[number]>('DELETE FROM throttle WHERE blocked_until < ?');
    this.hashPlainRows();
  }

  /** Refuses if any key is waiting; otherwise charges one failure to every key. */
  attempt(keys: string[]): ThrottleDecision {
    return this.db
      .transaction((): ThrottleDecision => {
        const now = this.clock.now();
        // Opportunistic sweep, in the write this attempt makes anyway (indexed: cheap).
        this.forget.run(now - THROTTLE_FORGET_MS);
        const rows = keys.map((key) => ({ key, row: this.get.get(this.rowKey(key)) }));
        const waitMs = Math.max(0, ...rows.map(({ row }) => (row ? row.blocked_until - now : 0)));
        if (waitMs > 0) return { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
        const previous = new Map<string, { failures: number; blockedUntil: number }>();
        for (const { key, row } of rows) {
          const failures = (row?.failures ?? 0) + 1;
          previous.set(key, { failures: row?.failures ?? 0, blockedUntil: row?.blocked_until ?? 0 });
          this.put.run(this.rowKey(key), failures, now + waitAfterFailures(failures, scheduleOf(key)) * 1000);
        }
        return { allowed: true, ticket: { keys, previous } };
      })
      .immediate();
  }

  /** A success resets every key of the attempt. */
  success(ticket: ThrottleTicket): void {
    this.db.transaction(() => ticket.keys.forEach((key) => this.remove.run(this.rowKey(key))))();
  }

  /**
   * Undoes the charge of an attempt that was neither a success nor a failure (right password,
   * code not yet given), unless another attempt has changed the counter since.
   */
  refund(ticket: ThrottleTicket): void {
    this.db.transaction(() => {
      for (const [key, before] of ticket.previous) {
        const rowKey = this.rowKey(key);
        const row = this.get.get(rowKey);
        if (!row || row.failures !== before.failures + 1) continue;
        if (before.failures === 0) this.remove.run(rowKey);
        else this.put.run(rowKey, before.failures, before.blockedUntil);
      }
    })();
  }

  /** Current consecutive failures of a key (for tests and the admin). */
  failures(key: string): number {
    return this.get.get(this.rowKey(key))?.failures ?? 0;
  }

  clear(key: string): void {
    this.remove.run(this.rowKey(key));
  }

  /** Drops keys whose back-off ended more than THROTTLE_FORGET_MS ago (also run on a timer). */
  sweep(): void {
    this.forget.run(this.clock.now() - THROTTLE_FORGET_MS);
  }

  private rowKey(key: string): string {
    return this.serverKey.mac('throttle', key);
  }

  /**
   * Servers before schema 2 stored keys in plain text ("account:alice"). Each such row is
   * rewritten under its keyed hash, keeping its counter and wait (an attacker gains nothing from
   * the upgrade), and rows long expired are dropped. Idempotent: a hash never contains a colon.
   */
  private hashPlainRows(): void {
    this.db
      .transaction(() => {
        this.sweep();
        const plain = this.db
          .prepare<[], { key: string; failures: number; blocked_until: number }>(
            "SELECT key, failures, blocked_until FROM throttle WHERE key LIKE '%:%'",
          )
          .all();
        for (const row of plain) {
          this.remove.run(row.key);
          this.put.run(this.rowKey(row.key), row.failures, row.blocked_until);
        }
      })
      .immediate();
  }
}
