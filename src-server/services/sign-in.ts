/**
 * The sign-in decision: throttle, password, second factor, audit, and the rehash of a password
 * whose hash parameters were raised since it was made.
 */
import { randomBytes } from 'node:crypto';
import type { AccountRecords, AccountRow } from './account-records';
import { chargeAccountAttempt } from './attempt-charge';
import type { AuditLog, RequestContext } from './audit-log';
import type { PasswordHasher } from './password-hasher';
import type { RecoveryCodes } from './recovery-codes';
import { ServiceError } from './service-error';
import type { ThrottleStore } from './throttle';
import type { TotpCodeCheck } from './totp-code-check';

/** The same words for an unknown user, a wrong password and a wrong code: no enumeration. */
export const INVALID_CREDENTIALS = 'The username, password or two-factor code is not right.';

export interface Credentials {
  username: string;
  password: string;
  totp?: string | undefined;
  recoveryCode?: string | undefined;
}

export interface SignInDeps {
  accounts: AccountRecords;
  hasher: PasswordHasher;
  throttle: ThrottleStore;
  audit: AuditLog;
  totpCodes: TotpCodeCheck;
  recoveryCodes: RecoveryCodes;
}

export class SignIn {
  /** Verified against when the user does not exist, so that costs what a wrong password costs. */
  private dummy: Promise<string> | null = null;

  constructor(private readonly d: SignInDeps) {}

  /** Makes the unknown-user hash up front, so the first sign-in is not the slow one. */
  async ready(): Promise<void> {
    await this.dummyHash();
  }

  private dummyHash(): Promise<string> {
    // Made once, lazily: the admin CLI opens these services without ever signing anyone in.
    this.dummy ??= this.d.hasher.hash(randomBytes(16).toString('base64'));
    return this.dummy;
  }

  /**
   * Throttling is checked (and the attempt charged) before any password work; an unknown user
   * costs one hash verification like a wrong password and gets the same answer. With TOTP on,
   * a right password without a code answers totp_required.
   */
  async signIn(creds: Credentials, ctx: RequestContext): Promise<AccountRow> {
    const { accounts, hasher, throttle, audit } = this.d;
    const ticket = chargeAccountAttempt(throttle, creds.username, ctx);
    const found = accounts.byUsername(creds.username);
    const passwordOk = await hasher.verify(creds.password, found?.password_hash ?? (await this.dummyHash()));
    // Read again after the slow part: TOTP may have been turned on or off meanwhile, and a
    // password changed meanwhile makes the one just verified worthless.
    const account = found && accounts.byId(found.id);
    if (!account || !passwordOk || account.password_hash !== found.password_hash) {
      if (account) audit.record(account.id, 'sign_in_failure', ctx);
      throw new ServiceError('invalid_credentials', INVALID_CREDENTIALS);
    }
    if (account.totp_secret_enc !== null) {
      if (creds.totp === undefined && creds.recoveryCode === undefined) {
        throttle.refund(ticket);
        throw new ServiceError('totp_required', 'Enter the six-digit code from your authenticator app.');
      }
      const passed =
        creds.totp !== undefined
          ? this.d.totpCodes.accept(account, creds.totp)
          : this.d.recoveryCodes.consume(account, creds.recoveryCode!);
      if (!passed) {
        audit.record(account.id, 'sign_in_failure', ctx);
        throw new ServiceError('invalid_credentials', INVALID_CREDENTIALS);
      }
      if (creds.totp === undefined) audit.record(account.id, 'recovery_code_used', ctx);
    }
    if (hasher.needsRehash(account.password_hash) && !(await this.rehash(account, creds.password))) {
      // The password was changed while the new hash was computed: this one is no longer it.
      audit.record(account.id, 'sign_in_failure', ctx);
      throw new ServiceError('invalid_credentials', INVALID_CREDENTIALS);
    }
    throttle.success(ticket);
    audit.record(account.id, 'sign_in_success', ctx);
    return accounts.byId(account.id)!;
  }

  /**
   * Parameters were raised since this hash was made: upgrade it while we hold the password. The
   * hash takes a while; the UPDATE applies only if the stored hash is still the one verified, so a
   * password change that commits meanwhile is never overwritten with the old password.
   */
  private async rehash(account: AccountRow, password: string): Promise<boolean> {
    const hash = await this.d.hasher.hash(password);
    return this.d.accounts.table.replacePasswordHash(account.id, hash, account.password_hash);
  }
}
