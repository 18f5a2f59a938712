/**
 * What one /api route is: method and path, the zod schemas of what it takes (body, params, query)
 * and of what it answers, and who may call it. The server registers its routes from these
 * declarations (src-server/http/routes.ts) and its clients derive their types from them.
 */
import { z } from 'zod';

/**
 * Who may call a route; the server's gate checks it before the handler runs.
 * - public: anyone.
 * - session: a live session: the panel's cookie (with its CSRF token on state-changing requests)
 *   or the desktop's bearer session token. `duringEnrolment` lets it through while the account is
 *   held at TOTP enrolment by --require-totp.
 * - full: a session that passed the full sign-in (password and, with TOTP on, a code; or a TOTP
 *   enrolment confirmed in it) at any time in its life.
 * - fresh: the same within the last 15 minutes. With `secondFactor`, an account with TOTP on must
 *   also give a current code or a recovery code in the body (`code` / `recoveryCode`).
 * Session kinds also take `temporaryOk` (open to a session signed in with a password the
 * administrator set; every other route answers `password_change_required` until it is replaced)
 * and `bearerOnly` (the panel's cookie sessions get `use_the_app`: the panel never touches the
 * account's keys).
 * - device: a device token (backup work), never a storage token. `duringEnrolment` as above.
 * - storage: a device or storage token: the callers of restic's REST protocol under /storage/.
 */
export type Auth =
  | { kind: 'public' }
  | { kind: 'session'; duringEnrolment?: true; temporaryOk?: true; bearerOnly?: true }
  | { kind: 'full'; bearerOnly?: true }
  | { kind: 'fresh'; secondFactor?: true; bearerOnly?: true }
  | { kind: 'device'; duringEnrolment?: true }
  | { kind: 'storage' };
export type AuthKind = Auth['kind'];
export const AUTH_KINDS = [
  'public',
  'session',
  'full',
  'fresh',
  'device',
  'storage',
] as const satisfies readonly AuthKind[];
/** The kinds answered to a session (cookie or bearer), never to a device or storage token. */
export const SESSION_AUTH_KINDS = ['session', 'full', 'fresh'] as const satisfies readonly AuthKind[];

/** How long a full sign-in keeps a session fresh (the `fresh` auth kind). */
export const FRESH_SESSION_MS = 15 * 60 * 1000;

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  auth: Auth;
  /** Path parameters (every `:name` of the path). */
  params?: z.ZodType;
  query?: z.ZodType;
  /** The JSON body; a POST or PUT always has one, a DELETE may. */
  body?: z.ZodType;
  /** The body may be left out entirely, meaning `{}`. */
  bodyOptional?: true;
  /** Bytes a body may have, when more than the server's default (16 KiB). */
  bodyLimit?: number;
  /** The answer's body; `noContent` for an empty one. */
  reply: z.ZodType;
  /** The success status; 200 unless given. */
  status?: 200 | 201 | 204;
}

/** The reply of a route that answers no body (its status is 204, or 201 for a report received). */
export const noContent = z.void();

/** Declares a route, keeping its literal types (the clients' and handlers' types come from them). */
export function route<const D extends RouteDef>(def: D): D {
  return def;
}

type Output<S> = S extends z.ZodType ? z.output<S> : undefined;
type Input<S> = S extends z.ZodType ? z.input<S> : undefined;

/** What the handler receives, parsed and normalised by the schemas. */
export type BodyOf<D extends RouteDef> = Output<D['body']>;
export type ParamsOf<D extends RouteDef> = Output<D['params']>;
export type QueryOf<D extends RouteDef> = Output<D['query']>;
/** What a client sends. */
export type BodyInput<D extends RouteDef> = Input<D['body']>;
export type ParamsInput<D extends RouteDef> = Input<D['params']>;
/** What the route answers on success. */
export type ReplyOf<D extends RouteDef> = z.output<D['reply']>;
