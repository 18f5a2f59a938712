/**
 * Sign-up from the panel. Each one costs a full password hash from the pool sign-ins use, and its
 * "username taken" answer tells whether a name exists, so it is charged to the client's address
 * and to all sign-ups together before anything else, and refused with Retry-After past the limits.
 * Every sign-up counts, created or not: the counters only ever fall by being forgotten a day after
 * their wait ended (ThrottleStore).
 */
import type { AccountRecords, AccountRow } from './account-records';
import { chargeOrRefuse } from './attempt-charge';
import type { RequestContext } from './audit-log';
import { SIGN_UP_TOTAL_KEY, addressKey, type ThrottleStore } from './throttle';

export class SignUp {
  constructor(
    private readonly accounts: AccountRecords,
    private readonly throttle: ThrottleStore,
  ) {}

  async signUp(username: string, password: string, ctx: RequestContext): Promise<AccountRow> {
    chargeOrRefuse(this.throttle, [addressKey(ctx.address, 'signup-address'), SIGN_UP_TOTAL_KEY], 'sign-ups');
    return this.accounts.create(username, password);
  }
}
