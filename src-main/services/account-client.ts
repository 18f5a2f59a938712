/**
 * HTTP client of the account server (src-shared/http-api/). Answers are typed by the contract;
 * every failure becomes a ServiceError with an IpcError code: the server's own error codes where
 * the renderer needs them, 'unreachable' for connection errors, timeouts and answers that are not
 * from a Strongroom server.
 *
 * The password never leaves this process: every call that needs it derives the auth key here
 * (src-shared/account-crypto.ts) with the parameters the server answers for the username, and
 * sends that instead.
 */
import {
  AccountKeyError,
  argon2idInProcess,
  legacyProofOf,
  newPasswordKdf,
  passwordKeys,
  randomBytes,
  toBase64url,
  toHex,
  type Argon2Runner,
  type PasswordKeys,
} from '../../src-shared/account-crypto';
import type { LegacyKdf, PasswordKdf } from '../../src-shared/account-keys';
import type { z } from 'zod';
import type {
  AccountKeyStatus,
  AccountKeys,
  createAccountKeysInput,
  replaceAccountKeysInput,
  forgotPasswordFinishInput,
  keyChangePasswordInput,
  newRecoveryKeyInput,
  rewrapPasswordInput,
  deviceWrapInput,
} from '../../src-shared/account-keys-api';
import type { IpcErrorCode } from '../../src-shared/ipc-contract';
import type { DirectoryVaultRow, ProfileRow } from '../../src-shared/account-keys';
import type { AccountDirectory, ArchivedAccountKeys } from '../../src-shared/account-keys-api';
import {
  routes,
  type AccountSummary,
  type ApiError,
  type BodyInput,
  type DeviceRegistration,
  type DeviceSignIn,
  type DeviceSignInInput,
  type DeviceList,
  type DeviceStorageUsage,
  type ErrorCode,
  type JobReportInput,
  type RecoveryCodes,
  type RegenerateRecoveryCodesInput,
  type RegisterDeviceInput,
  type ReplyOf,
  type RouteDef,
  type ServerInfo,
  type TotpConfirmInput,
  type TotpEnrolment,
} from '../../src-shared/http-api';
import { ServiceError } from './service-error';

export interface AccountClientOptions {
  fetch?: typeof fetch;
  /** Per request; a server that does not answer in time counts as unreachable. */
  timeoutMs?: number;
  computerId?: string;
  /** Runs Argon2id; the app passes its worker thread's, so main's event loop never waits on it. */
  argon2?: Argon2Runner;
  /** Computes the legacy proof (scrypt); the app passes its worker thread's, as for Argon2id. */
  legacyProof?: (password: string, legacy: LegacyKdf) => Promise<Uint8Array>;
  /** Which server+username pairs have signed in with the auth key here (never the legacy proof again). */
  schemes?: SignInSchemeMemory;
}

/**
 * Remembers, per account server and username, that this client signed in with the auth key: from
 * then on it never computes the legacy proof for them (a server asking for it is a downgrade).
 */
export interface SignInSchemeMemory {
  usesNewScheme(serverUrl: string, username: string): boolean;
  rememberNewScheme(serverUrl: string, username: string): void;
}

/** What a sign-in sends instead of the password, and the wrap key from the same derivation (kept in main). */
export interface DerivedCredentials {
  authKey: string;
  legacyProof?: string;
  /** Wraps the account master key; the caller zeroes it when done. */
  wrapKey: Uint8Array;
  /** The parameters it was derived with (the account's current password row). */
  kdf: PasswordKdf;
}

/** A new password's rows: its parameters, auth key and wrap key. */
export interface NewPasswordKeys {
  kdf: PasswordKdf;
  authKey: string;
  wrapKey: Uint8Array;
}

/** Server error codes the desktop passes through as they are; the rest map below. */
const passThrough: Partial<Record<ErrorCode, IpcErrorCode>> = {
  bad_request: 'bad_request',
  invalid_credentials: 'invalid_credentials',
  reauthentication_required: 'reauthentication_required',
  password_change_required: 'password_change_required',
  generation_conflict: 'conflict',
  version_conflict: 'conflict',
  keys_exist: 'conflict',
  use_the_app: 'bad_request',
  legacy_sign_in_closed: 'invalid_credentials',
  ticket_expired: 'bad_request',
  not_found: 'not_found',
  totp_required: 'totp_required',
  throttled: 'throttled',
  session_expired: 'session_expired',
  password_changed: 'password_changed',
  not_signed_in: 'session_expired',
  forbidden_scope: 'session_expired',
  wrong_code: 'wrong_code',
  enrolment_expired: 'enrolment_expired',
  no_pending_enrolment: 'no_pending_enrolment',
  totp_already_enabled: 'totp_already_enabled',
  totp_not_enabled: 'totp_not_enabled',
  totp_enrollment_required: 'totp_enrollment_required',
  payload_too_large: 'bad_request',
  signup_disabled: 'bad_request',
  username_taken: 'conflict',
};

const defaultWords: Partial<Record<IpcErrorCode, string>> = {
  invalid_credentials: 'Wrong username or password.',
  totp_required: 'Enter the two-factor code (TOTP) from your authenticator app.',
  session_expired: 'Your session has ended. Lock Strongroom and unlock it again to change account settings.',
  password_changed:
    'The password of this account was changed, which signed this computer out. Unlock with the new password.',
  wrong_code: 'That code is not right. Enter the current code from your authenticator app.',
  enrolment_expired: 'The set-up took too long. Start enabling two-factor authentication again.',
  no_pending_enrolment: 'Start enabling two-factor authentication first.',
  totp_already_enabled: 'Two-factor authentication is already on.',
  totp_not_enabled: 'Two-factor authentication is not on.',
  totp_enrollment_required: 'This server requires two-factor authentication: enable it first.',
  bad_request: 'The server refused that request.',
  reauthentication_required: 'Enter your password (and code) again to continue.',
  password_change_required: 'The administrator set this password: choose a new one to continue.',
  internal: 'The account server had a problem. Try again.',
};

export class AccountClient {
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  /** This installation's id as device sign-in names it; made per process where nothing keeps one. */
  readonly computerId: string;
  private readonly argon2: Argon2Runner;
  private readonly legacyProof: (password: string, legacy: LegacyKdf) => Promise<Uint8Array>;
  private readonly schemes: SignInSchemeMemory | null;

  constructor(options: AccountClientOptions = {}) {
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.computerId = options.computerId ?? toHex(randomBytes(16));
    this.argon2 = options.argon2 ?? argon2idInProcess;
    this.legacyProof = options.legacyProof ?? legacyProofOf;
    this.schemes = options.schemes ?? null;
  }

  /** Argon2id (through the runner) and HKDF: the auth key and the wrap key of a password. */
  async passwordKeys(password: string, kdf: PasswordKdf): Promise<PasswordKeys> {
    try {
      return await passwordKeys(password, kdf, this.argon2);
    } catch (error) {
      throw asServiceError(error);
    }
  }

  /** A new password's parameters (a fresh salt) and keys. */
  async newPasswordKeys(password: string): Promise<NewPasswordKeys> {
    const kdf = newPasswordKdf();
    const keys = await this.passwordKeys(password, kdf);
    return { kdf, authKey: toBase64url(keys.authKey), wrapKey: keys.wrapKey };
  }

  serverInfo(baseUrl: string): Promise<ServerInfo> {
    return this.request(baseUrl, routes.serverInfo);
  }

  /** Creates an account (POST /api/signup), where the server has sign-up on: new parameters, the auth key. */
  async signup(baseUrl: string, input: { username: string; password: string }): Promise<AccountSummary> {
    const keys = await this.newPasswordKeys(input.password);
    keys.wrapKey.fill(0);
    const summary = await this.request(baseUrl, routes.signup, {
      body: { username: input.username, kdf: keys.kdf, authKey: keys.authKey },
    });
    this.schemes?.rememberNewScheme(originOf(baseUrl), summary.username);
    return summary;
  }

  /**
   * What is sent instead of the password: the auth key derived with the server's parameters for
   * this username, and, while the server still answers legacy parameters and this client has never
   * signed in to this account with the auth key, the legacy proof too (an account made before
   * client-side derivation moves to the auth key with it). Once it has, the legacy proof is never
   * computed again for that account, whatever the server answers: a downgrade is refused.
   */
  async deriveCredentials(baseUrl: string, username: string, password: string): Promise<DerivedCredentials> {
    const params = await this.request(baseUrl, routes.signInParams, { body: { username } });
    const keys = await this.passwordKeys(password, params.kdf);
    const authKey = toBase64url(keys.authKey);
    const base = { authKey, wrapKey: keys.wrapKey, kdf: params.kdf };
    if (params.legacy === null || this.schemes?.usesNewScheme(originOf(baseUrl), username)) return base;
    try {
      return { ...base, legacyProof: toBase64url(await this.legacyProof(password, params.legacy)) };
    } catch (error) {
      keys.wrapKey.fill(0);
      throw asServiceError(error);
    }
  }

  private async credentials(
    baseUrl: string,
    username: string,
    password: string,
  ): Promise<{ authKey: string; legacyProof?: string }> {
    const { wrapKey, kdf: _kdf, ...sent } = await this.deriveCredentials(baseUrl, username, password);
    wrapKey.fill(0);
    return sent;
  }

  /**
   * Checks the account password again (the recovery kit asks for it) on this computer's own
   * session: POST /api/account/reauthenticate without a code, so the server's throttle applies and
   * a wrong password is recorded as a failed check from the desktop app, never as a sign-in to the
   * web panel. totp_required proves the password too (the server answers it only after the
   * password matched). Throws invalid_credentials, throttled or unreachable.
   */
  async verifyPassword(
    baseUrl: string,
    sessionToken: string,
    username: string,
    password: string,
  ): Promise<void> {
    const { authKey } = await this.credentials(baseUrl, username, password);
    try {
      await this.request(baseUrl, routes.reauthenticate, { token: sessionToken, body: { authKey } });
    } catch (error) {
      if (error instanceof ServiceError && error.code === 'totp_required') return;
      throw error;
    }
  }

  /** Registers this device and opens a session (POST /api/device-sign-in). */
  async deviceSignIn(
    baseUrl: string,
    input: Omit<DeviceSignInInput, 'authKey' | 'legacyProof' | 'computerId'> & { password: string },
  ): Promise<DeviceSignIn> {
    const { password, ...rest } = input;
    const credentials = await this.credentials(baseUrl, input.username, password);
    return this.deviceSignInWith(baseUrl, { ...rest, ...credentials });
  }

  /** The same with credentials already derived (the unlock keeps the wrap key of that derivation). */
  async deviceSignInWith(
    baseUrl: string,
    input: Omit<DeviceSignInInput, 'computerId'>,
  ): Promise<DeviceSignIn> {
    const signIn = await this.request(baseUrl, routes.deviceSignIn, {
      body: { ...input, computerId: this.computerId },
    });
    this.schemes?.rememberNewScheme(originOf(baseUrl), signIn.account.username);
    return signIn;
  }

  // ---- the account's keys (src-shared/account-keys-api.ts) ---------------------------------------

  /** POST /api/account/reauthenticate: the password's auth key (and a code) again; the session is fresh again. */
  async reauthenticate(
    baseUrl: string,
    sessionToken: string,
    input: { authKey: string; totp?: string; recoveryCode?: string },
  ): Promise<void> {
    await this.request(baseUrl, routes.reauthenticate, { token: sessionToken, body: input });
  }

  /** GET /api/account/keys (fresh session): the wrap rows, this computer's device wrap only. */
  accountKeys(baseUrl: string, sessionToken: string): Promise<AccountKeys> {
    return this.request(baseUrl, routes.accountKeys, { token: sessionToken });
  }

  /** POST /api/account/keys: the first AMK's wraps (or "start fresh" with `replace`). */
  createAccountKeys(
    baseUrl: string,
    sessionToken: string,
    input: z.input<typeof createAccountKeysInput>,
  ): Promise<{ generation: number }> {
    return this.request(baseUrl, routes.createAccountKeys, { token: sessionToken, body: input });
  }

  /** POST /api/account/keys/replace: "start fresh" after a reset, with the auth key and the code again. */
  replaceAccountKeys(
    baseUrl: string,
    sessionToken: string,
    input: z.input<typeof replaceAccountKeysInput>,
  ): Promise<{ generation: number }> {
    return this.request(baseUrl, routes.replaceAccountKeys, { token: sessionToken, body: input });
  }

  /** GET /api/account/keys/archived: the recovery wraps of keys replaced by "start fresh". */
  archivedAccountKeys(baseUrl: string, sessionToken: string): Promise<ArchivedAccountKeys> {
    return this.request(baseUrl, routes.archivedAccountKeys, { token: sessionToken });
  }

  /** PUT /api/account/keys/password-wrap: the AMK wrapped by the current password (after a reset). */
  rewrapPassword(
    baseUrl: string,
    sessionToken: string,
    input: z.input<typeof rewrapPasswordInput>,
  ): Promise<{ generation: number }> {
    return this.request(baseUrl, routes.rewrapPassword, { token: sessionToken, body: input });
  }

  /** POST /api/account/keys/recovery: a new recovery key's proof and wrap; the old key stops working. */
  newRecoveryKey(
    baseUrl: string,
    sessionToken: string,
    input: z.input<typeof newRecoveryKeyInput>,
  ): Promise<{ generation: number }> {
    return this.request(baseUrl, routes.newRecoveryKey, { token: sessionToken, body: input });
  }

  /** PUT /api/account/keys/devices/:computerId: this computer's device wrap. */
  putDeviceWrap(
    baseUrl: string,
    sessionToken: string,
    input: z.input<typeof deviceWrapInput>,
  ): Promise<{ generation: number }> {
    return this.request(baseUrl, routes.putDeviceWrap, {
      token: sessionToken,
      params: { computerId: this.computerId },
      body: input,
    });
  }

  /** POST /api/account/password: the new password's verifier and wrap; other sessions and tokens end. */
  changePassword(
    baseUrl: string,
    sessionToken: string,
    input: z.input<typeof keyChangePasswordInput>,
  ): Promise<{ generation: number }> {
    return this.request(baseUrl, routes.changePassword, { token: sessionToken, body: input });
  }

  /** POST /api/account/password/temporary: replaces a password the administrator set (the verifier only). */
  replaceTemporaryPassword(
    baseUrl: string,
    sessionToken: string,
    input: { generation: number; kdf: PasswordKdf; authKey: string },
  ): Promise<AccountKeyStatus> {
    return this.request(baseUrl, routes.replaceTemporaryPassword, { token: sessionToken, body: input });
  }

  /** POST /api/forgot-password/begin: the recovery proof and a code answer a ticket and the recovery wrap. */
  forgotPasswordBegin(
    baseUrl: string,
    input: { username: string; recoveryProof: string; totp?: string; recoveryCode?: string },
  ): Promise<ReplyOf<typeof routes.forgotPasswordBegin>> {
    return this.request(baseUrl, routes.forgotPasswordBegin, { body: input });
  }

  /** POST /api/forgot-password/finish: the new password's rows and a new recovery key, atomically. */
  async forgotPasswordFinish(
    baseUrl: string,
    input: z.input<typeof forgotPasswordFinishInput>,
  ): Promise<void> {
    await this.request(baseUrl, routes.forgotPasswordFinish, { body: input });
  }

  /** Ends the session (DELETE /api/session). */
  async signOut(baseUrl: string, sessionToken: string): Promise<void> {
    await this.request(baseUrl, routes.signOut, { token: sessionToken });
  }

  /** Revokes this device's own token (DELETE /api/device/me). */
  async revokeDevice(baseUrl: string, deviceToken: string): Promise<void> {
    await this.request(baseUrl, routes.deviceSignOut, { token: deviceToken });
  }

  /** Registers this device from a session whose sign-in got no device token (POST /api/account/devices). */
  registerDevice(
    baseUrl: string,
    sessionToken: string,
    input: RegisterDeviceInput,
  ): Promise<DeviceRegistration> {
    return this.request(baseUrl, routes.registerDevice, { token: sessionToken, body: input });
  }

  /** The account's storage use, quota and deletion alerts, with the device token (GET /api/device/storage). */
  deviceStorage(baseUrl: string, deviceToken: string): Promise<DeviceStorageUsage> {
    return this.request(baseUrl, routes.deviceStorage, { token: deviceToken });
  }

  /** One finished job's figures, with the device token (POST /api/device/job-reports). */
  async reportJob(baseUrl: string, deviceToken: string, report: JobReportInput): Promise<void> {
    await this.request(baseUrl, routes.reportJob, { token: deviceToken, body: report });
  }

  account(baseUrl: string, sessionToken: string): Promise<AccountSummary> {
    return this.request(baseUrl, routes.account, { token: sessionToken });
  }

  totpBegin(baseUrl: string, sessionToken: string): Promise<TotpEnrolment> {
    return this.request(baseUrl, routes.totpBegin, { token: sessionToken, body: {} });
  }

  totpConfirm(baseUrl: string, sessionToken: string, input: TotpConfirmInput): Promise<RecoveryCodes> {
    return this.request(baseUrl, routes.totpConfirm, { token: sessionToken, body: input });
  }

  async totpDisable(
    baseUrl: string,
    sessionToken: string,
    username: string,
    input: { password: string; code?: string; recoveryCode?: string },
  ): Promise<void> {
    const { password, ...codes } = input;
    const { authKey } = await this.credentials(baseUrl, username, password);
    await this.request(baseUrl, routes.totpDisable, { token: sessionToken, body: { authKey, ...codes } });
  }

  regenerateRecoveryCodes(
    baseUrl: string,
    sessionToken: string,
    input: RegenerateRecoveryCodesInput,
  ): Promise<RecoveryCodes> {
    return this.request(baseUrl, routes.regenerateRecoveryCodes, { token: sessionToken, body: input });
  }

  // ---- vault directory and computer profiles (sealed rows the server cannot read) ----

  /** Every directory row and profile of the account, soft-deleted ones included (fresh session). */
  directory(baseUrl: string, sessionToken: string): Promise<AccountDirectory> {
    return this.request(baseUrl, routes.directory, { token: sessionToken });
  }

  /** Writes a vault's row at `version` (stored + 1, or 1); another version is `conflict`. */
  putDirectoryRow(
    baseUrl: string,
    sessionToken: string,
    vaultId: string,
    body: { version: number; sealed: string },
  ): Promise<DirectoryVaultRow> {
    return this.request(baseUrl, routes.putDirectoryRow, { token: sessionToken, params: { vaultId }, body });
  }

  /** Marks a vault's row deleted at `version` (the row stays: deletions are soft). */
  deleteDirectoryRow(
    baseUrl: string,
    sessionToken: string,
    vaultId: string,
    version: number,
  ): Promise<DirectoryVaultRow> {
    return this.request(baseUrl, routes.deleteDirectoryRow, {
      token: sessionToken,
      params: { vaultId },
      body: { version },
    });
  }

  /** Writes this computer's own profile at `version` (the server refuses another computer's). */
  putProfile(
    baseUrl: string,
    sessionToken: string,
    computerId: string,
    body: { version: number; sealed: string },
  ): Promise<ProfileRow> {
    return this.request(baseUrl, routes.putProfile, { token: sessionToken, params: { computerId }, body });
  }

  /** Marks a computer's profile deleted (a takeover ends the old computer's profile). */
  deleteProfile(
    baseUrl: string,
    sessionToken: string,
    computerId: string,
    version: number,
  ): Promise<ProfileRow> {
    return this.request(baseUrl, routes.deleteProfile, {
      token: sessionToken,
      params: { computerId },
      body: { version },
    });
  }

  /** Forgets a computer's device wrap of the AMK. */
  async deleteDeviceWrap(baseUrl: string, sessionToken: string, computerId: string): Promise<void> {
    await this.request(baseUrl, routes.deleteDeviceWrap, { token: sessionToken, params: { computerId } });
  }

  /** The account's devices, each with the computer it signed in from. */
  devices(baseUrl: string, sessionToken: string): Promise<DeviceList> {
    return this.request(baseUrl, routes.devices, { token: sessionToken });
  }

  /** Revokes one device of the account (its token, its sign-in's sessions). */
  async revokeDeviceById(baseUrl: string, sessionToken: string, deviceId: string): Promise<void> {
    await this.request(baseUrl, routes.revokeDevice, { token: sessionToken, params: { id: deviceId } });
  }

  /** The answer's type is the route's reply schema's, from the contract. */
  private async request<D extends RouteDef>(
    baseUrl: string,
    route: D,
    options: {
      token?: string;
      /** Values of the path's `:name` parameters. */
      params?: Record<string, string>;
      body?: BodyInput<D>;
      headers?: Record<string, string>;
      onResponse?: (response: Response) => void;
    } = {},
  ): Promise<ReplyOf<D>> {
    const pathname = route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
      const value = options.params?.[name];
      if (value === undefined) throw new Error(`${route.path}: no value for :${name}`);
      return encodeURIComponent(value);
    });
    const url = new URL(pathname, baseUrl);
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';

    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method: route.method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
    } catch {
      // Connection refused, DNS, TLS, timeout: the cause stays out of the message (it may name
      // internals) but the server address is what the person needs to check.
      throw unreachable(baseUrl);
    }

    options.onResponse?.(response);
    const text = await response.text().catch(() => '');
    if (response.status === 204) return undefined as ReplyOf<D>;
    let body: unknown;
    let isJson = true;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      isJson = false;
    }
    if (response.ok) {
      if (!isJson) throw unreachable(baseUrl, true);
      return body as ReplyOf<D>;
    }
    throw toServiceError(response, body, baseUrl);
  }
}

function unreachable(baseUrl: string, notStrongroom = false): ServiceError {
  return new ServiceError(
    'unreachable',
    notStrongroom
      ? `The server at ${originOf(baseUrl)} did not answer like a Strongroom account server.`
      : `Cannot reach the account server at ${originOf(baseUrl)}. Check the address and your connection, then retry.`,
  );
}

function originOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).origin;
  } catch {
    return 'that address';
  }
}

function toServiceError(response: Response, body: unknown, baseUrl: string): ServiceError {
  const apiError = isApiError(body) ? body : null;
  if (!apiError) {
    if (response.status === 429) return throttled(retryAfter(response, undefined));
    if (response.status >= 500) return new ServiceError('internal', defaultWords.internal!);
    return unreachable(baseUrl, true);
  }
  const code = passThrough[apiError.error] ?? 'internal';
  if (code === 'throttled') return throttled(retryAfter(response, apiError.retryAfterSeconds));
  const message = apiError.message.trim() !== '' ? apiError.message : (defaultWords[code] ?? '');
  return new ServiceError(code, message || defaultWords.internal!);
}

/** Parameters or a recovery key refused by the client itself (a hostile server, a typo) as words a person can act on. */
function asServiceError(error: unknown): unknown {
  if (!(error instanceof AccountKeyError)) return error;
  switch (error.code) {
    case 'kdf_refused':
    case 'legacy_refused':
      return new ServiceError('unreachable', error.message);
    case 'key_changed':
      return new ServiceError('key_changed', error.message);
    case 'recovery_key_typo':
      return new ServiceError('bad_request', error.message);
    case 'does_not_open':
      return new ServiceError('key_unavailable', error.message);
  }
}

function throttled(seconds: number): ServiceError {
  return new ServiceError('throttled', `Too many attempts. Try again in ${seconds} s.`, seconds);
}

function retryAfter(response: Response, fromBody: number | undefined): number {
  if (typeof fromBody === 'number' && Number.isFinite(fromBody) && fromBody >= 0) return Math.ceil(fromBody);
  const header = Number(response.headers.get('retry-after'));
  return Number.isFinite(header) && header >= 0 ? Math.ceil(header) : 1;
}

function isApiError(body: unknown): body is ApiError {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as ApiError).error === 'string' &&
    typeof (body as ApiError).message === 'string'
  );
}
