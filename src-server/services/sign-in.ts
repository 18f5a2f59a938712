/**
 * The sign-in decision: what to derive (the parameters answered for every username), then
 * throttle, auth key (or, for an account not yet migrated, the legacy proof, which migrates it),
 * second factor, audit. The password never reaches the server: the client derives the auth key
 * from it (src-shared/account-crypto.ts) and the server compares a MAC of it (auth-keys.ts).
 */
import type { SignInParams } from '../../src-shared/account-keys-api';
import type { AccountRecords, AccountRow } from './account-records';
import { chargeAccountAttempt } from './attempt-charge';
import type { AuditLog, RequestContext } from './audit-log';
import { parseKdf, type AuthKeys } from './auth-keys';
import type { Clock } from './clock';
import type { RateLimit } from './rate-limit';
import type { RecoveryCodes } from './recovery-codes';
import { ServiceError } from './service-error';
import type { ThrottleStore, ThrottleTicket } from './throttle';
import type { TotpCodeCheck } from './totp-code-check';

/** The same words for an unknown user, a wrong password and a wrong code: no enumeration. */
export const INVALID_CREDENTIALS = 'The username, password or two-factor code is not right.';

export interface Credentials {
  username: string;
  /** base64url, 32 bytes: a sign-in credential, never logged. */
  authKey: string;
  legacyProof?: string | undefined;
  totp?: string | undefined;
  recoveryCode?: string | undefined;
}

/** A signed-in account's password (its auth key) and second factor, given again. */
export interface Confirmation {
  authKey: string;
  totp?: string | undefined;
  recoveryCode?: string | undefined;
}

export interface SignInDeps {
  accounts: AccountRecords;
  authKeys: AuthKeys;
  throttle: ThrottleStore;
  audit: AuditLog;
  totpCodes: TotpCodeCheck;
  recoveryCodes: RecoveryCodes;
  clock: Clock;
  /** Requests for sign-in parameters, per address. */
  paramsLimit: RateLimit;
  /** The old sign-in (legacy proof) is taken before this time (ms); null: no end set. */
  legacySignInUntil: number | null;
}

export class SignIn {
  constructor(private readonly d: SignInDeps) {}

  legacyOpen(): boolean {
    return this.d.legacySignInUntil === null || this.d.clock.now() < this.d.legacySignInUntil;
  }

  /**
   * What to derive for `username`. Unknown, migrated and not-yet-migrated names get answers of
   * the same shape: a not-yet-migrated account's kdf is made up exactly as an unknown name's (it
   * keeps it when it migrates), and while the old sign-in is open every name gets scrypt
   * parameters (real only for accounts that still need them).
   */
  params(username: string, ctx: RequestContext): SignInParams {
    this.d.paramsLimit.take(ctx.address);
    const { authKeys } = this.d;
    const account = this.d.accounts.byUsername(username);
    // Both made-up values are computed for every name, so a known one costs what an unknown one does.
    const madeUpKdf = authKeys.madeUpKdf(username);
    const madeUpLegacy = authKeys.madeUpLegacy(username);
    const kdf = account?.auth_kdf ? parseKdf(account.auth_kdf) : madeUpKdf;
    const legacy = this.legacyOpen()
      ? (authKeys.legacyParams(account?.legacy_hash ?? null) ?? madeUpLegacy)
      : null;
    return { kdf, legacy };
  }

  /**
   * Throttling is checked (and the attempt charged) before anything else; an unknown user is
   * compared against made-up values and gets the same answer as a wrong key. With TOTP on, a right
   * key without a code answers totp_required. An account not yet migrated is checked with the
   * legacy proof only, and moves to the auth key in the same step as the sign-in succeeds; a
   * migrated one never signs in with a legacy proof.
   */
  signIn(creds: Credentials, ctx: RequestContext): { account: AccountRow; migrated: boolean } {
    const { accounts, authKeys, throttle, audit } = this.d;
    // Told alike to every name (known or not), before anything about the account is looked at.
    if (creds.legacyProof !== undefined && !this.legacyOpen()) {
      throw new ServiceError(
        'legacy_sign_in_closed',
        'This server no longer takes the old sign-in. Ask its administrator to reset your password.',
      );
    }
    const ticket = chargeAccountAttempt(throttle, creds.username, ctx);
    const account = accounts.byUsername(creds.username) ?? null;
    const legacy = account?.legacy_hash ?? null;
    // Both checks run for every request: which one decided takes no longer than the other.
    const keyOk = authKeys.verifierMatches(legacy === null ? account : null, creds.authKey);
    const legacyOk = authKeys.legacyMatches(legacy, creds.legacyProof);
    if (!account || !(legacy === null ? keyOk : legacyOk)) {
      if (account) audit.record(account.id, 'sign_in_failure', ctx);
      throw new ServiceError('invalid_credentials', INVALID_CREDENTIALS);
    }
    this.checkSecondFactor(account, creds, ticket, ctx);
    let migrated = false;
    if (legacy !== null) {
      const kdf = JSON.stringify(authKeys.madeUpKdf(account.username));
      const verifier = authKeys.verifier(account.account_uid, creds.authKey);
      if (!accounts.table.migrate(account.id, legacy, kdf, verifier)) {
        // Another request migrated or reset it meanwhile: this proof is no longer the password.
        audit.record(account.id, 'sign_in_failure', ctx);
        throw new ServiceError('invalid_credentials', INVALID_CREDENTIALS);
      }
      migrated = true;
      audit.record(account.id, 'account_migrated', ctx);
    }
    throttle.success(ticket);
    audit.record(account.id, 'sign_in_success', ctx);
    return { account: accounts.byId(account.id)!, migrated };
  }

  /**
   * A signed-in account's password and code again, for what lasts (a new recovery key, a
   * password change, a purge, reauthentication): charged and answered as a sign-in is.
   */
  confirm(account: AccountRow, input: Confirmation, ctx: RequestContext): void {
    const { accounts, authKeys, throttle, audit } = this.d;
    const ticket = chargeAccountAttempt(throttle, account.username, ctx);
    const current = accounts.byId(account.id) ?? null;
    if (!current || !authKeys.verifierMatches(current, input.authKey)) {
      audit.record(account.id, 'sign_in_failure', ctx);
      throw new ServiceError('invalid_credentials', INVALID_CREDENTIALS);
    }
    this.checkSecondFactor(current, input, ticket, ctx);
    throttle.success(ticket);
  }

  /**
   * With TOTP on: a code or a TOTP recovery code, charged on `ticket`; none given is
   * totp_required (and the charge refunded), a wrong one `invalid` words.
   */
  checkSecondFactor(
    account: AccountRow,
    input: { totp?: string | undefined; recoveryCode?: string | undefined },
    ticket: ThrottleTicket,
    ctx: RequestContext,
    invalid: string = INVALID_CREDENTIALS,
  ): void {
    if (account.totp_secret_enc === null) return;
    if (input.totp === undefined && input.recoveryCode === undefined) {
      this.d.throttle.refund(ticket);
      throw new ServiceError('totp_required', 'Enter the six-digit code from your authenticator app.');
    }
    const passed =
      input.totp !== undefined
        ? this.d.totpCodes.accept(account, input.totp)
        : this.d.recoveryCodes.consume(account, input.recoveryCode!);
    if (!passed) {
      this.d.audit.record(account.id, 'sign_in_failure', ctx);
      throw new ServiceError('invalid_credentials', invalid);
    }
    if (input.totp === undefined) this.d.audit.record(account.id, 'recovery_code_used', ctx);
  }
}
