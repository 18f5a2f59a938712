/**
 * Every SQL statement on the accounts table. The services decide (who may sign in, when TOTP is
 * on); this says how a decision is stored, and the conditional updates that make a check and its
 * write one atomic step live here with their conditions.
 */
import type { Db } from './database';

export interface AccountRow {
  id: number;
  username: string;
  created_at: number;
  totp_secret_enc: string | null;
  totp_enabled_at: number | null;
  totp_last_step: number | null;
  /** 128 random bits (hex): the account's name in every associated data and MAC. */
  account_uid: string;
  /** JSON of the password's Argon2id parameters and salt (PasswordKdf); null until migrated. */
  auth_kdf: string | null;
  /** HMAC(server subkey "verifier", account uid | auth key); null until migrated. */
  auth_verifier: string | null;
  /** Until its first sign-in with the auth key: `scrypt-mac$N$r$p$salt$mac` (or, before the server's first start, the old hash). */
  legacy_hash: string | null;
  /** Bumped by compare-and-swap at every credential change. */
  key_generation: number;
  /** The account master key's id; null until the app made one. */
  key_id: string | null;
  /** 1: the administrator set the password; it must be replaced before anything else. */
  password_temporary: 0 | 1;
  /** 0 after an administrator's reset of an account with a key, until the app wraps it with the new password. */
  password_wrap_current: 0 | 1;
}

/** The columns a credential change may set, besides the generation. */
export interface CredentialColumns {
  auth_kdf?: string;
  auth_verifier?: string;
  legacy_hash?: null;
  key_id?: string;
  password_temporary?: 0 | 1;
  password_wrap_current?: 0 | 1;
}
const CREDENTIAL_COLUMNS: ReadonlyArray<keyof CredentialColumns> = [
  'auth_kdf',
  'auth_verifier',
  'legacy_hash',
  'key_id',
  'password_temporary',
  'password_wrap_current',
];

export interface NewAccount {
  username: string;
  accountUid: string;
  authKdf: string;
  authVerifier: string;
  temporary: boolean;
  createdAt: number;
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

  /** Throws SQLITE_CONSTRAINT_UNIQUE when the name is taken. Its credentials start at generation 1. */
  insert(a: NewAccount): void {
    this.db
      .prepare(
        `INSERT INTO accounts (username, account_uid, auth_kdf, auth_verifier, key_generation,
           password_temporary, password_wrap_current, created_at)
         VALUES (?, ?, ?, ?, 1, ?, 1, ?)`,
      )
      .run(a.username, a.accountUid, a.authKdf, a.authVerifier, a.temporary ? 1 : 0, a.createdAt);
  }

  /**
   * The compare-and-swap of every credential change: sets `columns` and generation + 1 only if
   * the generation is still `expected` (and, with `unlessTemporary`, the password is not one the
   * administrator set). False: another change won, nothing was written.
   */
  changeCredentials(
    id: number,
    expected: number,
    columns: CredentialColumns,
    opts: { unlessTemporary?: boolean } = {},
  ): boolean {
    const names = CREDENTIAL_COLUMNS.filter((c) => c in columns);
    const sets = ['key_generation = key_generation + 1', ...names.map((c) => `${c} = ?`)].join(', ');
    const temporary = opts.unlessTemporary ? ' AND password_temporary = 0' : '';
    return (
      this.db
        .prepare(`UPDATE accounts SET ${sets} WHERE id = ? AND key_generation = ?${temporary}`)
        .run(...names.map((c) => columns[c] ?? null), id, expected).changes === 1
    );
  }

  /**
   * Moves a not-yet-migrated account to the auth key: only while its old hash is still the one
   * just checked, in the same step as its generation moves on.
   */
  migrate(id: number, expectedLegacyHash: string, authKdf: string, authVerifier: string): boolean {
    return (
      this.db
        .prepare(
          `UPDATE accounts SET legacy_hash = NULL, auth_kdf = ?, auth_verifier = ?,
             key_generation = key_generation + 1
           WHERE id = ? AND legacy_hash = ?`,
        )
        .run(authKdf, authVerifier, id, expectedLegacyHash).changes === 1
    );
  }

  /** Old hashes not yet turned into a keyed MAC (rows of a server from before the auth key). */
  plainLegacyHashes(): Array<{ id: number; legacy_hash: string }> {
    return this.db
      .prepare<[], { id: number; legacy_hash: string }>(
        "SELECT id, legacy_hash FROM accounts WHERE legacy_hash LIKE 'scrypt$%'",
      )
      .all();
  }

  replaceLegacyHash(id: number, from: string, to: string): void {
    this.db.prepare('UPDATE accounts SET legacy_hash = ? WHERE id = ? AND legacy_hash = ?').run(to, id, from);
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
