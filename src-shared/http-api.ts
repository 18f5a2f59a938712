/**
 * The account server's HTTP API: every route, its input schema and its output type.
 * One source of truth shared by the server (which turns the schemas into Fastify JSON
 * schemas with z.toJSONSchema), the web panel and the desktop app's account client.
 *
 * Authentication:
 * - Panel: a session cookie (`strongroom_session`) plus the header `x-csrf-token` on every
 *   state-changing request; the token comes from POST/GET /api/session.
 * - Desktop: `Authorization: Bearer <token>`. A *session* token (from device sign-in, kept
 *   only in memory) may use the account routes; a *device* token (kept in the OS keychain)
 *   may only use /api/device/* (backup work). Bearer requests need no CSRF token.
 */
import { z } from 'zod';

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,63}$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;

/** Usernames are case-insensitive: trimmed and lower-cased before anything else. */
export const username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    USERNAME_PATTERN,
    'Username: 2 to 64 characters, letters, digits, dot, dash or underscore, starting with a letter or digit.',
  );
/**
 * NIST SP 800-63B 5.1.1.2: a new password is normalised with NFKC (so "é" typed as one character
 * or as e + accent, or a full-width letter, is the same password, as the server's hasher always
 * hashed it), then counted in characters (code points, not UTF-16 units), and refused when it
 * is whitespace alone. Sign-in takes any string: the hasher normalises it the same way.
 */
export function normalizePassword(raw: string): string {
  return raw.normalize('NFKC');
}
export function passwordLength(normalized: string): number {
  let n = 0;
  for (const _ of normalized) n++;
  return n;
}
export const password = z
  .string()
  .transform(normalizePassword)
  .pipe(
    z
      .string()
      .refine((p) => passwordLength(p) >= PASSWORD_MIN, `Password: at least ${PASSWORD_MIN} characters.`)
      .refine((p) => passwordLength(p) <= PASSWORD_MAX, `Password: at most ${PASSWORD_MAX} characters.`)
      .refine(
        (p) => /\S/u.test(p),
        'Password: not only spaces; use letters, digits or other characters too.',
      ),
  );
/** A six-digit TOTP code; spaces a person types between groups are removed. */
export const totpCode = z
  .string()
  .transform((s) => s.replace(/\s+/g, ''))
  .pipe(z.string().regex(/^\d{6}$/, 'The two-factor code is six digits.'));
/** A recovery code: case-insensitive, dashes and spaces ignored. */
export const recoveryCode = z
  .string()
  .transform((s) => s.replace(/[\s-]+/g, '').toLowerCase())
  .pipe(z.string().regex(/^[a-z0-9]{10,32}$/, 'That is not a recovery code.'));
export const deviceName = z.string().trim().min(1).max(100);

export const errorCode = z.enum([
  'bad_request',
  'invalid_credentials',
  'totp_required',
  'throttled',
  'not_signed_in',
  'session_expired',
  'csrf',
  'forbidden_scope',
  'totp_enrollment_required',
  'wrong_code',
  'enrolment_expired',
  'no_pending_enrolment',
  'totp_already_enabled',
  'totp_not_enabled',
  'signup_disabled',
  'username_taken',
  'not_found',
  'payload_too_large',
  /** 421: the Host is not a name this server is configured for (DNS rebinding, or a missing --public-url). */
  'unknown_host',
  /** 401: the account's password was changed, which ended this session or device token. */
  'password_changed',
  'reauthentication_required',
  'internal',
]);
export type ErrorCode = z.infer<typeof errorCode>;

/** Every non-2xx answer has this body. 429 answers also carry a Retry-After header. */
export interface ApiError {
  error: ErrorCode;
  message: string;
  retryAfterSeconds?: number;
}

// ---- public ---------------------------------------------------------------------------

/** GET /api/server-info */
export interface ServerInfo {
  name: 'Strongroom';
  version: string;
  signup: boolean;
  requireTotp: boolean;
}

/** POST /api/signup (only when signup is on) -> 201 AccountSummary */
export const signupInput = z.object({ username, password }).strict();
export type SignupInput = z.input<typeof signupInput>;

// ---- sign-in --------------------------------------------------------------------------

const credentials = {
  username,
  password: z.string().min(1).max(PASSWORD_MAX),
  totp: totpCode.optional(),
  recoveryCode: recoveryCode.optional(),
};

/** POST /api/session (panel): sets the session cookie. Errors: invalid_credentials,
 * totp_required (password right, code missing), throttled (429 + Retry-After). */
export const panelSignInInput = z.object(credentials).strict();
export type PanelSignInInput = z.input<typeof panelSignInInput>;

export interface AccountSummary {
  username: string;
  totpEnabled: boolean;
  /** With --require-totp: the account must enrol before anything else is allowed. */
  mustEnrollTotp: boolean;
  recoveryCodesRemaining: number;
  createdAt: string;
}

/** Answer of POST /api/session and GET /api/session. */
export interface PanelSession {
  account: AccountSummary;
  csrfToken: string;
  expiresAt: string;
}

/** POST /api/device-sign-in (desktop): registers a device and opens a session. */
export const deviceSignInInput = z.object({ ...credentials, deviceName }).strict();
export type DeviceSignInInput = z.input<typeof deviceSignInInput>;

export interface DeviceSignIn {
  account: AccountSummary;
  /** Account-settings scope; keep in memory only; DELETE /api/session revokes it. */
  sessionToken: string;
  sessionExpiresAt: string;
  /** Backup-work scope; keep in the OS keychain. Null while TOTP enrolment is required. */
  deviceToken: string | null;
  deviceId: string | null;
}

/** DELETE /api/session: ends the current session (cookie or bearer) -> 204. */

/**
 * POST /api/account/devices (session scope): registers a device for a session that has none,
 * e.g. the desktop right after enrolling under --require-totp (its sign-in got no device token).
 * Errors: forbidden_scope (a device token), totp_enrollment_required.
 */
export const registerDeviceInput = z.object({ deviceName }).strict();
export type RegisterDeviceInput = z.input<typeof registerDeviceInput>;
export interface DeviceRegistration {
  /** Backup-work scope; keep in the OS keychain. */
  deviceToken: string;
  deviceId: string;
}

// ---- account (session scope) ----------------------------------------------------------

/** GET /api/account -> AccountSummary */

/** POST /api/account/totp/begin {} -> TotpEnrolment (replaces any pending one). */
export interface TotpEnrolment {
  otpauthUri: string;
  /** data:image/png;base64,... of the otpauth URI. */
  qrPngDataUrl: string;
  /** Base32 secret, for typing into an authenticator by hand. */
  secretBase32: string;
  expiresAt: string;
}

/** POST /api/account/totp/confirm. Errors: wrong_code, enrolment_expired, no_pending_enrolment. */
export const totpConfirmInput = z.object({ code: totpCode }).strict();
export type TotpConfirmInput = z.input<typeof totpConfirmInput>;
export interface RecoveryCodes {
  /** Shown once; stored hashed on the server. */
  recoveryCodes: string[];
}

/** POST /api/account/totp/disable -> 204. Needs the password and a code or a recovery code. */
export const totpDisableInput = z
  .object({
    password: z.string().min(1).max(PASSWORD_MAX),
    code: totpCode.optional(),
    recoveryCode: recoveryCode.optional(),
  })
  .strict();
export type TotpDisableInput = z.input<typeof totpDisableInput>;

/** POST /api/account/recovery-codes -> RecoveryCodes (old ones stop working). */
export const regenerateRecoveryCodesInput = z.object({ code: totpCode }).strict();
export type RegenerateRecoveryCodesInput = z.input<typeof regenerateRecoveryCodesInput>;

/** POST /api/account/password -> 204. */
export const changePasswordInput = z
  .object({ currentPassword: z.string().min(1).max(PASSWORD_MAX), newPassword: password })
  .strict();
export type ChangePasswordInput = z.input<typeof changePasswordInput>;

export type AuditEventKind =
  | 'sign_in_success'
  | 'sign_in_failure'
  | 'totp_enabled'
  | 'totp_disabled'
  | 'recovery_code_used'
  | 'recovery_codes_regenerated'
  | 'device_revoked'
  | 'password_changed'
  | 'storage_deletion_burst'
  | 'storage_purged'
  | 'storage_token_created';

export interface AuditEvent {
  at: string;
  kind: AuditEventKind;
  address: string;
  client: 'panel' | 'desktop' | 'admin';
  device: string | null;
}

/** GET /api/account/audit -> { events } newest first, at most 200. */
export interface AuditLog {
  events: AuditEvent[];
}

export interface Device {
  id: string;
  name: string;
  createdAt: string;
  lastSeenAt: string | null;
}

/** GET /api/account/devices -> { devices }; DELETE /api/account/devices/:id -> 204. */
export interface DeviceList {
  devices: Device[];
}
export const deviceIdParam = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/) }).strict();

// ---- device (device scope) ------------------------------------------------------------

/** GET /api/device/me -> DeviceIdentity; DELETE /api/device/me -> 204 (revokes itself). */
export interface DeviceIdentity {
  username: string;
  deviceId: string;
  deviceName: string;
}

// ---- account storage (issue 8) ----------------------------------------------------------
//
// The storage itself is restic's REST protocol v2 under /storage/<username>/<repository>/
// (see docs/server.md), authenticated by a device or storage token. These are the panel's
// routes about it (session scope) and the desktop's job reports (device scope).

export const repositoryName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'Repository name: 1 to 64 letters, digits, dot, dash or underscore, starting with a letter or digit.',
  );
export const storageFileType = z.enum(['config', 'data', 'keys', 'locks', 'snapshots', 'index']);
export type StorageFileType = z.infer<typeof storageFileType>;
export const repositoryParam = z.object({ name: repositoryName }).strict();

export interface StorageRepositorySummary {
  name: string;
  sizeBytes: number;
  fileCount: number;
  lastWriteAt: string | null;
  /** The device or storage token that wrote last (its name when it wrote). */
  lastWriteBy: string | null;
  recentlyDeletedBytes: number;
  recentlyDeletedCount: number;
}

export interface StorageDeletionAlert {
  repository: string;
  at: string;
  /**
   * What was deleted: `config` or `keys` (any one, at once: without them the backups cannot be
   * read), `snapshots` (over a quarter of them within a day), `index` (over a quarter of the
   * index bytes within a day, net of index written), `bytes` (over half of all bytes within a day).
   */
  kind: 'bytes' | 'config' | 'keys' | 'snapshots' | 'index';
  deletedBytes: number;
  repositoryBytes: number;
  /** Files of that kind deleted, and how many there were. */
  deletedFiles: number;
  repositoryFiles: number;
  device: string | null;
}

/** GET /api/account/storage */
export interface StorageOverview {
  /** Null: no quota. */
  quotaBytes: number | null;
  /** Every stored byte, recently deleted files included (they still use space). */
  usedBytes: number;
  graceDays: number;
  repositories: StorageRepositorySummary[];
  /** Bursts of deletions in the last 30 days. */
  deletionAlerts: StorageDeletionAlert[];
}

export interface ReceivedSnapshot {
  id: string;
  /** The server's receive time, whatever time the client wrote inside it. */
  receivedAt: string;
  writtenBy: string | null;
  sizeBytes: number;
  deletedAt: string | null;
}

export interface DeletedFile {
  type: StorageFileType;
  name: string;
  sizeBytes: number;
  deletedAt: string;
  deletedBy: string | null;
  /** When the grace period ends and the server purges it. */
  purgeAt: string;
}

/** GET /api/account/storage/repositories/:name */
export interface StorageRepositoryDetail extends StorageRepositorySummary {
  snapshots: ReceivedSnapshot[];
  recentlyDeleted: DeletedFile[];
}

const fileRef = z.object({ type: storageFileType, name: z.string().regex(/^[0-9a-f]{64}$|^$/) }).strict();

/** POST /api/account/storage/repositories/:name/restore -> { count }. All files if `files` is omitted. */
export const restoreDeletedInput = z.object({ files: z.array(fileRef).max(100_000).optional() }).strict();
export type RestoreDeletedInput = z.input<typeof restoreDeletedInput>;

/**
 * POST /api/account/storage/repositories/:name/purge -> { count }. Needs two-factor on, the
 * password and a current code or a recovery code, in a session signed in within the last
 * 15 minutes (else reauthentication_required).
 */
export const purgeDeletedInput = z
  .object({
    password: z.string().min(1).max(PASSWORD_MAX),
    code: totpCode.optional(),
    recoveryCode: recoveryCode.optional(),
    files: z.array(fileRef).max(100_000).optional(),
  })
  .strict();
export type PurgeDeletedInput = z.input<typeof purgeDeletedInput>;
export interface FileCount {
  count: number;
}

export interface StorageToken {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}
/** GET /api/account/storage-tokens; DELETE /api/account/storage-tokens/:id -> 204. */
export interface StorageTokenList {
  tokens: StorageToken[];
}
/** POST /api/account/storage-tokens -> 201 CreatedStorageToken (the token is shown once). */
export const createStorageTokenInput = z.object({ name: deviceName }).strict();
export type CreateStorageTokenInput = z.input<typeof createStorageTokenInput>;
export interface CreatedStorageToken {
  id: string;
  name: string;
  token: string;
}

/** POST /api/device/job-reports (device token) -> 201. Figures only: never file names. */
export const jobReportInput = z
  .object({
    /** The protected item's name, as the person named it. */
    item: z.string().trim().min(1).max(200),
    kind: z.enum(['backup', 'restore', 'check', 'prune']),
    status: z.enum(['succeeded', 'partial', 'failed', 'cancelled']),
    startedAt: z.iso.datetime(),
    durationMs: z
      .number()
      .int()
      .min(0)
      .max(366 * 24 * 3600 * 1000),
    filesProcessed: z.number().int().min(0),
    filesNew: z.number().int().min(0),
    filesChanged: z.number().int().min(0),
    errors: z.number().int().min(0),
    bytesProcessed: z.number().int().min(0),
    bytesAdded: z.number().int().min(0),
  })
  .strict();
export type JobReportInput = z.input<typeof jobReportInput>;
export type JobReport = z.output<typeof jobReportInput> & { receivedAt: string };

/**
 * GET /api/device/storage (device token): the account's storage figures, so the desktop can show
 * how much of the quota its account-storage vaults use without a session.
 */
export interface DeviceStorageUsage {
  /** Null: no quota. */
  quotaBytes: number | null;
  /** Every stored byte of the account, recently deleted files included. */
  usedBytes: number;
}

/** GET /api/account/job-reports -> the latest reports of each device, newest first. */
export interface JobReportList {
  devices: Array<{ deviceId: string; deviceName: string; revoked: boolean; reports: JobReport[] }>;
}

export const routes = {
  serverInfo: { method: 'GET', path: '/api/server-info' },
  signup: { method: 'POST', path: '/api/signup' },
  panelSignIn: { method: 'POST', path: '/api/session' },
  currentSession: { method: 'GET', path: '/api/session' },
  signOut: { method: 'DELETE', path: '/api/session' },
  deviceSignIn: { method: 'POST', path: '/api/device-sign-in' },
  account: { method: 'GET', path: '/api/account' },
  totpBegin: { method: 'POST', path: '/api/account/totp/begin' },
  totpConfirm: { method: 'POST', path: '/api/account/totp/confirm' },
  totpDisable: { method: 'POST', path: '/api/account/totp/disable' },
  regenerateRecoveryCodes: { method: 'POST', path: '/api/account/recovery-codes' },
  changePassword: { method: 'POST', path: '/api/account/password' },
  audit: { method: 'GET', path: '/api/account/audit' },
  devices: { method: 'GET', path: '/api/account/devices' },
  registerDevice: { method: 'POST', path: '/api/account/devices' },
  revokeDevice: { method: 'DELETE', path: '/api/account/devices/:id' },
  deviceMe: { method: 'GET', path: '/api/device/me' },
  deviceSignOut: { method: 'DELETE', path: '/api/device/me' },
  storageOverview: { method: 'GET', path: '/api/account/storage' },
  storageRepository: { method: 'GET', path: '/api/account/storage/repositories/:name' },
  storageRestore: { method: 'POST', path: '/api/account/storage/repositories/:name/restore' },
  storagePurge: { method: 'POST', path: '/api/account/storage/repositories/:name/purge' },
  storageTokens: { method: 'GET', path: '/api/account/storage-tokens' },
  createStorageToken: { method: 'POST', path: '/api/account/storage-tokens' },
  revokeStorageToken: { method: 'DELETE', path: '/api/account/storage-tokens/:id' },
  jobReports: { method: 'GET', path: '/api/account/job-reports' },
  reportJob: { method: 'POST', path: '/api/device/job-reports' },
  deviceStorage: { method: 'GET', path: '/api/device/storage' },
} as const;

/** Restic's REST protocol, served under this prefix (see docs/server.md). */
export const STORAGE_PREFIX = '/storage/';

export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_COOKIE = 'strongroom_session';
