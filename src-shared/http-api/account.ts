/**
 * The account routes: server info, sign-up, sign-in and sessions, account settings (TOTP,
 * recovery codes, password, history, devices) and a device's own identity.
 */
import { z } from 'zod';
import { authKey, computerId } from '../account-keys';
import { accountKeyStatus, keySignupInput, signInCredentials } from '../account-keys-api';
import { deviceName, isoTime, secondFactorFields, totpCode } from './fields';
import { noContent, route } from './route';

// ---- schemas --------------------------------------------------------------------------

export const serverInfo = z.strictObject({
  name: z.literal('Strongroom'),
  version: z.string(),
  signup: z.boolean(),
  requireTotp: z.boolean(),
});
export type ServerInfo = z.infer<typeof serverInfo>;

/** The client derives with parameters of its own (at least KDF_FLOOR) and sends the auth key, never the password. */
export const signupInput = keySignupInput;
export type SignupInput = z.input<typeof signupInput>;

/**
 * The auth key derived with POST /api/sign-in/params's answer (and the legacy proof while the
 * account may still need migrating). Errors: invalid_credentials, totp_required (auth key right,
 * code missing), legacy_sign_in_closed, throttled (429 + Retry-After).
 */
export const panelSignInInput = z.object(signInCredentials).strict();
export type PanelSignInInput = z.input<typeof panelSignInInput>;

export const accountSummary = z.strictObject({
  username: z.string(),
  totpEnabled: z.boolean(),
  /** With --require-totp: the account must enrol before anything else is allowed. */
  mustEnrollTotp: z.boolean(),
  recoveryCodesRemaining: z.number().int().min(0),
  createdAt: isoTime,
});
export type AccountSummary = z.infer<typeof accountSummary>;

export const panelSession = z.strictObject({
  account: accountSummary,
  /** The account's key status; `passwordChangeRequired`: this session may only replace the password. */
  keys: accountKeyStatus,
  csrfToken: z.string().min(1),
  expiresAt: isoTime,
});
export type PanelSession = z.infer<typeof panelSession>;

/** `computerId`: the installation's random id; the session and the device are tied to it. */
export const deviceSignInInput = z.object({ ...signInCredentials, deviceName, computerId }).strict();
export type DeviceSignInInput = z.input<typeof deviceSignInInput>;

export const deviceSignIn = z.strictObject({
  account: accountSummary,
  keys: accountKeyStatus,
  /** Account-settings scope; keep in memory only; DELETE /api/session revokes it. */
  sessionToken: z.string().min(1),
  sessionExpiresAt: isoTime,
  /** Backup-work scope; keep in the OS keychain. Null while TOTP enrolment or a new password is required. */
  deviceToken: z.string().min(1).nullable(),
  deviceId: z.string().min(1).nullable(),
});
export type DeviceSignIn = z.infer<typeof deviceSignIn>;

export const registerDeviceInput = z.object({ deviceName }).strict();
export type RegisterDeviceInput = z.input<typeof registerDeviceInput>;
export const deviceRegistration = z.strictObject({
  /** Backup-work scope; keep in the OS keychain. */
  deviceToken: z.string().min(1),
  deviceId: z.string().min(1),
});
export type DeviceRegistration = z.infer<typeof deviceRegistration>;

export const totpEnrolment = z.strictObject({
  otpauthUri: z.string().startsWith('otpauth://'),
  /** data:image/png;base64,... of the otpauth URI. */
  qrPngDataUrl: z.string().startsWith('data:image/png;base64,'),
  /** Base32 secret, for typing into an authenticator by hand. */
  secretBase32: z.string().min(1),
  expiresAt: isoTime,
});
export type TotpEnrolment = z.infer<typeof totpEnrolment>;

export const totpConfirmInput = z.object({ code: totpCode }).strict();
export type TotpConfirmInput = z.input<typeof totpConfirmInput>;
export const recoveryCodes = z.strictObject({
  /** Shown once; stored hashed on the server. */
  recoveryCodes: z.array(z.string()),
});
export type RecoveryCodes = z.infer<typeof recoveryCodes>;

/** Needs the password (its auth key) and a code or a recovery code. */
export const totpDisableInput = z.object({ authKey, ...secondFactorFields }).strict();
export type TotpDisableInput = z.input<typeof totpDisableInput>;

export const regenerateRecoveryCodesInput = z.object({ code: totpCode }).strict();
export type RegenerateRecoveryCodesInput = z.input<typeof regenerateRecoveryCodesInput>;

export const auditEventKind = z.enum([
  'sign_in_success',
  'sign_in_failure',
  'totp_enabled',
  'totp_disabled',
  'recovery_code_used',
  'recovery_codes_regenerated',
  /** Revoked in the panel (or the app's list of devices). */
  'device_revoked',
  /** The app signed out on that computer: its device token ended. */
  'device_signed_out',
  /** The same computer signed in again and its earlier device token ended (every unlock does). */
  'device_replaced',
  'device_renamed',
  'password_changed',
  /** The first sign-in with the auth key replaced the account's old server-side hash. */
  'account_migrated',
  /** The administrator set a temporary password (`user reset-password`). */
  'password_reset',
  /** A password the administrator set was replaced by the account's own. */
  'temporary_password_replaced',
  /** The forgotten-password flow: a right recovery key and code (begun), then a new password (recovered). */
  'password_recovery_begun',
  'password_recovered',
  'account_key_created',
  /** "Start fresh" after a reset: a new account master key replaced the old one's wraps. */
  'account_key_replaced',
  'account_key_rewrapped',
  'recovery_key_changed',
  'device_key_added',
  'device_key_removed',
  'storage_deletion_burst',
  'storage_purged',
  'storage_token_created',
  'storage_token_revoked',
  /** The owner removed a key or lock file of a repository in the panel. */
  'storage_file_removed',
  /** The owner deleted a whole repository (its files recently deleted, restorable). */
  'storage_repository_deleted',
  /** A purge asked for without two-factor, carried out a day later unless cancelled. */
  'storage_purge_requested',
  'storage_purge_cancelled',
]);
export type AuditEventKind = z.infer<typeof auditEventKind>;

export const auditEvent = z.strictObject({
  at: isoTime,
  kind: auditEventKind,
  address: z.string(),
  client: z.enum(['panel', 'desktop', 'admin']),
  device: z.string().nullable(),
});
export type AuditEvent = z.infer<typeof auditEvent>;

/** Newest first, at most 200. */
export const auditLog = z.strictObject({ events: z.array(auditEvent) });
export type AuditLog = z.infer<typeof auditLog>;

export const device = z.strictObject({
  id: z.string(),
  name: z.string(),
  /** The computer it signed in from (its installation id); null for one signed in before computers had ids. */
  computerId: computerId.nullable(),
  createdAt: isoTime,
  lastSeenAt: isoTime.nullable(),
});
export type Device = z.infer<typeof device>;

export const deviceList = z.strictObject({ devices: z.array(device) });
export type DeviceList = z.infer<typeof deviceList>;
export const deviceIdParam = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/) }).strict();

/** A name the person gives a device in the panel; it stays with that computer at later sign-ins. */
export const renameDeviceInput = z.object({ name: deviceName }).strict();
export type RenameDeviceInput = z.input<typeof renameDeviceInput>;

export const deviceIdentity = z.strictObject({
  username: z.string(),
  deviceId: z.string(),
  deviceName: z.string(),
});
export type DeviceIdentity = z.infer<typeof deviceIdentity>;

const emptyBody = z.object({}).strict();

// ---- routes ---------------------------------------------------------------------------

export const accountRoutes = {
  serverInfo: route({ method: 'GET', path: '/api/server-info', auth: { kind: 'public' }, reply: serverInfo }),
  /** Only when sign-up is on (else signup_disabled). */
  signup: route({
    method: 'POST',
    path: '/api/signup',
    auth: { kind: 'public' },
    body: signupInput,
    reply: accountSummary,
    status: 201,
  }),
  /** The panel's sign-in: sets the session cookie. */
  panelSignIn: route({
    method: 'POST',
    path: '/api/session',
    auth: { kind: 'public' },
    body: panelSignInInput,
    reply: panelSession,
  }),
  currentSession: route({
    method: 'GET',
    path: '/api/session',
    auth: { kind: 'session', duringEnrolment: true, temporaryOk: true },
    reply: panelSession,
  }),
  /** Ends the current session (cookie or bearer). */
  signOut: route({
    method: 'DELETE',
    path: '/api/session',
    auth: { kind: 'session', duringEnrolment: true, temporaryOk: true },
    reply: noContent,
    status: 204,
  }),
  /** The desktop's sign-in: registers a device and opens a session. */
  deviceSignIn: route({
    method: 'POST',
    path: '/api/device-sign-in',
    auth: { kind: 'public' },
    body: deviceSignInInput,
    reply: deviceSignIn,
  }),
  account: route({
    method: 'GET',
    path: '/api/account',
    auth: { kind: 'session', duringEnrolment: true, temporaryOk: true },
    reply: accountSummary,
  }),
  /** Starts TOTP enrolment (replaces any pending one). */
  totpBegin: route({
    method: 'POST',
    path: '/api/account/totp/begin',
    auth: { kind: 'session', duringEnrolment: true },
    body: emptyBody,
    bodyOptional: true,
    reply: totpEnrolment,
  }),
  /** Errors: wrong_code, enrolment_expired, no_pending_enrolment. */
  totpConfirm: route({
    method: 'POST',
    path: '/api/account/totp/confirm',
    auth: { kind: 'session', duringEnrolment: true },
    body: totpConfirmInput,
    reply: recoveryCodes,
  }),
  totpDisable: route({
    method: 'POST',
    path: '/api/account/totp/disable',
    auth: { kind: 'session' },
    body: totpDisableInput,
    reply: noContent,
    status: 204,
  }),
  /** New recovery codes; the old ones stop working. */
  regenerateRecoveryCodes: route({
    method: 'POST',
    path: '/api/account/recovery-codes',
    auth: { kind: 'session' },
    body: regenerateRecoveryCodesInput,
    reply: recoveryCodes,
  }),
  audit: route({ method: 'GET', path: '/api/account/audit', auth: { kind: 'session' }, reply: auditLog }),
  devices: route({
    method: 'GET',
    path: '/api/account/devices',
    auth: { kind: 'session' },
    reply: deviceList,
  }),
  /**
   * Registers a device for a session that has none, e.g. the desktop right after enrolling under
   * --require-totp (its sign-in got no device token).
   */
  registerDevice: route({
    method: 'POST',
    path: '/api/account/devices',
    auth: { kind: 'session' },
    body: registerDeviceInput,
    reply: deviceRegistration,
    status: 201,
  }),
  /** Revokes the device token, the sessions of its sign-in and the storage tokens made from it. */
  revokeDevice: route({
    method: 'DELETE',
    path: '/api/account/devices/:id',
    auth: { kind: 'session' },
    params: deviceIdParam,
    reply: noContent,
    status: 204,
  }),
  /** Renames a device, and every later sign-in of the same computer keeps that name. */
  renameDevice: route({
    method: 'PUT',
    path: '/api/account/devices/:id/name',
    auth: { kind: 'session' },
    params: deviceIdParam,
    body: renameDeviceInput,
    reply: noContent,
    status: 204,
  }),
  deviceMe: route({ method: 'GET', path: '/api/device/me', auth: { kind: 'device' }, reply: deviceIdentity }),
  /** The device revokes itself (also while held at enrolment). */
  deviceSignOut: route({
    method: 'DELETE',
    path: '/api/device/me',
    auth: { kind: 'device', duringEnrolment: true },
    reply: noContent,
    status: 204,
  }),
};
