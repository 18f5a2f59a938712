/**
 * Every way an account's password changes: the person's own change (in the app: current password
 * and code, the AMK re-wrapped by the new one), a temporary password replaced, the administrator's
 * reset (a temporary password; every wrap row kept byte for byte). Each is a credential change at
 * generation + 1 (AccountKeys.change) and ends every other session and every device and storage
 * token of the account, each remembering why.
 */
import type { z } from 'zod';
import type { PasswordKdf } from '../../src-shared/account-keys';
import type {
  keyChangePasswordInput,
  replaceTemporaryPasswordInput,
} from '../../src-shared/account-keys-api';
import type { Db } from '../db/database';
import type { AccountKeys } from './account-keys';
import type { AccountRecords, AccountRow } from './account-records';
import { accountKey } from './attempt-charge';
import { ADMIN_CONTEXT, type AuditLog, type RequestContext } from './audit-log';
import { acceptedKdf, type AuthKeys } from './auth-keys';
import { ServiceError } from './service-error';
import type { SessionStore } from './sessions';
import type { SignIn } from './sign-in';
import type { ThrottleStore } from './throttle';

export interface PasswordChangesDeps {
  db: Db;
  accounts: AccountRecords;
  authKeys: AuthKeys;
  keys: AccountKeys;
  signIn: SignIn;
  throttle: ThrottleStore;
  audit: AuditLog;
  sessions: SessionStore;
  /** Turns TOTP off for the administrator's `--reset-totp` (inside the reset's transaction). */
  turnOffTotp: (accountId: number) => void;
}

export class PasswordChanges {
  constructor(private readonly d: PasswordChangesDeps) {}

  /**
   * A signed-in person's change, from the app: the current password's auth key and a code are
   * checked as a sign-in is; the new verifier and the AMK wrapped by the new password replace the
   * old ones. The session that made the change stays; every other one ends.
   */
  change(
    account: AccountRow,
    keepSessionHash: string,
    input: z.output<typeof keyChangePasswordInput>,
    ctx: RequestContext,
  ): { generation: number } {
    this.d.signIn.confirm(
      account,
      { authKey: input.currentAuthKey, totp: input.totp, recoveryCode: input.recoveryCode },
      ctx,
    );
    if (account.key_id === null) {
      throw new ServiceError('not_found', 'This account has no key yet: the Strongroom app makes it first.');
    }
    const kdf = acceptedKdf(input.kdf);
    const at = input.generation + 1;
    this.d.keys.checkPasswordWrap(account, input.passwordWrap, at, input.kdf);
    this.d.keys.change(
      account,
      input.generation,
      {
        auth_kdf: kdf,
        auth_verifier: this.d.authKeys.verifier(account.account_uid, input.authKey),
        password_wrap_current: 1,
      },
      () => {
        this.d.keys.putWrap(account, input.passwordWrap);
        this.d.sessions.endAllForPasswordChange(account.id, keepSessionHash);
      },
    );
    this.d.audit.record(account.id, 'password_changed', ctx);
    return { generation: at };
  }

  /**
   * Replaces a password the administrator set. Only the verifier: nothing is wrapped with a
   * temporary password, and an account with an AMK re-wraps it afterwards (the app does). The
   * panel may do this only while the account has no AMK. Whoever else signed in with the
   * temporary password (the administrator, say) is signed out.
   */
  replaceTemporary(
    account: AccountRow,
    session: { idHash: string; via: 'cookie' | 'bearer' },
    input: z.output<typeof replaceTemporaryPasswordInput>,
    ctx: RequestContext,
  ): AccountRow {
    if (account.password_temporary !== 1) {
      throw new ServiceError(
        'bad_request',
        'This password is already your own: change it in the Strongroom app.',
      );
    }
    if (session.via === 'cookie' && account.key_id !== null) {
      throw new ServiceError(
        'use_the_app',
        'This account has keys to re-wrap with the new password: finish in the Strongroom app.',
      );
    }
    const kdf = acceptedKdf(input.kdf);
    this.d.keys.change(
      account,
      input.generation,
      {
        auth_kdf: kdf,
        auth_verifier: this.d.authKeys.verifier(account.account_uid, input.authKey),
        password_temporary: 0,
      },
      () => this.d.sessions.endAllForPasswordChange(account.id, session.idHash),
      { allowTemporary: true },
    );
    this.d.audit.record(account.id, 'temporary_password_replaced', ctx);
    return this.d.accounts.byId(account.id)!;
  }

  /**
   * The administrator's reset: a temporary password (derived by the CLI), every session and
   * device and storage token ended, every wrap row kept byte for byte (so the app can recover the
   * AMK with the old password's wrap, a device key or the recovery key), TOTP kept unless
   * `resetTotp`. The password wrap is no longer current while the account has an AMK.
   */
  reset(rawUsername: string, kdf: PasswordKdf, authKey: string, opts: { resetTotp: boolean }): AccountRow {
    const account = this.d.accounts.require(rawUsername);
    const authKdf = acceptedKdf(kdf);
    this.d.keys.change(
      account,
      account.key_generation,
      {
        auth_kdf: authKdf,
        auth_verifier: this.d.authKeys.verifier(account.account_uid, authKey),
        legacy_hash: null,
        password_temporary: 1,
        password_wrap_current: account.key_id === null ? 1 : 0,
      },
      () => {
        if (opts.resetTotp) this.d.turnOffTotp(account.id);
        this.d.sessions.endAllForPasswordChange(account.id, null);
        this.d.throttle.clear(accountKey(account.username));
      },
      { allowTemporary: true },
    );
    this.d.audit.record(account.id, 'password_reset', ADMIN_CONTEXT);
    if (opts.resetTotp && account.totp_secret_enc !== null) {
      this.d.audit.record(account.id, 'totp_disabled', ADMIN_CONTEXT);
    }
    return this.d.accounts.byId(account.id)!;
  }
}
