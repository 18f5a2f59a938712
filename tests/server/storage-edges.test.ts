/**
 * The storage protocol's edges: a user named like the store's own folders, the Host check and the
 * security headers on every answer (HEAD included), Basic auth's user name, and each refusal with
 * its own status rather than a blanket 401.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { resticOk } from './restic';
import {
  accountWithDevice,
  basicAuth,
  bearerAuth,
  rest,
  sha256,
  type StorageAccountFixture,
} from './storage-helpers';

let server: TestAccountServer;
let alice: StorageAccountFixture;

beforeAll(async () => {
  server = await startTestAccountServer();
  alice = await accountWithDevice(server, 'alice');
  await rest(`${alice.base}?create=true`, 'POST', { auth: bearerAuth(alice.token) });
  await rest(`${alice.base}config`, 'POST', { auth: bearerAuth(alice.token), body: randomBytes(100) });
});
afterAll(() => server.close());

/** node:http, because fetch() will not let a caller set Host. */
function withHost(
  path: string,
  method: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('the storage protocol at its edges', () => {
  it('lets a user named tmp store files: restic inits, backs up and checks', async () => {
    const tmpUser = await accountWithDevice(server, 'tmp');
    const repo = `rest:http://tmp:${tmpUser.token}@127.0.0.1:${server.server.port}/storage/tmp/main/`;
    await resticOk(repo, ['init']);
    const data = randomBytes(5000);
    const put = await rest(`${tmpUser.base}data/${sha256(data)}`, 'POST', {
      auth: bearerAuth(tmpUser.token),
      body: data,
    });
    expect(put.status).toBe(200);
    await resticOk(repo, ['check']);
  }, 60_000);

  it('answers 421 to a host name the server does not answer to, as /api does', async () => {
    const answer = await withHost('/storage/alice/main/config', 'GET', {
      host: 'evil.example:80',
      authorization: bearerAuth(alice.token),
    });
    expect(answer.status).toBe(421);
    expect(answer.body).toMatch(/host name/);
  });

  it('answers a cross-site POST with 403, not 401', async () => {
    const data = randomBytes(10);
    const answer = await rest(`${alice.base}data/${sha256(data)}`, 'POST', {
      auth: bearerAuth(alice.token),
      body: data,
      headers: { origin: 'https://evil.example' },
    });
    expect(answer.status).toBe(403);
    expect(answer.body.toString()).toMatch(/another site/);
  });

  it('sends the security headers on HEAD answers too', async () => {
    for (const [path, status] of [
      ['config', 200],
      [`data/${sha256('missing')}`, 404],
    ] as const) {
      const head = await rest(alice.base + path, 'HEAD', { auth: bearerAuth(alice.token) });
      expect(head.status).toBe(status);
      expect(head.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(head.headers.get('content-security-policy'), path).toMatch(/default-src 'self'/);
      expect(head.headers.get('x-frame-options'), path).toBe('DENY');
    }
  });

  it("takes Basic auth's user name in any case, as usernames are case-insensitive", async () => {
    for (const user of ['alice', 'Alice', 'ALICE']) {
      expect(
        (await rest(`${alice.base}config`, 'HEAD', { auth: basicAuth(user, alice.token) })).status,
        user,
      ).toBe(200);
    }
    expect((await rest(`${alice.base}config`, 'HEAD', { auth: basicAuth('bob', alice.token) })).status).toBe(
      401,
    );
  });
});
