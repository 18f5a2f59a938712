/** A signed-in user's password change, and the administrator's reset. */
import { password as passwordSchema } from '../../src-shared/http-api';
import type { Db } from '../db/database';
import type { AccountRecords, AccountRow } from './account-records';
import { accountKey, chargeAccountAttempt } from './attempt-charge';
import { ADMIN_CONTEXT, type AuditLog, type RequestContext } from './audit-log';
import type { PasswordHasher } from './password-hasher';
import type { SessionStore } from './sessions';
import { ServiceError, parseOrThrow } from './service-error';
import type { ThrottleStore } from './throttle';

export interface PasswordChangesDeps {
  db: Db;
  accounts: AccountRecords;
  hasher: PasswordHasher;
  throttle: ThrottleStore;
  audit: AuditLog;
  sessions: SessionStore;
}

export class PasswordChanges {
  constructor(private readonly d: PasswordChangesDeps) {}

  /**
   * A signed-in user's change. Every other sign-in of the account ends (sessions and device
   * tokens, which reach backup storage): whoever learnt the old password keeps nothing it opened.
   * The session that made the change stays.
   */
  async change(
    account: AccountRow,
    currentPassword: string,
    newPassword: string,
    ctx: RequestContext,
    keepSessionHash: string | null,
  ): Promise<void> {
    const { db, hasher, throttle } = this.d;
    const ticket = chargeAccountAttempt(throttle, account.username, ctx);
    if (!(await hasher.verify(currentPassword, account.password_hash))) {
      throw new ServiceError('invalid_credentials', 'The current password is not right.');
    }
    const hash = await hasher.hash(newPassword);
    db.transaction(() => {
      this.d.accounts.table.setPasswordHash(account.id, hash);
      this.d.sessions.endAllForPasswordChange(account.id, keepSessionHash);
    })();
    throttle.success(ticket);
    this.d.audit.record(account.id, 'password_changed', ctx);
  }

  /** Administrator's reset: sets a new password and ends every session and device token of the account. */
  async reset(rawUsername: string, rawPassword: string): Promise<void> {
    const { db, hasher } = this.d;
    const account = this.d.accounts.require(rawUsername);
    const password = parseOrThrow(passwordSchema, rawPassword);
    const hash = await hasher.hash(password);
    db.transaction(() => {
      this.d.accounts.table.setPasswordHash(account.id, hash);
      this.d.sessions.endAllForPasswordChange(account.id, null);
      this.d.throttle.clear(accountKey(account.username));
    })();
    this.d.audit.record(account.id, 'password_changed', ADMIN_CONTEXT);
  }
}
