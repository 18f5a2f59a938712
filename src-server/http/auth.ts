import type { FastifyReply, FastifyRequest } from 'fastify';
import { CSRF_HEADER, SESSION_COOKIE } from '../../src-shared/http-api';
import type { AccountRecords, AccountRow } from '../services/account-records';
import type { RequestContext } from '../services/audit-log';
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

/**
 * The one gate in front of every signed-in route: who is this (cookie or bearer), is the
 * session alive, is the token of the right scope, did a cookie request carry its CSRF token,
 * and is the account held at TOTP enrolment by --require-totp.
 */
export class AuthGate {
  constructor(
    private readonly sessions: SessionStore,
    private readonly accounts: AccountRecords,
  ) {}

  /** Session scope: account settings. `duringEnrolment` marks routes allowed before TOTP is set up. */
  session(request: FastifyRequest, opts: { duringEnrolment?: boolean } = {}): SessionAuth {
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
    const session = this.sessions.resume(token, via);
    // Cookies ride along on cross-site requests; bearer headers cannot be forged by a page.
    if (via === 'cookie' && STATE_CHANGING.has(request.method)) {
      const presented = request.headers[CSRF_HEADER];
      if (!this.sessions.csrfMatches(token, typeof presented === 'string' ? presented : undefined)) {
        throw new ServiceError('csrf', 'Missing or wrong CSRF token. Reload the page and try again.');
      }
    }
    const account = this.accounts.byId(session.account_id);
    if (!account) throw new ServiceError('not_signed_in', 'Please sign in.');
    if (!opts.duringEnrolment && this.accounts.mustEnrollTotp(account)) {
      throw new ServiceError(
        'totp_enrollment_required',
        'This server requires two-factor authentication. Set it up to continue.',
      );
    }
    const device = session.device_id ? this.sessions.deviceName(session.device_id) : null;
    return {
      account,
      session,
      token,
      via,
      ctx: requestContext(request, via === 'cookie' ? 'panel' : 'desktop', device),
    };
  }

  /**
   * Device scope: backup work only, with a device token. Under --require-totp a device signed in
   * before the account had TOTP (or after an administrator turned it off) is held too, except for
   * signing itself out (`duringEnrolment`).
   */
  device(request: FastifyRequest, opts: { duringEnrolment?: boolean } = {}): DeviceAuth {
    const bearer = bearerToken(request);
    if (bearer === null) throw new ServiceError('not_signed_in', 'This route needs a device token.');
    if (!SessionStore.isDeviceBearer(bearer)) {
      throw new ServiceError('forbidden_scope', 'This route needs a device token, not a session.');
    }
    const device = this.sessions.resumeDevice(bearer);
    const account = this.accounts.byId(device.account_id);
    if (!account) throw new ServiceError('not_signed_in', 'This device is not signed in.');
    if (!opts.duringEnrolment && this.accounts.mustEnrollTotp(account)) {
      throw new ServiceError(
        'totp_enrollment_required',
        'This server requires two-factor authentication. Sign in and set it up to continue.',
      );
    }
    return { account, device, ctx: requestContext(request, 'desktop', device.name) };
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
