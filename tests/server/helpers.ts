/**
 * Helpers for the server's vitest files: a settable clock, an HTTP client that signs in as the
 * app and the panel do (the auth key, derived), a database that fails on demand.
 */
import Database, { type Statement } from 'better-sqlite3';
import { CSRF_HEADER, SESSION_COOKIE } from '../../src-shared/http-api';
import type { Db } from '../../src-server/db/database';
import type { Clock } from '../../src-server/services/clock';
import { signInCredentials } from '../support/account-server';

/** A clock tests move by hand; starts in the middle of a TOTP step so ±30 s stays in one step. */
export class ManualClock implements Clock {
  constructor(public ms: number = Date.UTC(2026, 0, 1, 12, 0, 15)) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests inspect arbitrary JSON
  headers: Headers;
}

/** A browser-like client: keeps the session cookie and sends the CSRF token when it has one. */
export class PanelClient {
  cookie: string | null = null;
  csrf: string | null = null;

  constructor(
    readonly baseUrl: string,
    readonly extraHeaders: Record<string, string> = {},
  ) {}

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const h: Record<string, string> = { ...this.extraHeaders, ...headers };
    if (body !== undefined) h['content-type'] ??= 'application/json';
    if (this.cookie) h.cookie = `${SESSION_COOKIE}=${this.cookie}`;
    if (this.csrf && !(CSRF_HEADER in h)) h[CSRF_HEADER] = this.csrf;
    const response = await fetch(this.baseUrl + path, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    for (const line of response.headers.getSetCookie()) {
      const match = new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(line);
      if (match) this.cookie = match[1] || null;
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON (the panel's HTML)
    }
    if (parsed && typeof parsed === 'object' && 'csrfToken' in parsed)
      this.csrf = (parsed as { csrfToken: string }).csrfToken;
    return { status: response.status, body: parsed, headers: response.headers };
  }

  /** The panel's sign-in: the parameters asked for, the auth key derived from `password`. */
  async signIn(
    username: string,
    password: string,
    extra: Record<string, string> = {},
    opts: { legacy?: boolean } = {},
  ): Promise<Answer> {
    const credentials = await signInCredentials(this.baseUrl, username, password, {
      headers: this.extraHeaders,
      legacy: opts.legacy,
    });
    return this.request('POST', '/api/session', { username, ...credentials, ...extra });
  }
}

export async function bearer(
  baseUrl: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<Answer> {
  const response = await fetch(baseUrl + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text), headers: response.headers };
}

/**
 * Wraps the server's database so that, while `fail` says so, its writes (or all statements) throw
 * as SQLite does on a full disk (SQLITE_FULL) or a failing one (SQLITE_IOERR).
 */
export class FailingDatabase {
  fail: 'none' | 'writes-full' | 'all-ioerr' = 'none';

  wrap = (db: Db): Db => {
    const wrapStatement = (statement: Statement): Statement =>
      new Proxy(statement, {
        get: (target, key, receiver) => {
          const value = Reflect.get(target, key, receiver) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            this.check(key === 'run' || !target.reader);
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    return new Proxy(db, {
      get: (target, key, receiver) => {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (key === 'prepare') return (sql: string) => wrapStatement(target.prepare(sql));
        if (key === 'exec') {
          return (sql: string) => {
            this.check(true);
            return target.exec(sql);
          };
        }
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };

  private check(write: boolean): void {
    if (this.fail === 'writes-full' && write) {
      throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
    }
    if (this.fail === 'all-ioerr') throw new Database.SqliteError('disk I/O error', 'SQLITE_IOERR');
  }
}
