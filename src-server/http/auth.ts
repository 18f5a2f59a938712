import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  CSRF_HEADER,
  FRESH_SESSION_MS,
  SESSION_COOKIE,
  type Auth,
  type AuthKind,
} from '../../src-shared/http-api';
import type { AccountRecords, AccountRow } from '../services/account-records';
import type { RequestContext } from '../services/audit-log';
import type { Clock } from '../services/clock';
import type { SecondFactor, SecondFactorInput } from '../services/second-factor';
import { ServiceError } from '../services/service-error';
import { SessionStore, type DeviceRow, type SessionRow } from '../services/sessions';

export interface SessionAuth {
  account: AccountRow;
  session: SessionRow;
  /** The raw cookie value or bearer token (never logged, never sent back except as set). */
  token: string;
  via: 'cookie' | 'bearer';
  ctx: RequestContext;
}

export interface DeviceAuth {
  account: AccountRow;
  device: DeviceRow;
  ctx: RequestContext;
}

/** What the gate hands a handler, by the route's auth kind. */
export interface AuthResults {
  public: null;
  session: SessionAuth;
  full: SessionAuth;
  fresh: SessionAuth;
  device: DeviceAuth;
  storage: DeviceAuth;
}
export type AuthResult<K extends AuthKind = AuthKind> = AuthResults[K];

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new ServiceError('not_signed_in', 'The Authorization header must be "Bearer <token>".');
  return match[1]!;
}

export function requestContext(
  request: FastifyRequest,
  client: RequestContext['client'],
  device: string | null,
): RequestContext {
  return { address: request.ip, client, device };
}

export interface AuthGateDeps {
  sessions: SessionStore;
  accounts: AccountRecords;
  clock: Clock;
  secondFactor: SecondFactor;
}

/** What a session route allows besides a plain live session (route.ts's Auth flags). */
export interface SessionRules {
  duringEnrolment?: boolean;
  temporaryOk?: boolean;
  bearerOnly?: boolean;
}

/**
 * The one gate in front of every route but the public ones: who is this (cookie or bearer), is
 * the session or token alive, is it of the right scope, did a cookie request carry its CSRF
 * token, may the panel do this at all (`bearerOnly`), did the session sign in with a password
 * the administrator set (only `temporaryOk` routes then), is the account held at TOTP enrolment
 * by --require-totp, and for `full` and `fresh` routes, did the session pass the full sign-in
 * (recently, for `fresh`; and the second factor given again where the route asks).
 *
 * It refuses with a ServiceError only for what the caller presented; it writes nothing, and
 * anything else it meets (the database failing) goes up as the server's fault, never as
 * "not signed in".
 */
export class AuthGate {
  constructor(private readonly d: AuthGateDeps) {}

  /** The check for a route's auth kind; the body is the parsed one (for the second factor). */
  check(auth: Auth, request: FastifyRequest): AuthResult {
    switch (auth.kind) {
      case 'public':
        return null;
      case 'session':
        return this.session(request, {
          duringEnrolment: auth.duringEnrolment === true,
          temporaryOk: auth.temporaryOk === true,
          bearerOnly: auth.bearerOnly === true,
        });
      case 'full':
        return this.full(request, { bearerOnly: auth.bearerOnly === true });
      case 'fresh':
        return this.fresh(request, {
          secondFactor: auth.secondFactor === true,
          bearerOnly: auth.bearerOnly === true,
        });
      case 'device':
        return this.device(request, { duringEnrolment: auth.duringEnrolment === true });
      case 'storage': {
        const bearer = bearerToken(request);
        if (bearer === null)
          throw new ServiceError('not_signed_in', 'This route needs a device or storage token.');
        const caller = this.storageToken(bearer, request);
        this.holdAtEnrolment(caller.account, false);
        return caller;
      }
    }
  }

  /**
   * Session scope: account settings. `duringEnrolment` marks routes allowed before TOTP is set up,
   * `temporaryOk` those allowed before a temporary password is replaced; `bearerOnly` refuses the
   * panel's cookie.
   */
  session(request: FastifyRequest, opts: SessionRules = {}): SessionAuth {
    const bearer = bearerToken(request);
    let token: string;
    let via: 'cookie' | 'bearer';
    if (bearer !== null) {
      if (SessionStore.isDeviceBearer(bearer)) {
        throw new ServiceError(
          'forbidden_scope',
          'A device token may only do backup work. Sign in again to change account settings.',
        );
      }
      token = bearer;
      via = 'bearer';
    } else {
      const cookie = request.cookies[SESSION_COOKIE];
      if (!cookie) throw new ServiceError('not_signed_in', 'Please sign in.');
      token = cookie;
      via = 'cookie';
    }
    const session = this.d.sessions.resume(token, via);
    // Cookies ride along on cross-site requests; bearer headers cannot be forged by a page.
    if (via === 'cookie' && STATE_CHANGING.has(request.method)) {
      const presented = request.headers[CSRF_HEADER];
      if (!this.d.sessions.csrfMatches(token, typeof presented === 'string' ? presented : undefined)) {
        throw new ServiceError('csrf', 'Missing or wrong CSRF token. Reload the page and try again.');
      }
    }
    const account = this.d.accounts.byId(session.account_id);
    if (!account) throw new ServiceError('not_signed_in', 'Please sign in.');
    if (opts.bearerOnly && via === 'cookie') {
      // The panel's JavaScript is served by the operator: it never handles the account's keys.
      throw new ServiceError('use_the_app', 'Do this in the Strongroom app.');
    }
    if (account.password_temporary === 1 && !opts.temporaryOk) {
      throw new ServiceError(
        'password_change_required',
        'The administrator set this password: choose a new one before anything else.',
      );
    }
    this.holdAtEnrolment(account, opts.duringEnrolment === true);
    const device = session.device_id ? this.d.sessions.deviceName(session.device_id) : null;
    return {
      account,
      session,
      token,
      via,
      ctx: requestContext(request, via === 'cookie' ? 'panel' : 'desktop', device),
    };
  }

  /**
   * A session whose full sign-in was within FRESH_SESSION_MS: a stolen session that has lived a
   * while cannot do what lasts. With `secondFactor`, an account with TOTP on also gives a current
   * code or a recovery code (`code` / `recoveryCode` in the parsed body).
   */
  fresh(request: FastifyRequest, opts: { secondFactor?: boolean; bearerOnly?: boolean } = {}): SessionAuth {
    const auth = this.session(request, { bearerOnly: opts.bearerOnly });
    const fullAt = auth.session.full_at;
    if (fullAt === null || this.d.clock.now() - fullAt > FRESH_SESSION_MS) {
      throw new ServiceError(
        'reauthentication_required',
        `Sign out and sign in again: this needs a sign-in from the last ${FRESH_SESSION_MS / 60_000} minutes.`,
      );
    }
    if (opts.secondFactor) {
      this.d.secondFactor.check(auth.account, (request.body ?? {}) as SecondFactorInput, auth.ctx);
    }
    return auth;
  }

  /** A session that passed the full sign-in at any time in its life (writes of the directory and profiles). */
  full(request: FastifyRequest, opts: { bearerOnly?: boolean } = {}): SessionAuth {
    const auth = this.session(request, { bearerOnly: opts.bearerOnly });
    if (auth.session.full_at === null) {
      throw new ServiceError(
        'reauthentication_required',
        'Sign in again with your password and two-factor code: this needs a full sign-in.',
      );
    }
    return auth;
  }

  /**
   * Device scope: backup work only, with a device token (not a storage token). Under
   * --require-totp a device signed in before the account had TOTP (or after an administrator
   * turned it off) is held too, except for signing itself out (`duringEnrolment`).
   */
  device(request: FastifyRequest, opts: { duringEnrolment?: boolean } = {}): DeviceAuth {
    const bearer = bearerToken(request);
    if (bearer === null) throw new ServiceError('not_signed_in', 'This route needs a device token.');
    if (!SessionStore.isDeviceBearer(bearer)) {
      throw new ServiceError('forbidden_scope', 'This route needs a device token, not a session.');
    }
    const caller = this.storageToken(bearer, request);
    if (caller.device.kind !== 'device') {
      throw new ServiceError('forbidden_scope', 'A storage token reaches the storage only, not this route.');
    }
    this.holdAtEnrolment(caller.account, opts.duringEnrolment === true);
    return caller;
  }

  /**
   * A device or storage token, as the storage protocol takes it (routes/storage.ts adds its own
   * answers: Basic auth's username, the path's account, the enrolment hold as a 403).
   */
  storageToken(token: string, request: FastifyRequest): DeviceAuth {
    if (!SessionStore.isDeviceBearer(token)) {
      throw new ServiceError('not_signed_in', 'A device or storage token is needed.');
    }
    const device = this.d.sessions.resumeDevice(token);
    const account = this.d.accounts.byId(device.account_id);
    if (!account) throw new ServiceError('not_signed_in', 'This device is not signed in.');
    return { account, device, ctx: requestContext(request, 'desktop', device.name) };
  }

  private holdAtEnrolment(account: AccountRow, allowed: boolean): void {
    if (!allowed && this.d.accounts.mustEnrollTotp(account)) {
      throw new ServiceError(
        'totp_enrollment_required',
        'This server requires two-factor authentication. Set it up to continue.',
      );
    }
  }
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string): void {
  void reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
  });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  void reply.clearCookie(SESSION_COOKIE, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
  });
}
