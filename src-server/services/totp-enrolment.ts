/**
 * Turning TOTP on (a pending secret shown as a QR image, confirmed with a current code) and off
 * (by the user with the password's auth key and a code, or by the administrator for a user who
 * lost the phone).
 */
import QRCode from 'qrcode';
import { Secret } from 'otpauth';
import type { TotpEnrolment as TotpEnrolmentView } from '../../src-shared/http-api';
import type { Db } from '../db/database';
import type { AccountRecords, AccountRow } from './account-records';
import { accountKey, chargeAccountAttempt } from './attempt-charge';
import { ADMIN_CONTEXT, type AuditLog, type RequestContext } from './audit-log';
import type { Clock } from './clock';
import type { AuthKeys } from './auth-keys';
import type { RecoveryCodes } from './recovery-codes';
import type { ServerKey } from './server-key';
import { ServiceError } from './service-error';
import type { ThrottleStore } from './throttle';
import type { TotpVerifier } from './totp';
import type { TotpCodeCheck } from './totp-code-check';

export const ENROLMENT_TTL_MS = 10 * 60 * 1000;

export interface TotpEnrolmentDeps {
  db: Db;
  clock: Clock;
  key: ServerKey;
  authKeys: AuthKeys;
  throttle: ThrottleStore;
  audit: AuditLog;
  totp: TotpVerifier;
  totpCodes: TotpCodeCheck;
  recoveryCodes: RecoveryCodes;
  accounts: AccountRecords;
}

export class TotpEnrolment {
  constructor(private readonly d: TotpEnrolmentDeps) {}

  /** Starts (or restarts) an enrolment; nothing changes on the account until it is confirmed. */
  async begin(account: AccountRow): Promise<TotpEnrolmentView> {
    if (account.totp_secret_enc !== null) {
      throw new ServiceError('totp_already_enabled', 'Two-factor authentication is already on.');
    }
    const secret = this.d.totp.newSecret();
    const expiresAt = this.d.clock.now() + ENROLMENT_TTL_MS;
    this.d.db
      .prepare(
        `INSERT INTO totp_pending (account_id, secret_enc, expires_at) VALUES (?, ?, ?)
         ON CONFLICT(account_id) DO UPDATE SET secret_enc = excluded.secret_enc, expires_at = excluded.expires_at`,
      )
      .run(account.id, this.d.key.encrypt(Buffer.from(secret.bytes), `pending:${account.id}`), expiresAt);
    const otpauthUri = this.d.totp.uri(secret, account.username);
    return {
      otpauthUri,
      qrPngDataUrl: await QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M', margin: 2, scale: 6 }),
      secretBase32: secret.base32,
      expiresAt: new Date(expiresAt).toISOString(),
    };
  }

  /** Confirms the pending enrolment with a current code; returns the recovery codes (shown once). */
  confirm(account: AccountRow, code: string, ctx: RequestContext): string[] {
    if (account.totp_secret_enc !== null) {
      throw new ServiceError('totp_already_enabled', 'Two-factor authentication is already on.');
    }
    const { db } = this.d;
    const pending = db
      .prepare<[number], { secret_enc: string; expires_at: number }>(
        'SELECT secret_enc, expires_at FROM totp_pending WHERE account_id = ?',
      )
      .get(account.id);
    if (!pending) {
      throw new ServiceError('no_pending_enrolment', 'Start enabling two-factor authentication first.');
    }
    const now = this.d.clock.now();
    if (now >= pending.expires_at) {
      db.prepare('DELETE FROM totp_pending WHERE account_id = ?').run(account.id);
      throw new ServiceError(
        'enrolment_expired',
        'This QR code has expired (10 minutes). Start again to get a new one.',
      );
    }
    const bytes = this.d.key.decrypt(pending.secret_enc, `pending:${account.id}`);
    const step = this.d.totp.matchStep(new Secret({ buffer: new Uint8Array(bytes).buffer }), code, now);
    if (step === null) {
      throw new ServiceError('wrong_code', 'That code is not right. Enter the current code from the app.');
    }
    const codes = db.transaction(() => {
      const secretEnc = this.d.key.encrypt(bytes, `totp:${account.id}`);
      if (!this.d.accounts.table.enableTotp(account.id, secretEnc, now, step)) {
        throw new ServiceError('totp_already_enabled', 'Two-factor authentication is already on.');
      }
      db.prepare('DELETE FROM totp_pending WHERE account_id = ?').run(account.id);
      return this.d.recoveryCodes.issue(account.id);
    })();
    this.d.audit.record(account.id, 'totp_enabled', ctx);
    return codes;
  }

  /** Turning TOTP off needs the password (its auth key) and a current code or an unused recovery code. */
  disable(
    account: AccountRow,
    input: { authKey: string; code?: string | undefined; recoveryCode?: string | undefined },
    ctx: RequestContext,
  ): void {
    if (account.totp_secret_enc === null) {
      throw new ServiceError('totp_not_enabled', 'Two-factor authentication is not on.');
    }
    if (input.code === undefined && input.recoveryCode === undefined) {
      throw new ServiceError('bad_request', 'Enter a two-factor code or a recovery code.');
    }
    const ticket = chargeAccountAttempt(this.d.throttle, account.username, ctx);
    if (!this.d.authKeys.verifierMatches(account, input.authKey)) {
      throw new ServiceError('invalid_credentials', 'The password is not right.');
    }
    const passed =
      input.code !== undefined
        ? this.d.totpCodes.accept(account, input.code)
        : this.d.recoveryCodes.consume(account, input.recoveryCode!);
    if (!passed) throw new ServiceError('wrong_code', 'That code is not right.');
    this.d.throttle.success(ticket);
    if (input.code === undefined) this.d.audit.record(account.id, 'recovery_code_used', ctx);
    this.turnOff(account.id);
    this.d.audit.record(account.id, 'totp_disabled', ctx);
  }

  /** Administrator's way back in for a user who lost the phone. */
  adminDisable(rawUsername: string): void {
    const account = this.d.accounts.require(rawUsername);
    if (account.totp_secret_enc === null) {
      throw new ServiceError(
        'totp_not_enabled',
        `Two-factor authentication is not on for ${account.username}.`,
      );
    }
    this.turnOff(account.id);
    this.d.throttle.clear(accountKey(account.username));
    this.d.audit.record(account.id, 'totp_disabled', ADMIN_CONTEXT);
  }

  /** TOTP off, its recovery codes and any pending enrolment gone (also the administrator's `--reset-totp`). */
  turnOff(accountId: number): void {
    const { db } = this.d;
    db.transaction(() => {
      this.d.accounts.table.disableTotp(accountId);
      this.d.recoveryCodes.clear(accountId);
      db.prepare('DELETE FROM totp_pending WHERE account_id = ?').run(accountId);
    })();
  }
}
