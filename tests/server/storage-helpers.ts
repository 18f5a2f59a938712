/** Helpers for the account storage tests: an account with a device token, raw REST requests. */
import { createHash } from 'node:crypto';
import type { TestAccountServer } from '../support/account-server';

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export interface StorageAccountFixture {
  username: string;
  password: string;
  token: string;
  deviceId: string;
  base: string;
}

/** Creates an account and a device token for it (as a device sign-in would). */
export async function accountWithDevice(
  server: TestAccountServer,
  username: string,
  deviceName = 'laptop',
  repo = 'main',
): Promise<StorageAccountFixture> {
  const password = 'correct horse battery';
  await server.createUser(username, password);
  const account = server.server.services.accounts.byUsername(username)!;
  const { id, token } = server.server.services.sessions.createDevice(account.id, deviceName);
  return { username, password, token, deviceId: id, base: `${server.url}/storage/${username}/${repo}/` };
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** One REST request; `auth` is an Authorization header value (or none). */
export async function rest(
  url: string,
  method: string,
  opts: { auth?: string; body?: Buffer; headers?: Record<string, string> } = {},
): Promise<RawAnswer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.auth) headers.authorization = opts.auth;
  const body = opts.body === undefined ? undefined : new Uint8Array(opts.body);
  const response = await fetch(url, { method, headers, body });
  return {
    status: response.status,
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
  };
}

export const bearerAuth = (token: string) => `Bearer ${token}`;
export const basicAuth = (user: string, token: string) =>
  `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;
