/** AccountClient against a real account server on loopback, and against things that are not one. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountClient } from '../../src-main/services/account-client';
import type { ServiceError } from '../../src-main/services/service-error';
import { startTestAccountServer, totpCode, type TestAccountServer } from '../support/account-server';

const PASSWORD = 'correct horse battery';
const client = new AccountClient({ timeoutMs: 3_000 });
let server: TestAccountServer;

beforeAll(async () => {
  server = await startTestAccountServer();
  await server.createUser('alice', PASSWORD);
});
afterAll(async () => {
  await server.close();
});

const signIn = (username: string, password = PASSWORD, extra: { totp?: string } = {}) =>
  client.deviceSignIn(server.url, { username, password, deviceName: 'vitest', ...extra });

async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected a failure');
}

async function listen(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const s = http.createServer(handler);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        s.closeAllConnections();
        s.close(() => resolve());
      }),
  };
}

describe('AccountClient against the account server', () => {
  it('reads the server info', async () => {
    expect(await client.serverInfo(server.url)).toMatchObject({ name: 'Strongroom' });
  });

  it('signs a device in and uses the session for the account', async () => {
    const result = await signIn('alice');
    expect(result.account.username).toBe('alice');
    expect(result.deviceToken).toEqual(expect.any(String));
    expect(await client.account(server.url, result.sessionToken)).toMatchObject({ username: 'alice' });
  });

  it('maps a wrong password to invalid_credentials with words a person can act on', async () => {
    const error = await failure(signIn('alice', 'not the password'));
    expect(error.code).toBe('invalid_credentials');
    expect(error.message).not.toContain('not the password');
  });

  it('a device token cannot change account settings (session_expired)', async () => {
    const { deviceToken } = await signIn('alice');
    expect((await failure(client.totpBegin(server.url, deviceToken!))).code).toBe('session_expired');
  });

  it('sign-out ends the session', async () => {
    const { sessionToken } = await signIn('alice');
    await client.signOut(server.url, sessionToken);
    expect((await failure(client.account(server.url, sessionToken))).code).toBe('session_expired');
  });

  it('enrols TOTP (begin, wrong code refused, confirm), then asks for the code at sign-in', async () => {
    await server.createUser('bob', PASSWORD);
    const { sessionToken } = await signIn('bob');
    const enrolment = await client.totpBegin(server.url, sessionToken);
    expect(enrolment.qrPngDataUrl).toMatch(/^data:image\/png;base64,/);
    const now = totpCode(enrolment.secretBase32);
    const wrong = String((Number(now) + 500_000) % 1_000_000).padStart(6, '0');
    expect((await failure(client.totpConfirm(server.url, sessionToken, { code: wrong }))).code).toBe(
      'wrong_code',
    );
    const { recoveryCodes } = await client.totpConfirm(server.url, sessionToken, {
      code: totpCode(enrolment.secretBase32, Date.now() - 30_000),
    });
    expect(recoveryCodes).toHaveLength(10);
    expect((await failure(signIn('bob'))).code).toBe('totp_required');
    const again = await signIn('bob', PASSWORD, { totp: now });
    expect(again.account.totpEnabled).toBe(true);
  });

  it('reports throttling with the wait in seconds', async () => {
    await server.createUser('carol', PASSWORD);
    let error: ServiceError | null = null;
    for (let i = 0; i < 8 && error?.code !== 'throttled'; i++)
      error = await failure(signIn('carol', 'wrong password'));
    expect(error?.code).toBe('throttled');
    expect(error?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error?.message).toMatch(/Try again in \d+ s/);
  });
});

describe('AccountClient when no account server answers', () => {
  it('says unreachable when nothing listens', async () => {
    const closed = await listen(() => undefined);
    await closed.close();
    const error = await failure(client.serverInfo(closed.url));
    expect(error.code).toBe('unreachable');
    expect(error.message).toContain(closed.url);
  });

  it('says unreachable when the server does not answer in time', async () => {
    const silent = await listen(() => undefined); // never responds
    const impatient = new AccountClient({ timeoutMs: 200 });
    expect((await failure(impatient.serverInfo(silent.url))).code).toBe('unreachable');
    await silent.close();
  });

  it('says so when something else answers (not a Strongroom server)', async () => {
    const other = await listen((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<h1>Not found</h1>');
    });
    const error = await failure(
      client.deviceSignIn(other.url, { username: 'alice', password: 'x', deviceName: 'd' }),
    );
    expect(error.code).toBe('unreachable');
    expect(error.message).toMatch(/Strongroom account server/);
    await other.close();
  });

  it('takes the wait from Retry-After when the body does not say', async () => {
    const proxy = await listen((_req, res) => {
      res.writeHead(429, { 'retry-after': '42', 'content-type': 'text/plain' });
      res.end('slow down');
    });
    const error = await failure(client.serverInfo(proxy.url));
    expect(error).toMatchObject({ code: 'throttled', retryAfterSeconds: 42 });
    await proxy.close();
  });
});
