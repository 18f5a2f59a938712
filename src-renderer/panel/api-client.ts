/**
 * The web panel's client of the account server, typed by src-shared/http-api/. It sends the
 * session cookie (same-origin), adds the CSRF token from the session answer to every
 * state-changing request, and turns every ApiError into a Problem whose message a person can act
 * on. It never throws: a dropped connection is a Problem too.
 */
import {
  CSRF_HEADER,
  routes,
  type ApiError,
  type BodyInput,
  type CreateStorageTokenInput,
  type OwnerConfirmationInput,
  type RemoveStorageFileInput,
  type PanelSignInInput,
  type PurgeDeletedInput,
  type ReplyOf,
  type RestoreDeletedInput,
  type RouteDef,
  type SignupInput,
  type TotpDisableInput,
} from '../../src-shared/http-api';
import type { ActionResult, Problem } from '../components/action-result';

/** Words for each error code. The server's own message is kept where it is the most precise
 * (bad_request carries the field's validation message). */
export function problemFromApiError(
  status: number,
  body: Partial<ApiError> | null,
  retryAfterHeader?: string | null,
): Problem {
  const code = body?.error ?? (status === 429 ? 'throttled' : status >= 500 ? 'internal' : 'bad_request');
  const serverMessage = typeof body?.message === 'string' && body.message ? body.message : null;
  const fromHeader = retryAfterHeader ? Number.parseInt(retryAfterHeader, 10) : NaN;
  const retryAfterSeconds =
    typeof body?.retryAfterSeconds === 'number'
      ? body.retryAfterSeconds
      : Number.isFinite(fromHeader)
        ? fromHeader
        : undefined;

  const words: Record<string, string> = {
    invalid_credentials: 'The username or password is not right.',
    totp_required: 'Enter the two-factor code from your authenticator app.',
    throttled: 'Too many attempts. Wait a moment and try again.',
    not_signed_in: 'Your session has expired. Sign in again.',
    session_expired: 'Your session has expired. Sign in again.',
    csrf: 'Your session has expired. Sign in again.',
    password_changed:
      'The password of this account was changed, which signed out this browser too. Sign in with the new password.',
    unknown_host:
      'This server does not answer to the address in your browser. Open the panel at the address its administrator gave.',
    wrong_code:
      'That code is not right, or it was already used. Wait for the next code in your authenticator app and enter it.',
    enrolment_expired: 'This set-up has expired (it lasts 10 minutes). Start again to get a new QR code.',
    no_pending_enrolment: 'There is no set-up in progress. Start again to get a new QR code.',
    totp_already_enabled: 'Two-factor authentication is already on.',
    totp_not_enabled: 'Two-factor authentication is not on.',
    totp_enrollment_required: 'This server requires two-factor authentication: set it up first.',
    signup_disabled: 'This server does not allow creating accounts here. Ask its administrator for one.',
    username_taken: 'That username is taken. Choose another one.',
    payload_too_large: 'That is too long for the server to accept.',
    forbidden_scope: 'This needs a fresh sign-in. Sign out and sign in again.',
    not_found: 'That item no longer exists. Reload the page.',
    reauthentication_required:
      'For this, sign out and sign in again first (it needs a sign-in from the last 15 minutes).',
    server_out_of_space:
      'The server is out of disk space, so it cannot save this now. Tell its administrator; reading still works.',
    internal: 'The server ran into a problem. Try again in a moment.',
    password_change_required: 'The administrator set your password: choose a new one first.',
    use_the_app: 'Do this in the Strongroom app: the web panel never handles your account’s keys.',
    legacy_sign_in_closed:
      'This server no longer takes the sign-in this account was made with. Ask its administrator to reset your password.',
    generation_conflict: 'Your account’s credentials were changed meanwhile. Reload the page and try again.',
  };
  const message =
    code === 'bad_request'
      ? (serverMessage ?? 'The server could not accept that input.')
      : (words[code] ?? serverMessage ?? `The server refused (${status}).`);
  return retryAfterSeconds !== undefined && retryAfterSeconds > 0
    ? { code, message, retryAfterSeconds }
    : { code, message };
}

export const UNREACHABLE: Problem = {
  code: 'unreachable',
  message: 'The account server cannot be reached. Check that it is running and try again.',
};

/** Codes that mean the panel session is gone: the app goes back to sign-in saying so. */
export function isSessionLost(p: Problem): boolean {
  return (
    p.code === 'not_signed_in' ||
    p.code === 'session_expired' ||
    p.code === 'password_changed' ||
    p.code === 'csrf'
  );
}

export interface PanelApiClientOptions {
  /** Defaults to the page's fetch; tests pass their own. */
  fetch?: typeof fetch;
  /** Prefix for every path; '' for the server that serves the panel. */
  baseUrl?: string;
}

export class PanelApiClient {
  private csrfToken: string | null = null;
  private sessionLostListener: ((p: Problem) => void) | null = null;
  private readonly fetchImpl: typeof fetch;
  private readonly baseUrl: string;

  constructor(options: PanelApiClientOptions = {}) {
    this.fetchImpl = options.fetch ?? ((input, init) => window.fetch(input, init));
    this.baseUrl = options.baseUrl ?? '';
  }

  /** Called when a signed-in request finds the session gone (expired, signed out elsewhere). */
  onSessionLost(listener: (p: Problem) => void): void {
    this.sessionLostListener = listener;
  }

  serverInfo() {
    return this.call(routes.serverInfo, { signedIn: false });
  }
  /** The current session, if the cookie still holds one; a Problem 'not_signed_in' otherwise. */
  async currentSession() {
    const r = await this.call(routes.currentSession, { signedIn: false });
    this.csrfToken = r.ok ? r.value.csrfToken : null;
    return r;
  }
  async signIn(input: PanelSignInInput) {
    const r = await this.call(routes.panelSignIn, { body: input, signedIn: false });
    if (r.ok) this.csrfToken = r.value.csrfToken;
    return r;
  }
  signUp(input: SignupInput) {
    return this.call(routes.signup, { body: input, signedIn: false });
  }
  /** What to derive the auth key with; answered alike for every username. */
  signInParams(username: string) {
    return this.call(routes.signInParams, { body: { username }, signedIn: false });
  }
  /** Replaces a password the administrator set (only while the account has no key; else the app does). */
  replaceTemporaryPassword(input: BodyInput<typeof routes.replaceTemporaryPassword>) {
    return this.call(routes.replaceTemporaryPassword, { body: input });
  }
  async signOut() {
    const r = await this.call(routes.signOut, { signedIn: false });
    this.csrfToken = null;
    return r;
  }
  account() {
    return this.call(routes.account);
  }
  totpBegin() {
    return this.call(routes.totpBegin, { body: {} });
  }
  totpConfirm(code: string) {
    return this.call(routes.totpConfirm, { body: { code } });
  }
  totpDisable(input: TotpDisableInput) {
    return this.call(routes.totpDisable, { body: input });
  }
  regenerateRecoveryCodes(code: string) {
    return this.call(routes.regenerateRecoveryCodes, { body: { code } });
  }
  audit() {
    return this.call(routes.audit);
  }
  devices() {
    return this.call(routes.devices);
  }
  revokeDevice(id: string) {
    return this.call(routes.revokeDevice, { params: { id } });
  }
  renameDevice(id: string, name: string) {
    return this.call(routes.renameDevice, { params: { id }, body: { name } });
  }
  storageOverview() {
    return this.call(routes.storageOverview);
  }
  storageRepository(name: string) {
    return this.call(routes.storageRepository, { params: { name } });
  }
  restoreDeleted(name: string, input: RestoreDeletedInput = {}) {
    return this.call(routes.storageRestore, { params: { name }, body: input });
  }
  purgeDeleted(name: string, input: PurgeDeletedInput) {
    return this.call(routes.storagePurge, { params: { name }, body: input });
  }
  /** The repository's key files as their format names them, and its lock files. */
  storageRepositoryFiles(name: string) {
    return this.call(routes.storageRepositoryFiles, { params: { name } });
  }
  removeStorageFile(name: string, input: RemoveStorageFileInput) {
    return this.call(routes.storageRemoveFile, { params: { name }, body: input });
  }
  deleteRepository(name: string, input: OwnerConfirmationInput) {
    return this.call(routes.storageDeleteRepository, { params: { name }, body: input });
  }
  requestPurge(name: string, input: OwnerConfirmationInput) {
    return this.call(routes.storageRequestPurge, { params: { name }, body: input });
  }
  cancelPurge(name: string) {
    return this.call(routes.storageCancelPurge, { params: { name } });
  }
  storageTokens() {
    return this.call(routes.storageTokens);
  }
  createStorageToken(input: CreateStorageTokenInput) {
    return this.call(routes.createStorageToken, { body: input });
  }
  revokeStorageToken(id: string) {
    return this.call(routes.revokeStorageToken, { params: { id } });
  }
  jobReports() {
    return this.call(routes.jobReports);
  }

  /** The answer's type is the route's reply schema's, from the contract. */
  private async call<D extends RouteDef>(
    route: D,
    opts: { body?: BodyInput<D>; params?: Record<string, string>; signedIn?: boolean } = {},
  ): Promise<ActionResult<ReplyOf<D>>> {
    const signedIn = opts.signedIn ?? true;
    let path: string = route.path;
    for (const [k, v] of Object.entries(opts.params ?? {}))
      path = path.replace(`:${k}`, encodeURIComponent(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (route.method !== 'GET' && this.csrfToken) headers[CSRF_HEADER] = this.csrfToken;

    let res: Response;
    try {
      res = await this.fetchImpl(this.baseUrl + path, {
        method: route.method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch {
      return { ok: false, error: UNREACHABLE };
    }

    const text = await res.text().catch(() => '');
    let json: unknown = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    if (res.ok) return { ok: true, value: (json ?? null) as ReplyOf<D> };

    const problem = problemFromApiError(
      res.status,
      json as Partial<ApiError> | null,
      res.headers.get('retry-after'),
    );
    if (signedIn && isSessionLost(problem)) {
      this.csrfToken = null;
      this.sessionLostListener?.(problem);
    }
    return { ok: false, error: problem };
  }
}
