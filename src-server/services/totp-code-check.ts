import { Secret } from 'otpauth';
import type { AccountRow, AccountsTable } from '../db/accounts-table';
import type { Clock } from './clock';
import type { ServerKey } from './server-key';
import type { TotpVerifier } from './totp';

/**
 * Checks a TOTP code against an account's secret (decrypted with the server key). A code passes
 * if it matches a step within ±1 of now that is later than the last accepted one. Of two concurrent
 * requests with the same code only one passes (AccountsTable.advanceTotpStep).
 */
export class TotpCodeCheck {
  constructor(
    private readonly accounts: AccountsTable,
    private readonly clock: Clock,
    private readonly key: ServerKey,
    private readonly totp: TotpVerifier,
  ) {}

  accept(account: AccountRow, code: string): boolean {
    if (account.totp_secret_enc === null) return false;
    const bytes = this.key.decrypt(account.totp_secret_enc, `totp:${account.id}`);
    const secret = new Secret({ buffer: new Uint8Array(bytes).buffer });
    const step = this.totp.matchStep(secret, code, this.clock.now());
    if (step === null) return false;
    return this.accounts.advanceTotpStep(account.id, step);
  }
}
