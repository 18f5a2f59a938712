/**
 * The handlers of the account routes (src-shared/http-api/account.ts). The gate has already run
 * and the input is parsed: handlers stay thin, calling a service and shaping its answer.
 */
import { SESSION_COOKIE, type DeviceRegistration, type accountRoutes } from '../../src-shared/http-api';
import { clearSessionCookie, requestContext, setSessionCookie } from '../http/auth';
import type { Handlers } from '../http/register-routes';
import type { AccountRecords, AccountRow } from '../services/account-records';
import type { AuditLog, RequestContext } from '../services/audit-log';
import { ServiceError } from '../services/service-error';
import type { RecoveryCodes as RecoveryCodeService } from '../services/recovery-codes';
import type { SessionStore } from '../services/sessions';
import type { SignIn } from '../services/sign-in';
import type { SignUp } from '../services/sign-up';
import type { TotpEnrolment } from '../services/totp-enrolment';

export interface AccountRouteDeps {
  accounts: AccountRecords;
  signIn: SignIn;
  signUp: SignUp;
  totpEnrolment: TotpEnrolment;
  recoveryCodes: RecoveryCodeService;
  sessions: SessionStore;
  audit: AuditLog;
  signup: boolean;
  version: string;
}

export function accountHandlers(deps: AccountRouteDeps): Handlers<typeof accountRoutes> {
  const { accounts, signIn, signUp, totpEnrolment, recoveryCodes, sessions, audit } = deps;

  /** The one place a device token is issued: device sign-in and registration from a session. */
  const issueDevice = (account: AccountRow, name: string, computerId: string | null): DeviceRegistration => {
    const { id, token } = sessions.createDevice(account.id, name, computerId);
    return { deviceId: id, deviceToken: token };
  };

  /**
   * A sign-in that passed the password (and the code, with TOTP on) is a full one, unless the
   * account is held at enrolment: then it has not passed a second factor the server requires.
   */
  const isFull = (account: AccountRow) => !accounts.mustEnrollTotp(account);

  return {
    // ---- public ----------------------------------------------------------------------

    serverInfo: () => ({
      name: 'Strongroom',
      version: deps.version,
      signup: deps.signup,
      requireTotp: accounts.requireTotp,
    }),

    signup: ({ body, request }) => {
      if (!deps.signup) {
        throw new ServiceError(
          'signup_disabled',
          'Accounts are created by the administrator on this server.',
        );
      }
      const account = signUp.signUp(
        body.username,
        body.kdf,
        body.authKey,
        requestContext(request, 'panel', null),
      );
      return accounts.summary(account);
    },

    // ---- sign-in and sessions --------------------------------------------------------

    panelSignIn: ({ body, request, reply }) => {
      const { account, migrated } = signIn.signIn(body, requestContext(request, 'panel', null));
      // A new session id at every sign-in: a planted cookie (session fixation) is worth nothing.
      const previous = request.cookies[SESSION_COOKIE];
      if (previous) sessions.end(previous);
      const { token, row } = sessions.create(account.id, 'cookie', null, isFull(account));
      setSessionCookie(request, reply, token);
      return {
        account: accounts.summary(account),
        keys: accounts.keyStatus(account, migrated),
        csrfToken: sessions.csrfToken(token),
        expiresAt: new Date(sessions.expiresAt(row)).toISOString(),
      };
    },

    currentSession: ({ auth }) => ({
      account: accounts.summary(auth.account),
      keys: accounts.keyStatus(auth.account),
      csrfToken: sessions.csrfToken(auth.token),
      expiresAt: new Date(sessions.expiresAt(auth.session)).toISOString(),
    }),

    signOut: ({ auth, request, reply }) => {
      sessions.end(auth.token);
      if (auth.via === 'cookie') clearSessionCookie(request, reply);
    },

    deviceSignIn: ({ body, request }) => {
      // The history names the device as the panel lists it (a name its owner gave this computer).
      // Looked up alike for unknown names (no account has id 0), so it says nothing about them.
      const known = accounts.byUsername(body.username);
      const shownName = sessions.nameForComputer(known?.id ?? 0, body.computerId, body.deviceName);
      const { account, migrated } = signIn.signIn(body, requestContext(request, 'desktop', shownName));
      // Under --require-totp an account without TOTP gets only a session, to enrol with; with a
      // temporary password, only a session to replace it with.
      const device =
        isFull(account) && account.password_temporary === 0
          ? issueDevice(account, body.deviceName, body.computerId)
          : null;
      const { token, row } = sessions.create(
        account.id,
        'bearer',
        device?.deviceId ?? null,
        isFull(account),
        body.computerId,
      );
      return {
        account: accounts.summary(account),
        keys: accounts.keyStatus(account, migrated),
        sessionToken: token,
        sessionExpiresAt: new Date(sessions.expiresAt(row)).toISOString(),
        deviceToken: device?.deviceToken ?? null,
        deviceId: device?.deviceId ?? null,
      };
    },

    // ---- account settings (session scope) --------------------------------------------

    account: ({ auth }) => accounts.summary(auth.account),

    totpBegin: ({ auth }) => totpEnrolment.begin(auth.account),

    totpConfirm: ({ auth, body }) => {
      const codes = totpEnrolment.confirm(auth.account, body.code, auth.ctx);
      // This session has now given the second factor: a full sign-in, as of now.
      sessions.markFull(auth.session.id_hash);
      // Sessions opened with the password alone (perhaps by whoever made the person turn this on)
      // end now; the one that enrolled stays. Device tokens stay: they are listed with Revoke.
      sessions.endOthers(auth.account.id, auth.session.id_hash);
      return { recoveryCodes: codes };
    },

    totpDisable: ({ auth, body }) => {
      totpEnrolment.disable(auth.account, body, auth.ctx);
    },

    regenerateRecoveryCodes: ({ auth, body }) => ({
      recoveryCodes: recoveryCodes.regenerate(auth.account, body.code, auth.ctx),
    }),

    audit: ({ auth }) => ({ events: audit.list(auth.account.id) }),

    devices: ({ auth }) => ({ devices: sessions.listDevices(auth.account.id) }),

    // A session whose sign-in got no device token (held at enrolment by --require-totp) gets one
    // once enrolled. Session scope only: the gate refuses device tokens and accounts still held.
    registerDevice: ({ auth, body }) => {
      const device = issueDevice(auth.account, body.deviceName, auth.session.computer_id);
      // A desktop session belongs to the device it registered, as after a device sign-in; a panel
      // session (a browser) does not, so revoking the device leaves the panel signed in.
      if (auth.via === 'bearer') sessions.linkDevice(auth.session.id_hash, device.deviceId);
      // Recorded as a device sign-in is: a success, from this client, naming the new device as
      // the panel lists it (a name its owner gave this computer).
      const ctx: RequestContext = {
        ...auth.ctx,
        device: sessions.deviceName(device.deviceId) ?? body.deviceName,
      };
      audit.record(auth.account.id, 'sign_in_success', ctx);
      return device;
    },

    revokeDevice: ({ auth, params }) => {
      const device = sessions.revokeDevice(auth.account.id, params.id, 'device');
      audit.record(auth.account.id, 'device_revoked', { ...auth.ctx, device: device.name });
    },

    renameDevice: ({ auth, params, body }) => {
      sessions.renameDevice(auth.account.id, params.id, body.name);
      audit.record(auth.account.id, 'device_renamed', { ...auth.ctx, device: body.name });
    },

    // ---- backup work (device scope) --------------------------------------------------

    deviceMe: ({ auth }) => ({
      username: auth.account.username,
      deviceId: auth.device.id,
      deviceName: auth.device.name,
    }),

    // The app ends its own token in two cases: signing out, and after a sign-in on the same
    // computer (every unlock) replaced it with a new one; the history tells them apart.
    deviceSignOut: ({ auth }) => {
      const replaced = sessions.replacedBySameComputer(auth.device);
      sessions.revokeDevice(auth.account.id, auth.device.id, 'device');
      audit.record(auth.account.id, replaced ? 'device_replaced' : 'device_signed_out', auth.ctx);
    },
  };
}
