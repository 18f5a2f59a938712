/**
 * Every SQL statement on the accounts table. The services decide (who may sign in, when TOTP is
 * on); this says how a decision is stored, and the conditional updates that make a check and its
 * write one atomic step live here with their conditions.
 */
import type { Db } from './database';

export interface AccountRow {
  id: number;
  username: string;
  password_hash: string;
  created_at: number;
  totp_secret_enc: string | null;
  totp_enabled_at: number | null;
  totp_last_step: number | null;
}

export class AccountsTable {
  constructor(private readonly db: Db) {}

  byUsername(username: string): AccountRow | undefined {
    return this.db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE username = ?').get(username);
  }

  byId(id: number): AccountRow | undefined {
    return this.db.prepare<[number], AccountRow>('SELECT * FROM accounts WHERE id = ?').get(id);
  }

  all(): AccountRow[] {
    return this.db.prepare<[], AccountRow>('SELECT * FROM accounts ORDER BY username').all();
  }

  /** Throws SQLITE_CONSTRAINT_UNIQUE when the name is taken. */
  insert(username: string, passwordHash: string, createdAt: number): void {
    this.db
      .prepare('INSERT INTO accounts (username, password_hash, created_at) VALUES (?, ?, ?)')
      .run(username, passwordHash, createdAt);
  }

  setPasswordHash(id: number, hash: string): void {
    this.db.prepare('UPDATE accounts SET password_hash = ? WHERE id = ?').run(hash, id);
  }

  /** Replaces the hash only if it is still `expected`; false if it changed meanwhile. */
  replacePasswordHash(id: number, hash: string, expected: string): boolean {
    return (
      this.db
        .prepare('UPDATE accounts SET password_hash = ? WHERE id = ? AND password_hash = ?')
        .run(hash, id, expected).changes === 1
    );
  }

  /** Turns TOTP on unless it already is; false if it was (a concurrent confirmation won). */
  enableTotp(id: number, secretEnc: string, at: number, step: number): boolean {
    return (
      this.db
        .prepare(
          `UPDATE accounts SET totp_secret_enc = ?, totp_enabled_at = ?, totp_last_step = ?
           WHERE id = ? AND totp_secret_enc IS NULL`,
        )
        .run(secretEnc, at, step, id).changes === 1
    );
  }

  /** totp_last_step stays: harmless with a new secret, and it keeps replays of old codes out. */
  disableTotp(id: number): void {
    this.db
      .prepare('UPDATE accounts SET totp_secret_enc = NULL, totp_enabled_at = NULL WHERE id = ?')
      .run(id);
  }

  /**
   * Records `step` as the last accepted TOTP step if it is later than the one stored: the atomic
   * check-and-set that lets one of two concurrent requests with the same code through.
   */
  advanceTotpStep(id: number, step: number): boolean {
    return (
      this.db
        .prepare(
          'UPDATE accounts SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)',
        )
        .run(step, id, step).changes === 1
    );
  }
}
