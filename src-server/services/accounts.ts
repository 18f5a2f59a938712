import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { Secret } from 'otpauth';
import {
  password as passwordSchema,
  username as usernameSchema,
  type AccountSummary,
  type TotpEnrolment,
} from '../../src-shared/http-api';
import type { Db } from '../db/database';
import { ADMIN_CONTEXT, type AuditLog, type RequestContext } from './audit-log';
import type { Clock } from './clock';
import type { PasswordHasher } from './password-hasher';
import type { ServerKey } from './server-key';
import { ServiceError } from './service-error';
import { addressKey, type ThrottleStore, type ThrottleTicket } from './throttle';
import { newRecoveryCodes, normalizeRecoveryCode, type TotpVerifier } from './totp';

export const ENROLMENT_TTL_MS = 10 * 60 * 1000;

/** The same words for an unknown user, a wrong password and a wrong code: no enumeration. */
export const INVALID_CREDENTIALS = 'The username, password or two-factor code is not right.';

export interface AccountRow {
  id: number;
  username: string;
  password_hash: string;
  created_at: number;
  totp_secret_enc: string | null;
  totp_enabled_at: number | null;
  totp_last_step: number | null;
}

export interface Credentials {
  username: string;
  password: string;
  totp?: string | undefined;
  recoveryCode?: string | undefined;
}

export interface AccountServiceDeps {
  db: Db;
  clock: Clock;
  hasher: PasswordHasher;
  key: ServerKey;
  throttle: ThrottleStore;
  audit: AuditLog;
  totp: TotpVerifier;
  requireTotp: boolean;
}

/** Accounts, passwords, TOTP enrolment, recovery codes and the sign-in decision. */
export class AccountService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly hasher: PasswordHasher;
  private readonly key: ServerKey;
  private readonly throttle: ThrottleStore;
  private readonly audit: AuditLog;
  private readonly totp: TotpVerifier;
  readonly requireTotp: boolean;
  /** Verified against when the user does not exist, so that costs what a wrong password costs. */
  private dummy: Promise<string> | null = null;

  constructor(deps: AccountServiceDeps) {
    ({
      db: this.db,
      clock: this.clock,
      hasher: this.hasher,
      key: this.key,
      throttle: this.throttle,
      audit: this.audit,
      totp: this.totp,
      requireTotp: this.requireTotp,
    } = deps);
  }

  /** Makes the unknown-user hash up front, so the first sign-in is not the slow one. */
  async ready(): Promise<void> {
    await this.dummyHash();
  }

  private dummyHash(): Promise<string> {
    // Made once, lazily: the admin CLI opens these services without ever signing anyone in.
    this.dummy ??= this.hasher.hash(randomBytes(16).toString('base64'));
    return this.dummy;
  }

  // ---- lookups ----------------------------------------------------------------------

  byUsername(username: string): AccountRow | undefined {
    return this.db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE username = ?').get(username);
  }

  byId(id: number): AccountRow | undefined {
    return this.db.prepare<[number], AccountRow>('SELECT * FROM accounts WHERE id = ?').get(id);
  }

  summary(account: AccountRow): AccountSummary {
    const remaining = this.db
      .prepare<[number], { n: number }>(
        'SELECT COUNT(*) AS n FROM recovery_codes WHERE account_id = ? AND used_at IS NULL',
      )
      .get(account.id)!.n;
    const totpEnabled = account.totp_secret_enc !== null;
    return {
      username: account.username,
      totpEnabled,
      mustEnrollTotp: this.requireTotp && !totpEnabled,
      recoveryCodesRemaining: totpEnabled ? remaining : 0,
      createdAt: new Date(account.created_at).toISOString(),
    };
  }

  mustEnrollTotp(account: AccountRow): boolean {
    return this.requireTotp && account.totp_secret_enc === null;
  }

  list(): Array<{ username: string; totpEnabled: boolean; createdAt: string }> {
    return this.db
      .prepare<[], AccountRow>('SELECT * FROM accounts ORDER BY username')
      .all()
      .map((a) => ({
        username: a.username,
        totpEnabled: a.totp_secret_enc !== null,
        createdAt: new Date(a.created_at).toISOString(),
      }));
  }

  // ---- creation and passwords -------------------------------------------------------

  async create(rawUsername: string, rawPassword: string): Promise<AccountRow> {
    const username = parseOrThrow(usernameSchema, rawUsername);
    const password = parseOrThrow(passwordSchema, rawPassword);
    if (this.byUsername(username)) throw new ServiceError('username_taken', 'That username is taken.');
    const hash = await this.hasher.hash(password);
    try {
      this.db
        .prepare('INSERT INTO accounts (username, password_hash, created_at) VALUES (?, ?, ?)')
        .run(username, hash, this.clock.now());
    } catch (error) {
      // Two concurrent sign-ups for one name: the UNIQUE constraint decides.
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new ServiceError('username_taken', 'That username is taken.');
      }
      throw error;
    }
    return this.byUsername(username)!;
  }

  /** Administrator's reset: sets a new password and ends the account's sessions. */
  async resetPassword(rawUsername: string, rawPassword: string): Promise<void> {
    const account = this.requireAccount(rawUsername);
    const password = parseOrThrow(passwordSchema, rawPassword);
    const hash = await this.hasher.hash(password);
    this.db.transaction(() => {
      this.db.prepare('UPDATE accounts SET password_hash = ? WHERE id = ?').run(hash, account.id);
      this.db.prepare('DELETE FROM sessions WHERE account_id = ?').run(account.id);
      this.throttle.clear(accountKey(account.username));
    })();
    this.audit.record(account.id, 'password_changed', ADMIN_CONTEXT);
  }

  /** A signed-in user's change; other sessions of the account end (the caller keeps its own). */
  async changePassword(
    account: AccountRow,
    currentPassword: string,
    newPassword: string,
    ctx: RequestContext,
    keepSessionHash: string | null,
  ): Promise<void> {
    const ticket = this.charge(account.username, ctx);
    if (!(await this.hasher.verify(currentPassword, account.password_hash))) {
      throw new ServiceError('invalid_credentials', 'The current password is not right.');
    }
    const hash = await this.hasher.hash(newPassword);
    this.db.transaction(() => {
      this.db.prepare('UPDATE accounts SET password_hash = ? WHERE id = ?').run(hash, account.id);
      this.db
        .prepare('DELETE FROM sessions WHERE account_id = ? AND id_hash IS NOT ?')
        .run(account.id, keepSessionHash);
    })();
    this.throttle.success(ticket);
    this.audit.record(account.id, 'password_changed', ctx);
  }

  // ---- sign-in ----------------------------------------------------------------------

  /**
   * The sign-in decision. Throttling is checked (and the attempt charged) before any password
   * work; an unknown user costs one hash verification like a wrong password and gets the same
   * answer. With TOTP on, a right password without a code answers totp_required.
   */
  async signIn(creds: Credentials, ctx: RequestContext): Promise<AccountRow> {
    const ticket = this.charge(creds.username, ctx);
    const found = this.byUsername(creds.username);
    const passwordOk = await this.hasher.verify(
      creds.password,
      found?.password_hash ?? (await this.dummyHash()),
    );
    // Read again after the slow part: TOTP may have been turned on or off meanwhile.
    const account = found && this.byId(found.id);
    if (!account || !passwordOk) {
      if (account) this.audit.record(account.id, 'sign_in_failure', ctx);
      throw new ServiceError('invalid_credentials', INVALID_CREDENTIALS);
    }
    if (account.totp_secret_enc !== null) {
      if (creds.totp === undefined && creds.recoveryCode === undefined) {
        this.throttle.refund(ticket);
        throw new ServiceError('totp_required', 'Enter the six-digit code from your authenticator app.');
      }
      const passed =
        creds.totp !== undefined
          ? this.acceptCode(account, creds.totp)
          : this.consumeRecoveryCode(account, creds.recoveryCode!);
      if (!passed) {
        this.audit.record(account.id, 'sign_in_failure', ctx);
        throw new ServiceError('invalid_credentials', INVALID_CREDENTIALS);
      }
      if (creds.totp === undefined) this.audit.record(account.id, 'recovery_code_used', ctx);
    }
    this.throttle.success(ticket);
    this.audit.record(account.id, 'sign_in_success', ctx);
    if (this.hasher.needsRehash(account.password_hash)) {
      // Parameters were raised since this hash was made: upgrade it while we hold the password.
      const hash = await this.hasher.hash(creds.password);
      this.db.prepare('UPDATE accounts SET password_hash = ? WHERE id = ?').run(hash, account.id);
    }
    return this.byId(account.id)!;
  }

  /** Charges one attempt to the account and the address, or refuses with Retry-After. */
  private charge(username: string, ctx: RequestContext): ThrottleTicket {
    const keys = [accountKey(username)];
    if (ctx.client !== 'admin') keys.push(addressKey(ctx.address));
    const decision = this.throttle.attempt(keys);
    if (!decision.allowed) {
      throw new ServiceError(
        'throttled',
        `Too many failed attempts. Try again in ${decision.retryAfterSeconds} s.`,
        decision.retryAfterSeconds,
      );
    }
    return decision.ticket;
  }

  /**
   * A code passes if it matches a step within ±1 of now that is later than the last accepted
   * one. The conditional UPDATE is the atomic check-and-set: of two concurrent requests with
   * the same code, only one changes the row.
   */
  private acceptCode(account: AccountRow, code: string): boolean {
    const secret = this.openSecret(account);
    const step = this.totp.matchStep(secret, code, this.clock.now());
    if (step === null) return false;
    const result = this.db
      .prepare(
        'UPDATE accounts SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)',
      )
      .run(step, account.id, step);
    return result.changes === 1;
  }

  private consumeRecoveryCode(account: AccountRow, code: string): boolean {
    const hash = this.key.mac('recovery', normalizeRecoveryCode(code));
    const result = this.db
      .prepare(
        'UPDATE recovery_codes SET used_at = ? WHERE account_id = ? AND code_hash = ? AND used_at IS NULL',
      )
      .run(this.clock.now(), account.id, hash);
    return result.changes === 1;
  }

  private openSecret(account: AccountRow): Secret {
    const bytes = this.key.decrypt(account.totp_secret_enc!, `totp:${account.id}`);
    return new Secret({ buffer: new Uint8Array(bytes).buffer });
  }

  // ---- TOTP enrolment ---------------------------------------------------------------

  /** Starts (or restarts) an enrolment; nothing changes on the account until it is confirmed. */
  async beginTotp(account: AccountRow): Promise<TotpEnrolment> {
    if (account.totp_secret_enc !== null) {
      throw new ServiceError('totp_already_enabled', 'Two-factor authentication is already on.');
    }
    const secret = this.totp.newSecret();
    const expiresAt = this.clock.now() + ENROLMENT_TTL_MS;
    this.db
      .prepare(
        `INSERT INTO totp_pending (account_id, secret_enc, expires_at) VALUES (?, ?, ?)
         ON CONFLICT(account_id) DO UPDATE SET secret_enc = excluded.secret_enc, expires_at = excluded.expires_at`,
      )
      .run(account.id, this.key.encrypt(Buffer.from(secret.bytes), `pending:${account.id}`), expiresAt);
    const otpauthUri = this.totp.uri(secret, account.username);
    return {
      otpauthUri,
      qrPngDataUrl: await QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M', margin: 2, scale: 6 }),
      secretBase32: secret.base32,
      expiresAt: new Date(expiresAt).toISOString(),
    };
  }

  /** Confirms the pending enrolment with a current code; returns the recovery codes (shown once). */
  confirmTotp(account: AccountRow, code: string, ctx: RequestContext): string[] {
    if (account.totp_secret_enc !== null) {
      throw new ServiceError('totp_already_enabled', 'Two-factor authentication is already on.');
    }
    const pending = this.db
      .prepare<[number], { secret_enc: string; expires_at: number }>(
        'SELECT secret_enc, expires_at FROM totp_pending WHERE account_id = ?',
      )
      .get(account.id);
    if (!pending) {
      throw new ServiceError('no_pending_enrolment', 'Start enabling two-factor authentication first.');
    }
    const now = this.clock.now();
    if (now >= pending.expires_at) {
      this.db.prepare('DELETE FROM totp_pending WHERE account_id = ?').run(account.id);
      throw new ServiceError(
        'enrolment_expired',
        'This QR code has expired (10 minutes). Start again to get a new one.',
      );
    }
    const bytes = this.key.decrypt(pending.secret_enc, `pending:${account.id}`);
    const step = this.totp.matchStep(new Secret({ buffer: new Uint8Array(bytes).buffer }), code, now);
    if (step === null) {
      throw new ServiceError('wrong_code', 'That code is not right. Enter the current code from the app.');
    }
    const codes = newRecoveryCodes();
    this.db.transaction(() => {
      const changed = this.db
        .prepare(
          `UPDATE accounts SET totp_secret_enc = ?, totp_enabled_at = ?, totp_last_step = ?
           WHERE id = ? AND totp_secret_enc IS NULL`,
        )
        .run(this.key.encrypt(bytes, `totp:${account.id}`), now, step, account.id);
      if (changed.changes !== 1) {
        throw new ServiceError('totp_already_enabled', 'Two-factor authentication is already on.');
      }
      this.db.prepare('DELETE FROM totp_pending WHERE account_id = ?').run(account.id);
      this.storeRecoveryCodes(account.id, codes);
    })();
    this.audit.record(account.id, 'totp_enabled', ctx);
    return codes;
  }

  /** Turning TOTP off needs the password and a current code or an unused recovery code. */
  async disableTotp(
    account: AccountRow,
    input: { password: string; code?: string | undefined; recoveryCode?: string | undefined },
    ctx: RequestContext,
  ): Promise<void> {
    if (account.totp_secret_enc === null) {
      throw new ServiceError('totp_not_enabled', 'Two-factor authentication is not on.');
    }
    if (input.code === undefined && input.recoveryCode === undefined) {
      throw new ServiceError('bad_request', 'Enter a two-factor code or a recovery code.');
    }
    const ticket = this.charge(account.username, ctx);
    if (!(await this.hasher.verify(input.password, account.password_hash))) {
      throw new ServiceError('invalid_credentials', 'The password is not right.');
    }
    const passed =
      input.code !== undefined
        ? this.acceptCode(account, input.code)
        : this.consumeRecoveryCode(account, input.recoveryCode!);
    if (!passed) throw new ServiceError('wrong_code', 'That code is not right.');
    this.throttle.success(ticket);
    if (input.code === undefined) this.audit.record(account.id, 'recovery_code_used', ctx);
    this.turnTotpOff(account.id);
    this.audit.record(account.id, 'totp_disabled', ctx);
  }

  /** Administrator's way back in for a user who lost the phone. */
  adminDisableTotp(rawUsername: string): void {
    const account = this.requireAccount(rawUsername);
    if (account.totp_secret_enc === null) {
      throw new ServiceError(
        'totp_not_enabled',
        `Two-factor authentication is not on for ${account.username}.`,
      );
    }
    this.turnTotpOff(account.id);
    this.throttle.clear(accountKey(account.username));
    this.audit.record(account.id, 'totp_disabled', ADMIN_CONTEXT);
  }

  async regenerateRecoveryCodes(account: AccountRow, code: string, ctx: RequestContext): Promise<string[]> {
    if (account.totp_secret_enc === null) {
      throw new ServiceError('totp_not_enabled', 'Two-factor authentication is not on.');
    }
    const ticket = this.charge(account.username, ctx);
    if (!this.acceptCode(account, code)) throw new ServiceError('wrong_code', 'That code is not right.');
    this.throttle.success(ticket);
    const codes = newRecoveryCodes();
    this.db.transaction(() => this.storeRecoveryCodes(account.id, codes))();
    this.audit.record(account.id, 'recovery_codes_regenerated', ctx);
    return codes;
  }

  private turnTotpOff(accountId: number): void {
    this.db.transaction(() => {
      // totp_last_step stays: harmless with a new secret, and it keeps replays of old codes out.
      this.db
        .prepare('UPDATE accounts SET totp_secret_enc = NULL, totp_enabled_at = NULL WHERE id = ?')
        .run(accountId);
      this.db.prepare('DELETE FROM recovery_codes WHERE account_id = ?').run(accountId);
      this.db.prepare('DELETE FROM totp_pending WHERE account_id = ?').run(accountId);
    })();
  }

  private storeRecoveryCodes(accountId: number, codes: string[]): void {
    this.db.prepare('DELETE FROM recovery_codes WHERE account_id = ?').run(accountId);
    const insert = this.db.prepare('INSERT INTO recovery_codes (account_id, code_hash) VALUES (?, ?)');
    for (const code of codes) insert.run(accountId, this.key.mac('recovery', normalizeRecoveryCode(code)));
  }

  private requireAccount(rawUsername: string): AccountRow {
    const username = parseOrThrow(usernameSchema, rawUsername);
    const account = this.byUsername(username);
    if (!account) throw new ServiceError('not_found', `No account named ${username}.`);
    return account;
  }
}

export function accountKey(username: string): string {
  return `account:${username}`;
}

function parseOrThrow<T>(
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: Array<{ message: string }> } };
  },
  value: unknown,
): T {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new ServiceError('bad_request', result.error.issues[0]?.message ?? 'Invalid input.');
  return result.data;
}
