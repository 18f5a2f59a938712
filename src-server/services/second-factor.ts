/**
 * Asking a signed-in person for their second factor again, for a route that makes something
 * lasting (a storage token): a current TOTP code or an unused recovery code, throttled and
 * replay-safe as at sign-in. An account without TOTP has nothing to give, and passes.
 */
import type { AccountRow } from '../db/accounts-table';
import { chargeAccountAttempt } from './attempt-charge';
import type { AuditLog, RequestContext } from './audit-log';
import type { RecoveryCodes } from './recovery-codes';
import { ServiceError } from './service-error';
import type { ThrottleStore } from './throttle';
import type { TotpCodeCheck } from './totp-code-check';

export interface SecondFactorDeps {
  throttle: ThrottleStore;
  audit: AuditLog;
  totpCodes: TotpCodeCheck;
  recoveryCodes: RecoveryCodes;
}

export interface SecondFactorInput {
  code?: string | undefined;
  recoveryCode?: string | undefined;
}

export class SecondFactor {
  constructor(private readonly d: SecondFactorDeps) {}

  check(account: AccountRow, input: SecondFactorInput, ctx: RequestContext): void {
    if (account.totp_secret_enc === null) return;
    if (input.code === undefined && input.recoveryCode === undefined) {
      throw new ServiceError('totp_required', 'Enter a current two-factor code or a recovery code.');
    }
    const ticket = chargeAccountAttempt(this.d.throttle, account.username, ctx);
    const passed =
      input.code !== undefined
        ? this.d.totpCodes.accept(account, input.code)
        : this.d.recoveryCodes.consume(account, input.recoveryCode!);
    if (!passed) throw new ServiceError('wrong_code', 'That code is not right, or it was already used.');
    this.d.throttle.success(ticket);
    if (input.code === undefined) this.d.audit.record(account.id, 'recovery_code_used', ctx);
  }
}
