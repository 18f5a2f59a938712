/**
 * "Forgot password?" in the app: username, recovery key (its proof) and a TOTP code or TOTP
 * recovery code. The server keeps only a MAC of the proof. A wrong proof is refused before any
 * code is looked at and is charged to the caller's address alone: it can neither lock the
 * account's owner out nor be used to guess codes. A right proof then charges the code to the
 * account, as a sign-in does. Success answers a single-use ticket (10 minutes, bound to the
 * account's generation) with the recovery wrap; the app unwraps the AMK and finishes with the new
 * password's verifier and wrap and a new recovery key, all at generation + 1 in one transaction.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type {
  forgotPasswordBeginInput,
  forgotPasswordFinishInput,
  forgotPasswordTicket,
} from '../../src-shared/account-keys-api';
import type { AccountKeysTable } from '../db/account-keys-table';
import type { Db } from '../db/database';
import { generationConflict, writtenAt, type AccountKeys } from './account-keys';
import type { AccountRecords } from './account-records';
import { chargeAccountAttempt, chargeOrRefuse } from './attempt-charge';
import type { AuditLog, RequestContext } from './audit-log';
import { acceptedKdf, type AuthKeys } from './auth-keys';
import type { Clock } from './clock';
import { ServiceError } from './service-error';
import type { SessionStore } from './sessions';
import type { SignIn } from './sign-in';
import { addressKey, type ThrottleStore } from './throttle';

export const RECOVERY_TICKET_MS = 10 * 60 * 1000;
export const RECOVERY_INVALID = 'The username, recovery key or two-factor code is not right.';

export interface ForgottenPasswordDeps {
  db: Db;
  clock: Clock;
  accounts: AccountRecords;
  authKeys: AuthKeys;
  keys: AccountKeys;
  keyRows: AccountKeysTable;
  signIn: SignIn;
  throttle: ThrottleStore;
  audit: AuditLog;
  sessions: SessionStore;
}

const ticketHash = (ticket: string) => createHash('sha256').update(ticket).digest('base64url');

export class ForgottenPassword {
  constructor(private readonly d: ForgottenPasswordDeps) {}

  begin(
    input: z.output<typeof forgotPasswordBeginInput>,
    ctx: RequestContext,
  ): z.output<typeof forgotPasswordTicket> {
    const { accounts, authKeys, keys, throttle } = this.d;
    const byAddress = chargeOrRefuse(
      throttle,
      [addressKey(ctx.address, 'recovery-address')],
      'recovery attempts',
    );
    const account = accounts.byUsername(input.username) ?? null;
    const recovery = account ? keys.recovery(account) : { wrap: null, proofMac: null };
    // Compared for unknown names too (against nothing), so they take as long as a wrong proof.
    const proofOk = authKeys.recoveryProofMatches(
      account?.account_uid ?? null,
      recovery.proofMac,
      input.recoveryProof,
    );
    if (!account || !proofOk || !recovery.wrap || account.key_id === null) {
      throw new ServiceError('invalid_credentials', RECOVERY_INVALID);
    }
    // The recovery key is right: the address is not guessing. Codes count against the account.
    throttle.success(byAddress);
    const byAccount = chargeAccountAttempt(throttle, account.username, ctx);
    this.d.signIn.checkSecondFactor(account, input, byAccount, ctx, RECOVERY_INVALID);
    throttle.success(byAccount);
    const ticket = randomBytes(32).toString('base64url');
    this.d.keyRows.sweepTickets(this.d.clock.now());
    this.d.keyRows.insertTicket({
      ticket_hash: ticketHash(ticket),
      account_id: account.id,
      generation: account.key_generation,
      expires_at: this.d.clock.now() + RECOVERY_TICKET_MS,
    });
    this.d.audit.record(account.id, 'password_recovery_begun', ctx);
    return {
      ticket,
      accountUid: account.account_uid,
      keyId: account.key_id,
      generation: account.key_generation,
      recoveryWrap: recovery.wrap,
    };
  }

  /**
   * The ticket is used up, the generation compared and swapped, the new rows written and every
   * session and device and storage token ended, in one transaction: any refusal leaves the
   * ticket as it was.
   */
  finish(input: z.output<typeof forgotPasswordFinishInput>, ctx: RequestContext): void {
    const { db, accounts, authKeys, keys, keyRows, clock } = this.d;
    const kdf = acceptedKdf(input.kdf);
    const accountId = db
      .transaction(() => {
        const ticket = keyRows.useTicket(ticketHash(input.ticket), clock.now());
        if (!ticket) {
          throw new ServiceError(
            'ticket_expired',
            'That took too long, or it was already used. Start again.',
          );
        }
        const account = accounts.byId(ticket.account_id);
        if (!account || input.generation !== ticket.generation) throw generationConflict();
        const at = ticket.generation + 1;
        keys.checkPasswordWrap(account, input.passwordWrap, at, input.kdf);
        writtenAt(input.recovery.wrap, at);
        keys.change(
          account,
          ticket.generation,
          {
            auth_kdf: kdf,
            auth_verifier: authKeys.verifier(account.account_uid, input.authKey),
            legacy_hash: null,
            password_temporary: 0,
            password_wrap_current: 1,
          },
          () => {
            keys.putWrap(account, input.passwordWrap);
            keys.putWrap(account, input.recovery.wrap, input.recovery.proof);
            this.d.sessions.endAllForPasswordChange(account.id, null);
          },
          { allowTemporary: true },
        );
        return account.id;
      })
      .immediate();
    this.d.audit.record(accountId, 'password_recovered', ctx);
  }
}
