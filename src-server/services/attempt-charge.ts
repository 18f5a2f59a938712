/**
 * Which throttle keys an attempt is charged to, and the refusal when one of them is waiting.
 * Password and code checks are charged to the account and to the client's address; the
 * administrator's commands only to the account.
 */
import type { RequestContext } from './audit-log';
import { ServiceError } from './service-error';
import { addressKey, type ThrottleStore, type ThrottleTicket } from './throttle';

export function accountKey(username: string): string {
  return `account:${username}`;
}

/** Charges one attempt to the account and the address, or refuses with Retry-After. */
export function chargeAccountAttempt(
  throttle: ThrottleStore,
  username: string,
  ctx: RequestContext,
): ThrottleTicket {
  const keys = [accountKey(username)];
  if (ctx.client !== 'admin') keys.push(addressKey(ctx.address));
  return chargeOrRefuse(throttle, keys, 'failed attempts');
}

/** `what` names what was counted, for the refusal's words ("Too many sign-ups. ..."). */
export function chargeOrRefuse(throttle: ThrottleStore, keys: string[], what: string): ThrottleTicket {
  const decision = throttle.attempt(keys);
  if (!decision.allowed) {
    throw new ServiceError(
      'throttled',
      `Too many ${what}. Try again in ${decision.retryAfterSeconds} s.`,
      decision.retryAfterSeconds,
    );
  }
  return decision.ticket;
}
