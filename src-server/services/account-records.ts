/**
 * Account records: accounts looked up, listed, summarised and created. Everything else about an
 * account (its password, its second factor, signing in) has a file of its own; all of them store
 * through `table` (src-server/db/accounts-table.ts), the one module with SQL on accounts.
 */
import { randomBytes } from 'node:crypto';
import type { PasswordKdf } from '../../src-shared/account-keys';
import type { AccountKeyStatus } from '../../src-shared/account-keys-api';
import { username as usernameSchema, type AccountSummary } from '../../src-shared/http-api';
import { AccountsTable, type AccountRow } from '../db/accounts-table';
import type { Db } from '../db/database';
import { acceptedKdf, type AuthKeys } from './auth-keys';
import type { Clock } from './clock';
import { ServiceError, parseOrThrow } from './service-error';

export type { AccountRow };

export interface AccountRecordsDeps {
  db: Db;
  clock: Clock;
  authKeys: AuthKeys;
  /** --require-totp: accounts without TOTP must enrol before anything else. */
  requireTotp: boolean;
}

export class AccountRecords {
  readonly table: AccountsTable;
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly authKeys: AuthKeys;
  readonly requireTotp: boolean;

  constructor(deps: AccountRecordsDeps) {
    ({ db: this.db, clock: this.clock, authKeys: this.authKeys, requireTotp: this.requireTotp } = deps);
    this.table = new AccountsTable(deps.db);
  }

  byUsername(username: string): AccountRow | undefined {
    return this.table.byUsername(username);
  }

  byId(id: number): AccountRow | undefined {
    return this.table.byId(id);
  }

  /** The account named by an administrator's command; not_found names the account. */
  require(rawUsername: string): AccountRow {
    const username = parseOrThrow(usernameSchema, rawUsername);
    const account = this.byUsername(username);
    if (!account) throw new ServiceError('not_found', `No account named ${username}.`);
    return account;
  }

  summary(account: AccountRow): AccountSummary {
    const remaining = this.db
      .prepare<[number], { n: number }>(
        'SELECT COUNT(*) AS n FROM recovery_codes WHERE account_id = ? AND used_at IS NULL',
      )
      .get(account.id)!.n;
    const totpEnabled = account.totp_secret_enc !== null;
    return {
      username: account.username,
      totpEnabled,
      mustEnrollTotp: this.requireTotp && !totpEnabled,
      recoveryCodesRemaining: totpEnabled ? remaining : 0,
      createdAt: new Date(account.created_at).toISOString(),
    };
  }

  /** What every sign-in answer says about the account's keys. */
  keyStatus(account: AccountRow, migrated = false): AccountKeyStatus {
    return {
      accountUid: account.account_uid,
      generation: account.key_generation,
      keyId: account.key_id,
      passwordChangeRequired: account.password_temporary === 1,
      passwordWrapCurrent: account.password_wrap_current === 1,
      migrated,
    };
  }

  mustEnrollTotp(account: AccountRow): boolean {
    return this.requireTotp && account.totp_secret_enc === null;
  }

  list(): Array<{ username: string; totpEnabled: boolean; createdAt: string }> {
    return this.table.all().map((a) => ({
      username: a.username,
      totpEnabled: a.totp_secret_enc !== null,
      createdAt: new Date(a.created_at).toISOString(),
    }));
  }

  /**
   * Creates an account from the auth key its client derived (no throttle here: the admin CLI
   * calls this; sign-up charges first). `temporary`: the administrator chose the password, so it
   * must be replaced at the first sign-in.
   */
  create(rawUsername: string, kdf: PasswordKdf, authKey: string, opts: { temporary: boolean }): AccountRow {
    const username = parseOrThrow(usernameSchema, rawUsername);
    const authKdf = acceptedKdf(kdf);
    if (this.byUsername(username)) throw new ServiceError('username_taken', 'That username is taken.');
    const accountUid = randomBytes(16).toString('hex');
    try {
      this.table.insert({
        username,
        accountUid,
        authKdf,
        authVerifier: this.authKeys.verifier(accountUid, authKey),
        temporary: opts.temporary,
        createdAt: this.clock.now(),
      });
    } catch (error) {
      // Two concurrent sign-ups for one name: the UNIQUE constraint decides.
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new ServiceError('username_taken', 'That username is taken.');
      }
      throw error;
    }
    return this.byUsername(username)!;
  }
}
