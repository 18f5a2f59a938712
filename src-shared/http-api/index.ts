/**
 * The account server's HTTP API: every /api route with its input and reply schemas and its auth
 * kind (route.ts). One source of truth shared by the server (which registers its routes from
 * `routes` and turns the input schemas into Fastify JSON schemas), the web panel and the desktop
 * app's account client (whose types come from the same schemas).
 *
 * Authentication:
 * - Panel: a session cookie (`strongroom_session`) plus the header `x-csrf-token` on every
 *   state-changing request; the token comes from POST/GET /api/session.
 * - Desktop: `Authorization: Bearer <token>`. A *session* token (from device sign-in, kept
 *   only in memory) may use the account routes; a *device* token (kept in the OS keychain)
 *   may only use /api/device/* and /storage/ (backup work). Bearer requests need no CSRF token.
 * - restic and scripts: a *storage* token made in the panel (or by `storage token add`), for
 *   /storage/ only.
 * - The password never crosses: every sign-in and re-authentication sends the auth key derived
 *   on the client (src-shared/account-crypto.ts), and the key routes (keys.ts) hold only wraps.
 */
import { accountRoutes } from './account';
import { keyHttpRoutes } from './keys';
import { storageRoutes } from './storage';

export * from './fields';
export * from './errors';
export * from './route';
export * from './account';
export * from './storage';
export * from './keys';

export const routes = { ...accountRoutes, ...keyHttpRoutes, ...storageRoutes };
export type Routes = typeof routes;
export type RouteName = keyof Routes;

export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_COOKIE = 'strongroom_session';
