/**
 * Sign-up from the panel or the app's first run. Its "username taken" answer tells whether a name
 * exists, and each one makes an account, so it is charged to the client's address
 * and to all sign-ups together before anything else, and refused with Retry-After past the limits.
 * Every sign-up counts, created or not: the counters only ever fall by being forgotten a day after
 * their wait ended (ThrottleStore).
 */
import type { PasswordKdf } from '../../src-shared/account-keys';
import type { AccountRecords, AccountRow } from './account-records';
import { chargeOrRefuse } from './attempt-charge';
import type { RequestContext } from './audit-log';
import { SIGN_UP_TOTAL_KEY, addressKey, type ThrottleStore } from './throttle';

export class SignUp {
  constructor(
    private readonly accounts: AccountRecords,
    private readonly throttle: ThrottleStore,
  ) {}

  /** The client chose the parameters and derived the auth key; the password is its own, not temporary. */
  signUp(username: string, kdf: PasswordKdf, authKey: string, ctx: RequestContext): AccountRow {
    chargeOrRefuse(this.throttle, [addressKey(ctx.address, 'signup-address'), SIGN_UP_TOTAL_KEY], 'sign-ups');
    return this.accounts.create(username, kdf, authKey, { temporary: false });
  }
}
