import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  SESSION_COOKIE,
  changePasswordInput,
  deviceIdParam,
  deviceSignInInput,
  panelSignInInput,
  regenerateRecoveryCodesInput,
  registerDeviceInput,
  routes,
  signupInput,
  totpConfirmInput,
  totpDisableInput,
  type AuditLog as AuditLogBody,
  type DeviceIdentity,
  type DeviceList,
  type DeviceRegistration,
  type DeviceSignIn,
  type PanelSession,
  type RecoveryCodes,
  type ServerInfo,
} from '../../src-shared/http-api';
import { AuthGate, clearSessionCookie, requestContext, setSessionCookie } from '../http/auth';
import { withBody, withParams } from '../http/validation';
import type { AccountRecords, AccountRow } from '../services/account-records';
import type { AuditLog, RequestContext } from '../services/audit-log';
import { ServiceError } from '../services/service-error';
import type { PasswordChanges } from '../services/password-changes';
import type { RecoveryCodes as RecoveryCodeService } from '../services/recovery-codes';
import type { SessionStore } from '../services/sessions';
import type { SignIn } from '../services/sign-in';
import type { SignUp } from '../services/sign-up';
import type { TotpEnrolment } from '../services/totp-enrolment';

export interface ApiDeps {
  accounts: AccountRecords;
  signIn: SignIn;
  signUp: SignUp;
  passwords: PasswordChanges;
  totpEnrolment: TotpEnrolment;
  recoveryCodes: RecoveryCodeService;
  sessions: SessionStore;
  audit: AuditLog;
  signup: boolean;
  version: string;
}

const emptyBody = z.object({}).strict();

/** Every /api route of src-shared/http-api.ts. Handlers stay thin: validate, gate, call a service. */
export function registerApiRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { accounts, signIn, signUp, passwords, totpEnrolment, recoveryCodes, sessions, audit } = deps;
  const gate = new AuthGate(sessions, accounts);

  /** The one place a device token is issued: device sign-in and registration from a session. */
  const issueDevice = (account: AccountRow, name: string): DeviceRegistration => {
    const { id, token } = sessions.createDevice(account.id, name);
    return { deviceId: id, deviceToken: token };
  };

  // ---- public ----------------------------------------------------------------------

  app.get(routes.serverInfo.path, async (): Promise<ServerInfo> => ({
    name: 'Strongroom',
    version: deps.version,
    signup: deps.signup,
    requireTotp: accounts.requireTotp,
  }));

  app.post(routes.signup.path, withBody(signupInput), async (request, reply) => {
    if (!deps.signup) {
      throw new ServiceError('signup_disabled', 'Accounts are created by the administrator on this server.');
    }
    const input = request.body as z.output<typeof signupInput>;
    const account = await signUp.signUp(
      input.username,
      input.password,
      requestContext(request, 'panel', null),
    );
    return reply.code(201).send(accounts.summary(account));
  });

  // ---- sign-in and sessions --------------------------------------------------------

  app.post(
    routes.panelSignIn.path,
    withBody(panelSignInInput),
    async (request, reply): Promise<PanelSession> => {
      const input = request.body as z.output<typeof panelSignInInput>;
      const account = await signIn.signIn(input, requestContext(request, 'panel', null));
      // A new session id at every sign-in: a planted cookie (session fixation) is worth nothing.
      const previous = request.cookies[SESSION_COOKIE];
      if (previous) sessions.end(previous);
      const { token, row } = sessions.create(account.id, 'cookie');
      setSessionCookie(request, reply, token);
      return {
        account: accounts.summary(account),
        csrfToken: sessions.csrfToken(token),
        expiresAt: new Date(sessions.expiresAt(row)).toISOString(),
      };
    },
  );

  app.get(routes.currentSession.path, async (request): Promise<PanelSession> => {
    const auth = gate.session(request, { duringEnrolment: true });
    return {
      account: accounts.summary(auth.account),
      csrfToken: sessions.csrfToken(auth.token),
      expiresAt: new Date(sessions.expiresAt(auth.session)).toISOString(),
    };
  });

  app.delete(routes.signOut.path, async (request, reply) => {
    const auth = gate.session(request, { duringEnrolment: true });
    sessions.end(auth.token);
    if (auth.via === 'cookie') clearSessionCookie(request, reply);
    return reply.code(204).send();
  });

  app.post(routes.deviceSignIn.path, withBody(deviceSignInInput), async (request): Promise<DeviceSignIn> => {
    const input = request.body as z.output<typeof deviceSignInInput>;
    const account = await signIn.signIn(input, requestContext(request, 'desktop', input.deviceName));
    // Under --require-totp an account without TOTP gets only a session, to enrol with.
    const device = accounts.mustEnrollTotp(account) ? null : issueDevice(account, input.deviceName);
    const { token, row } = sessions.create(account.id, 'bearer', device?.deviceId ?? null);
    return {
      account: accounts.summary(account),
      sessionToken: token,
      sessionExpiresAt: new Date(sessions.expiresAt(row)).toISOString(),
      deviceToken: device?.deviceToken ?? null,
      deviceId: device?.deviceId ?? null,
    };
  });

  // ---- account settings (session scope) --------------------------------------------

  app.get(routes.account.path, async (request) => {
    const auth = gate.session(request, { duringEnrolment: true });
    return accounts.summary(auth.account);
  });

  app.post(routes.totpBegin.path, withBody(emptyBody, { emptyIsObject: true }), async (request) => {
    const auth = gate.session(request, { duringEnrolment: true });
    return totpEnrolment.begin(auth.account);
  });

  app.post(routes.totpConfirm.path, withBody(totpConfirmInput), async (request): Promise<RecoveryCodes> => {
    const auth = gate.session(request, { duringEnrolment: true });
    const input = request.body as z.output<typeof totpConfirmInput>;
    const recoveryCodes = totpEnrolment.confirm(auth.account, input.code, auth.ctx);
    // Sessions opened with the password alone (perhaps by whoever made the person turn this on)
    // end now; the one that enrolled stays. Device tokens stay: they are listed with Revoke.
    sessions.endOthers(auth.account.id, auth.session.id_hash);
    return { recoveryCodes };
  });

  app.post(routes.totpDisable.path, withBody(totpDisableInput), async (request, reply) => {
    const auth = gate.session(request);
    await totpEnrolment.disable(auth.account, request.body as z.output<typeof totpDisableInput>, auth.ctx);
    return reply.code(204).send();
  });

  app.post(
    routes.regenerateRecoveryCodes.path,
    withBody(regenerateRecoveryCodesInput),
    async (request): Promise<RecoveryCodes> => {
      const auth = gate.session(request);
      const input = request.body as z.output<typeof regenerateRecoveryCodesInput>;
      return { recoveryCodes: recoveryCodes.regenerate(auth.account, input.code, auth.ctx) };
    },
  );

  app.post(routes.changePassword.path, withBody(changePasswordInput), async (request, reply) => {
    const auth = gate.session(request);
    const input = request.body as z.output<typeof changePasswordInput>;
    await passwords.change(
      auth.account,
      input.currentPassword,
      input.newPassword,
      auth.ctx,
      auth.session.id_hash,
    );
    return reply.code(204).send();
  });

  app.get(routes.audit.path, async (request): Promise<AuditLogBody> => {
    const auth = gate.session(request);
    return { events: audit.list(auth.account.id) };
  });

  app.get(routes.devices.path, async (request): Promise<DeviceList> => {
    const auth = gate.session(request);
    return { devices: sessions.listDevices(auth.account.id) };
  });

  // A session whose sign-in got no device token (held at enrolment by --require-totp) gets one
  // once enrolled. Session scope only: the gate refuses device tokens and accounts still held.
  app.post(
    routes.registerDevice.path,
    withBody(registerDeviceInput),
    async (request, reply): Promise<DeviceRegistration> => {
      const auth = gate.session(request);
      const input = request.body as z.output<typeof registerDeviceInput>;
      const device = issueDevice(auth.account, input.deviceName);
      // A desktop session belongs to the device it registered, as after a device sign-in; a panel
      // session (a browser) does not, so revoking the device leaves the panel signed in.
      if (auth.via === 'bearer') sessions.linkDevice(auth.session.id_hash, device.deviceId);
      // Recorded as a device sign-in is: a success, from this client, naming the new device.
      const ctx: RequestContext = { ...auth.ctx, device: input.deviceName };
      audit.record(auth.account.id, 'sign_in_success', ctx);
      return reply.code(201).send(device);
    },
  );

  app.delete(routes.revokeDevice.path, withParams(deviceIdParam), async (request, reply) => {
    const auth = gate.session(request);
    const { id } = request.params as z.output<typeof deviceIdParam>;
    const device = sessions.revokeDevice(auth.account.id, id);
    audit.record(auth.account.id, 'device_revoked', { ...auth.ctx, device: device.name });
    return reply.code(204).send();
  });

  // ---- backup work (device scope) --------------------------------------------------

  app.get(routes.deviceMe.path, async (request): Promise<DeviceIdentity> => {
    const auth = gate.device(request);
    return { username: auth.account.username, deviceId: auth.device.id, deviceName: auth.device.name };
  });

  app.delete(routes.deviceSignOut.path, async (request, reply) => {
    const auth = gate.device(request, { duringEnrolment: true });
    sessions.revokeDevice(auth.account.id, auth.device.id, auth.device.kind);
    audit.record(auth.account.id, 'device_revoked', auth.ctx);
    return reply.code(204).send();
  });
}
