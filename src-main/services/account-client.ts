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
  legacyProofOf,
  newPasswordKdf,
  passwordKeys,
  randomBytes,
  toBase64url,
  toHex,
} from '../../src-shared/account-crypto';
import type { IpcErrorCode } from '../../src-shared/ipc-contract';
import type { DirectoryVaultRow, ProfileRow } from '../../src-shared/account-keys';
import type { AccountDirectory, AccountKeys } from '../../src-shared/account-keys-api';
import {
  routes,
  CSRF_HEADER,
  SESSION_COOKIE,
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
}

/** Server error codes the desktop passes through as they are; the rest map below. */
const passThrough: Partial<Record<ErrorCode, IpcErrorCode>> = {
  bad_request: 'bad_request',
  invalid_credentials: 'invalid_credentials',
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
  version_conflict: 'conflict',
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
  internal: 'The account server had a problem. Try again.',
};

export class AccountClient {
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  /** This installation's id as device sign-in names it; made per process where nothing keeps one. */
  private readonly computerId: string;

  constructor(options: AccountClientOptions = {}) {
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.computerId = options.computerId ?? toHex(randomBytes(16));
  }

  serverInfo(baseUrl: string): Promise<ServerInfo> {
    return this.request(baseUrl, routes.serverInfo);
  }

  /** Creates an account (POST /api/signup), where the server has sign-up on: new parameters, the auth key. */
  async signup(baseUrl: string, input: { username: string; password: string }): Promise<AccountSummary> {
    const kdf = newPasswordKdf();
    const keys = await passwordKeys(input.password, kdf);
    keys.wrapKey.fill(0);
    return this.request(baseUrl, routes.signup, {
      body: { username: input.username, kdf, authKey: toBase64url(keys.authKey) },
    });
  }

  /**
   * What is sent instead of the password: the auth key derived with the server's parameters for
   * this username, and, while the server still answers legacy parameters, the legacy proof (an
   * account made before client-side derivation moves to the auth key with it).
   */
  private async credentials(
    baseUrl: string,
    username: string,
    password: string,
  ): Promise<{ authKey: string; legacyProof?: string }> {
    const params = await this.request(baseUrl, routes.signInParams, { body: { username } });
    const keys = await passwordKeys(password, params.kdf);
    keys.wrapKey.fill(0);
    const authKey = toBase64url(keys.authKey);
    if (params.legacy === null) return { authKey };
    return { authKey, legacyProof: toBase64url(await legacyProofOf(password, params.legacy)) };
  }

  /**
   * Checks an account password again (the recovery kit asks for it) through the server's own
   * sign-in, so its throttle applies: POST /api/session without a code. totp_required proves the
   * password too (the server answers it only after the password matched). A session it opens is
   * ended at once. Throws invalid_credentials, throttled or unreachable.
   */
  async verifyPassword(baseUrl: string, username: string, password: string): Promise<void> {
    let cookie: string | null = null;
    let session: ReplyOf<typeof routes.panelSignIn>;
    try {
      session = await this.request(baseUrl, routes.panelSignIn, {
        body: { username, ...(await this.credentials(baseUrl, username, password)) },
        onResponse: (response) => (cookie = sessionCookie(response)),
      });
    } catch (error) {
      if (error instanceof ServiceError && error.code === 'totp_required') return;
      throw error;
    }
    if (cookie === null) return;
    await this.request(baseUrl, routes.signOut, {
      headers: { cookie: `${SESSION_COOKIE}=${cookie}`, [CSRF_HEADER]: session.csrfToken },
    }).catch(() => undefined); // it expires on the server anyway
  }

  /** Registers this device and opens a session (POST /api/device-sign-in). */
  async deviceSignIn(
    baseUrl: string,
    input: Omit<DeviceSignInInput, 'authKey' | 'legacyProof' | 'computerId'> & { password: string },
  ): Promise<DeviceSignIn> {
    const { password, ...rest } = input;
    const credentials = await this.credentials(baseUrl, input.username, password);
    return this.request(baseUrl, routes.deviceSignIn, {
      body: { ...rest, ...credentials, computerId: this.computerId },
    });
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

  /** The account's storage use and quota, with the device token (GET /api/device/storage). */
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

  /** The account's wrap rows (fresh session): what a drive envelope copies. */
  accountKeyRows(baseUrl: string, sessionToken: string): Promise<AccountKeys> {
    return this.request(baseUrl, routes.accountKeys, { token: sessionToken });
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
      /** Values for the path's `:name` segments, each URL-encoded. */
      params?: Record<string, string>;
      body?: BodyInput<D>;
      headers?: Record<string, string>;
      onResponse?: (response: Response) => void;
    } = {},
  ): Promise<ReplyOf<D>> {
    const routePath = route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
      const value = options.params?.[name];
      if (value === undefined) throw new Error(`${route.path}: no value for :${name}`);
      return encodeURIComponent(value);
    });
    const url = new URL(routePath, baseUrl);
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

/** The session cookie's value from a sign-in answer's Set-Cookie headers. */
function sessionCookie(response: Response): string | null {
  for (const line of response.headers.getSetCookie()) {
    const [pair = ''] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === SESSION_COOKIE) return pair.slice(eq + 1).trim();
  }
  return null;
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
