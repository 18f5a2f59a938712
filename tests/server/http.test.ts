import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../src-shared/http-api';
import { startAccountServer } from '../../src-server/app';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { signupBody } from '../support/derived-keys';
import { ManualClock, PanelClient } from './helpers';

const PASSWORD = 'correct horse battery';
/** Shaped as an auth key (32 bytes, base64url): the schema passes it, the verifier does not. */
const AUTH = 'A'.repeat(43);
let server: TestAccountServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function signedIn(opts: Parameters<typeof startTestAccountServer>[0] = {}) {
  server = await startTestAccountServer({ clock: new ManualClock(), ...opts });
  await server.createUser('alice', PASSWORD);
  const client = new PanelClient(server.url);
  await client.signIn('alice', PASSWORD);
  return client;
}

describe('bad input', () => {
  it('answers malformed bodies with 400 bad_request and a message', async () => {
    const client = await signedIn();
    const cases: Array<[string, string, unknown, Record<string, string>?]> = [
      ['POST', '/api/session', '{"username":', undefined],
      ['POST', '/api/session', { username: 'alice' }],
      ['POST', '/api/session', { username: 'alice', authKey: 12345678 }],
      ['POST', '/api/session', { username: 'alice', authKey: AUTH, admin: true }],
      ['POST', '/api/session', { username: 'alice', authKey: AUTH, totp: '12345' }],
      ['POST', '/api/session', { username: 'alice', authKey: AUTH, totp: 123456 }],
      ['POST', '/api/session', { username: 'a', authKey: AUTH }],
      ['POST', '/api/session', { username: 'alice', authKey: 'x'.repeat(44) }],
      ['POST', '/api/session', { username: 'alice', authKey: AUTH, legacyProof: 'x+y' }],
      // The password itself is not a field of any route: refused, never read.
      ['POST', '/api/session', { username: 'alice', password: PASSWORD }],
      ['POST', '/api/session', [1, 2, 3]],
      ['POST', '/api/session', 'null'],
      ['POST', '/api/session', '"text"'],
      ['POST', '/api/session', `{"__proto__":{"x":1},"username":"alice","authKey":"${AUTH}"}`],
      ['POST', '/api/signup', { username: 'bob', password: 'short' }],
      ['POST', '/api/signup', { username: 'bob', authKey: AUTH }],
      ['POST', '/api/device-sign-in', { username: 'alice', authKey: AUTH }],
      ['POST', '/api/device-sign-in', { username: 'alice', authKey: AUTH, deviceName: 'Laptop' }],
      [
        'POST',
        '/api/device-sign-in',
        { username: 'alice', authKey: AUTH, deviceName: '', computerId: '0'.repeat(32) },
      ],
      ['POST', '/api/account/totp/confirm', { code: 'abcdef' }],
      ['POST', '/api/account/totp/confirm', {}],
      ['POST', '/api/account/totp/begin', { extra: 1 }],
      ['POST', '/api/account/recovery-codes', { code: '1234567' }],
      ['POST', '/api/account/totp/disable', { authKey: AUTH, recoveryCode: 'short' }],
      ['POST', '/api/sign-in/params', { username: 'alice', extra: 1 }],
      ['DELETE', '/api/account/devices/..%2F..', undefined],
      ['DELETE', '/api/account/devices/x', undefined],
    ];
    for (const [method, path, body] of cases) {
      const answer = await client.request(method, path, body);
      expect({ path, body, status: answer.status, error: answer.body?.error }).toEqual({
        path,
        body,
        status: 400,
        error: 'bad_request',
      });
      expect(typeof answer.body.message).toBe('string');
      expect(answer.body.message.length).toBeGreaterThan(3);
    }
  });

  it('names the problem in the message', async () => {
    const client = await signedIn();
    const answer = await client.request('POST', '/api/session', {
      username: 'alice',
      authKey: AUTH,
      totp: '12 34',
    });
    expect(answer.body.message).toBe('The two-factor code is six digits.');
    const extra = await client.request('POST', '/api/session', {
      username: 'alice',
      authKey: AUTH,
      role: 'x',
    });
    expect(extra.body.message).toMatch(/role/);
  });

  it('refuses a body that is not JSON, and one that is too large', async () => {
    const client = await signedIn();
    const form = await client.request('POST', '/api/session', `username=alice&authKey=${AUTH}`, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect([form.status, form.body.error]).toEqual([415, 'bad_request']);
    // What a cross-site <form enctype="text/plain"> sends: refused before any handler sees it.
    const text = await client.request('POST', '/api/signup', `{"username":"mallory","authKey":"${AUTH}"}`, {
      'content-type': 'text/plain',
    });
    expect([text.status, text.body.error]).toEqual([415, 'bad_request']);
    const huge = await client.request('POST', '/api/session', {
      username: 'alice',
      authKey: 'x'.repeat(20_000),
    });
    expect([huge.status, huge.body.error]).toEqual([413, 'payload_too_large']);
  });

  it('never answers 500 to random bodies on any route', async () => {
    const client = await signedIn();
    const posts = Object.values(routes)
      .filter((r) => r.method === 'POST')
      .map((r) => r.path);
    const json = fc.oneof(
      fc.json(),
      fc
        .dictionary(
          fc.constantFrom(
            'username',
            'authKey',
            'legacyProof',
            'totp',
            'code',
            'recoveryCode',
            'deviceName',
            'x',
          ),
          fc.jsonValue(),
        )
        .map((o) => JSON.stringify(o)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...posts), json, async (path, body) => {
        const answer = await client.request('POST', path, body);
        expect(answer.status).toBeLessThan(500);
        expect(
          answer.status === 200 ||
            answer.status === 201 ||
            answer.status === 204 ||
            typeof answer.body.error === 'string',
        ).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('answers unknown API routes with 404 not_found', async () => {
    const client = await signedIn();
    const answer = await client.request('GET', '/api/nothing-here');
    expect([answer.status, answer.body.error]).toEqual([404, 'not_found']);
  });
});

describe('security headers', () => {
  it('sends CSP without inline script, frame-ancestors none, no-referrer and nosniff', async () => {
    const client = await signedIn();
    for (const path of ['/api/server-info', '/api/account', '/']) {
      const { headers } = await client.request('GET', path);
      const csp = headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(headers.get('referrer-policy')).toBe('no-referrer');
      expect(headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect((await client.request('GET', '/api/account')).headers.get('cache-control')).toBe('no-store');
  });

  it('gives URLs Fastify cannot route the same headers and error shape, without echoing them', async () => {
    const client = await signedIn();
    const cases: Array<[string, string, number]> = [
      ['GET', '/%zz', 400],
      ['GET', '/api/%zz', 400],
      ['DELETE', `/api/account/devices/${'a'.repeat(150)}`, 414],
    ];
    for (const [method, path, status] of cases) {
      const { status: got, body, headers } = await client.request(method, path);
      expect({ path, got, error: body?.error }).toEqual({ path, got: status, error: 'bad_request' });
      expect(body.message).not.toContain(path.slice(-10));
      expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(headers.get('x-content-type-options')).toBe('nosniff');
    }
  });
});

describe('server info and sign-up', () => {
  it('reports the server and creates accounts on loopback by default', async () => {
    server = await startTestAccountServer();
    const client = new PanelClient(server.url);
    expect((await client.request('GET', '/api/server-info')).body).toEqual({
      name: 'Strongroom',
      version: expect.any(String),
      signup: true,
      requireTotp: false,
    });
    const created = await client.request('POST', '/api/signup', await signupBody(' Bob ', PASSWORD));
    expect([created.status, created.body.username, created.body.totpEnabled]).toEqual([201, 'bob', false]);
    const again = await client.request('POST', '/api/signup', await signupBody('BOB', PASSWORD));
    expect([again.status, again.body.error]).toEqual([409, 'username_taken']);
    expect((await client.signIn('Bob', PASSWORD)).status).toBe(200);
  });

  it('keeps sign-up off by default behind a reverse proxy, where loopback is reachable from outside', async () => {
    server = await startTestAccountServer({ trustProxy: true });
    const client = new PanelClient(server.url);
    expect((await client.request('GET', '/api/server-info')).body.signup).toBe(false);
    const answer = await client.request('POST', '/api/signup', await signupBody('bob', PASSWORD));
    expect([answer.status, answer.body.error]).toEqual([403, 'signup_disabled']);
  });

  it('refuses sign-up when it is off', async () => {
    server = await startTestAccountServer({ signup: false });
    const client = new PanelClient(server.url);
    expect((await client.request('GET', '/api/server-info')).body.signup).toBe(false);
    const answer = await client.request('POST', '/api/signup', await signupBody('bob', PASSWORD));
    expect([answer.status, answer.body.error]).toEqual([403, 'signup_disabled']);
  });

  it('refuses to listen on a non-loopback address over plain HTTP', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-refuse-'));
    try {
      await expect(startAccountServer({ dataDir, host: '0.0.0.0', port: 0 })).rejects.toThrow(/plain HTTP/);
      await expect(startAccountServer({ dataDir, host: '192.0.2.10', port: 0 })).rejects.toThrow(
        /--trust-proxy/,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the web panel', () => {
  let rendererDir: string;
  beforeAll(() => {
    rendererDir = mkdtempSync(join(tmpdir(), 'strongroom-renderer-'));
    mkdirSync(join(rendererDir, 'panel'), { recursive: true });
    mkdirSync(join(rendererDir, 'assets'), { recursive: true });
    writeFileSync(
      join(rendererDir, 'panel', 'index.html'),
      '<!doctype html><script type="module" src="../assets/panel-abc.js"></script><div id="root"></div>',
    );
    writeFileSync(join(rendererDir, 'assets', 'panel-abc.js'), 'console.log(1)');
    writeFileSync(join(rendererDir, 'secret.txt'), 'not for the web');
  });
  afterAll(() => rmSync(rendererDir, { recursive: true, force: true }));

  it('serves index.html at / and for client-side routes, with absolute asset URLs', async () => {
    server = await startTestAccountServer({ rendererDir });
    for (const path of ['/', '/account', '/deep/link/here']) {
      const answer = await fetch(server.url + path);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await answer.text()).toContain('src="/assets/panel-abc.js"');
    }
    const asset = await fetch(`${server.url}/assets/panel-abc.js`);
    expect([asset.status, asset.headers.get('content-type')]).toEqual([
      200,
      'text/javascript; charset=utf-8',
    ]);
  });

  it('serves nothing outside the assets folder', async () => {
    server = await startTestAccountServer({ rendererDir });
    for (const path of [
      '/assets/../secret.txt',
      '/assets/%2e%2e/secret.txt',
      '/assets/%2e%2e%2fsecret.txt',
      '/assets/missing.js',
    ]) {
      const answer = await fetch(server.url + path);
      const text = await answer.text();
      expect(text).not.toContain('not for the web');
    }
  });
});
