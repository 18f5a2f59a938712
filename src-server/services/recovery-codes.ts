/**
 * Recovery codes: ten one-time codes issued when TOTP is turned on, stored as keyed hashes.
 * Used instead of a TOTP code at sign-in or to turn TOTP off; regenerated with a current code.
 */
import type { Db } from '../db/database';
import type { AccountRow } from './account-records';
import { chargeAccountAttempt } from './attempt-charge';
import type { AuditLog, RequestContext } from './audit-log';
import type { Clock } from './clock';
import type { ServerKey } from './server-key';
import { ServiceError } from './service-error';
import type { ThrottleStore } from './throttle';
import { newRecoveryCodes, normalizeRecoveryCode } from './totp';
import type { TotpCodeCheck } from './totp-code-check';

export interface RecoveryCodesDeps {
  db: Db;
  clock: Clock;
  key: ServerKey;
  throttle: ThrottleStore;
  audit: AuditLog;
  totpCodes: TotpCodeCheck;
}

export class RecoveryCodes {
  constructor(private readonly d: RecoveryCodesDeps) {}

  /** Replaces the account's codes with ten new ones (call inside the caller's transaction). */
  issue(accountId: number): string[] {
    const codes = newRecoveryCodes();
    this.d.db.prepare('DELETE FROM recovery_codes WHERE account_id = ?').run(accountId);
    const insert = this.d.db.prepare('INSERT INTO recovery_codes (account_id, code_hash) VALUES (?, ?)');
    for (const code of codes) insert.run(accountId, this.hash(code));
    return codes;
  }

  /** Uses a code up; true once per code (the conditional UPDATE is the atomic check-and-set). */
  consume(account: AccountRow, code: string): boolean {
    const result = this.d.db
      .prepare(
        'UPDATE recovery_codes SET used_at = ? WHERE account_id = ? AND code_hash = ? AND used_at IS NULL',
      )
      .run(this.d.clock.now(), account.id, this.hash(code));
    return result.changes === 1;
  }

  clear(accountId: number): void {
    this.d.db.prepare('DELETE FROM recovery_codes WHERE account_id = ?').run(accountId);
  }

  /** New codes for a signed-in user who gives a current TOTP code; the old ones stop working. */
  regenerate(account: AccountRow, code: string, ctx: RequestContext): string[] {
    if (account.totp_secret_enc === null) {
      throw new ServiceError('totp_not_enabled', 'Two-factor authentication is not on.');
    }
    const ticket = chargeAccountAttempt(this.d.throttle, account.username, ctx);
    if (!this.d.totpCodes.accept(account, code)) {
      throw new ServiceError('wrong_code', 'That code is not right.');
    }
    this.d.throttle.success(ticket);
    const codes = this.d.db.transaction(() => this.issue(account.id))();
    this.d.audit.record(account.id, 'recovery_codes_regenerated', ctx);
    return codes;
  }

  private hash(code: string): string {
    return this.d.key.mac('recovery', normalizeRecoveryCode(code));
  }
}
