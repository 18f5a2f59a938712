/**
 * The handlers of the key routes (src-shared/http-api/keys.ts): sign-in parameters, the
 * forgotten-password flow, reauthentication, password changes, and the rows of the account's
 * keys, directory and profiles. The gate has run (fresh or full session, bearer only where the
 * table says, a temporary password only where allowed); the services check the rows.
 */
import type { keyHttpRoutes } from '../../src-shared/http-api';
import { requestContext } from '../http/auth';
import type { Handlers } from '../http/register-routes';
import type { AccountKeys } from '../services/account-keys';
import type { AccountRecords } from '../services/account-records';
import type { ForgottenPassword } from '../services/forgotten-password';
import type { PasswordChanges } from '../services/password-changes';
import type { SessionStore } from '../services/sessions';
import type { SignIn } from '../services/sign-in';

export interface KeyRouteDeps {
  accounts: AccountRecords;
  signIn: SignIn;
  keys: AccountKeys;
  passwords: PasswordChanges;
  forgottenPassword: ForgottenPassword;
  sessions: SessionStore;
}

export function keyHandlers(deps: KeyRouteDeps): Handlers<typeof keyHttpRoutes> {
  const { accounts, signIn, keys, passwords, forgottenPassword, sessions } = deps;
  return {
    signInParams: ({ body, request }) => signIn.params(body.username, requestContext(request, 'panel', null)),

    forgotPasswordBegin: ({ body, request }) =>
      forgottenPassword.begin(body, requestContext(request, 'desktop', null)),

    forgotPasswordFinish: ({ body, request }) => {
      forgottenPassword.finish(body, requestContext(request, 'desktop', null));
    },

    // The password and code again: the session counts as freshly signed in from now (unless the
    // account is still held at TOTP enrolment, where it has no second factor to give).
    reauthenticate: ({ auth, body }) => {
      signIn.confirm(auth.account, body, auth.ctx);
      if (!accounts.mustEnrollTotp(auth.account)) sessions.markFull(auth.session.id_hash);
    },

    replaceTemporaryPassword: ({ auth, body }) =>
      accounts.keyStatus(
        passwords.replaceTemporary(
          auth.account,
          { idHash: auth.session.id_hash, via: auth.via },
          body,
          auth.ctx,
        ),
      ),

    changePassword: ({ auth, body }) => passwords.change(auth.account, auth.session.id_hash, body, auth.ctx),

    accountKeys: ({ auth }) => keys.read(auth.account, auth.session.computer_id),

    createAccountKeys: ({ auth, body }) =>
      keys.create(auth.account, auth.session.computer_id, body, auth.ctx),

    // The password and code again, then the new key; whoever else is signed in ends (a session
    // that recovered the old key meanwhile must not go on writing rows sealed with it).
    replaceAccountKeys: ({ auth, body }) => {
      signIn.confirm(auth.account, body, auth.ctx);
      const answer = keys.replace(auth.account, auth.session.computer_id, body, auth.ctx);
      sessions.endOthers(auth.account.id, auth.session.id_hash);
      return answer;
    },

    archivedAccountKeys: ({ auth }) => keys.archived(auth.account),

    rewrapPassword: ({ auth, body }) => keys.rewrapPassword(auth.account, body, auth.ctx),

    newRecoveryKey: ({ auth, body }) => {
      signIn.confirm(auth.account, body, auth.ctx);
      return keys.newRecoveryKey(auth.account, body, auth.ctx);
    },

    putDeviceWrap: ({ auth, params, body }) =>
      keys.putDeviceWrap(auth.account, auth.session.computer_id, params.computerId, body, auth.ctx),

    deleteDeviceWrap: ({ auth, params }) => {
      keys.deleteDeviceWrap(auth.account, params.computerId, auth.ctx);
    },

    directory: ({ auth }) => keys.directory(auth.account),

    putDirectoryRow: ({ auth, params, body }) => keys.putVault(auth.account, params.vaultId, body),

    deleteDirectoryRow: ({ auth, params, body }) =>
      keys.deleteVault(auth.account, params.vaultId, body.version),

    putProfile: ({ auth, params, body }) =>
      keys.putProfile(auth.account, auth.session.computer_id, params.computerId, body),

    deleteProfile: ({ auth, params, body }) =>
      keys.deleteProfile(auth.account, params.computerId, body.version),
  };
}
