import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src-server/services/sessions';
import {
  signInCredentials,
  startTestAccountServer,
  totpCode,
  type TestAccountServer,
} from '../support/account-server';
import { derivedKeys, testKdf } from '../support/derived-keys';
import { ManualClock, PanelClient, bearer } from './helpers';

const PASSWORD = 'correct horse battery';
const COMPUTER = 'c'.repeat(32);
let server: TestAccountServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(opts: Parameters<typeof startTestAccountServer>[0] = {}) {
  const clock = new ManualClock();
  server = await startTestAccountServer({ clock, ...opts });
  await server.createUser('alice', PASSWORD);
  return { clock, server };
}

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Strict, path /, not Secure over plain HTTP, and stored only hashed', async () => {
    await start();
    const client = new PanelClient(server!.url);
    const answer = await client.signIn('alice', PASSWORD);
    const cookie = answer.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^strongroom_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    expect(cookie).not.toContain('Secure');
    const rows = server!.server.services.db.prepare('SELECT id_hash FROM sessions').all() as Array<{
      id_hash: string;
    }>;
    expect(rows).toEqual([{ id_hash: hashToken(client.cookie!) }]);
  });

  it('is Secure when a trusted proxy says the client used HTTPS', async () => {
    await start({ trustProxy: true });
    const answer = await new PanelClient(server!.url, { 'x-forwarded-proto': 'https' }).signIn(
      'alice',
      PASSWORD,
    );
    expect(answer.headers.getSetCookie()[0]).toContain('Secure');
  });

  it('ends after 30 idle minutes and lives while used', async () => {
    const { clock } = await start();
    const client = new PanelClient(server!.url);
    await client.signIn('alice', PASSWORD);
    clock.advance(29 * 60 * 1000);
    expect((await client.request('GET', '/api/account')).status).toBe(200);
    clock.advance(29 * 60 * 1000);
    expect((await client.request('GET', '/api/account')).status).toBe(200);
    clock.advance(30 * 60 * 1000);
    const expired = await client.request('GET', '/api/account');
    expect([expired.status, expired.body.error]).toEqual([401, 'session_expired']);
    // Being asked again does not bring it back (checking writes nothing; the sweep removes it).
    expect((await client.request('GET', '/api/account')).body.error).toBe('session_expired');
  });

  it('ends after 12 hours however busy', async () => {
    const { clock } = await start();
    const client = new PanelClient(server!.url);
    await client.signIn('alice', PASSWORD);
    for (let minutes = 0; minutes < 12 * 60 - 20; minutes += 20) {
      clock.advance(20 * 60 * 1000);
      expect((await client.request('GET', '/api/session')).status).toBe(200);
    }
    clock.advance(20 * 60 * 1000);
    expect((await client.request('GET', '/api/session')).body.error).toBe('session_expired');
  });

  it('signs out: the cookie is cleared and the session is gone', async () => {
    await start();
    const client = new PanelClient(server!.url);
    await client.signIn('alice', PASSWORD);
    const cookie = client.cookie;
    const out = await client.request('DELETE', '/api/session');
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()[0]).toMatch(/^strongroom_session=;/);
    client.cookie = cookie;
    expect((await client.request('GET', '/api/account')).body.error).toBe('not_signed_in');
  });
});

describe('housekeeping', () => {
  it('sweeps long-dead sessions and year-old audit events, and keeps recent ones', async () => {
    const { clock } = await start();
    const client = new PanelClient(server!.url);
    await client.signIn('alice', PASSWORD);
    const { sessions, audit, db, accounts } = server!.server.services;
    const count = (table: string) =>
      (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    clock.advance(31 * 60 * 1000);
    sessions.sweep();
    expect(count('sessions')).toBe(1); // expired but recent: still answers "session expired"
    clock.advance(25 * 60 * 60 * 1000);
    sessions.sweep();
    expect(count('sessions')).toBe(0);
    audit.sweep();
    expect(audit.list(accounts.byUsername('alice')!.id)).toHaveLength(1);
    clock.advance(401 * 24 * 60 * 60 * 1000);
    audit.sweep();
    expect(count('audit_events')).toBe(0);
  });

  it('releases the data directory when the port is taken', async () => {
    await start();
    const port = Number(new URL(server!.url).port);
    const { startAccountServer } = await import('../../src-server/app');
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-busy-'));
    try {
      await expect(startAccountServer({ dataDir, port })).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('CSRF', () => {
  it('refuses state-changing cookie requests without the right x-csrf-token', async () => {
    await start();
    const client = new PanelClient(server!.url);
    const signIn = await client.signIn('alice', PASSWORD);
    const token = signIn.body.csrfToken as string;
    client.csrf = null;
    for (const [method, path, body] of [
      ['POST', '/api/account/totp/begin', {}],
      ['POST', '/api/account/reauthenticate', { authKey: 'A'.repeat(43) }],
      ['DELETE', '/api/session', undefined],
    ] as const) {
      const missing = await client.request(method, path, body);
      expect([missing.status, missing.body.error]).toEqual([403, 'csrf']);
      // Same length, one character different.
      const forged = (token[0] === 'A' ? 'B' : 'A') + token.slice(1);
      const wrong = await client.request(method, path, body, { 'x-csrf-token': forged });
      expect(wrong.body.error).toBe('csrf');
    }
    // Reads need no token; the token from GET /api/session is the same one.
    expect((await client.request('GET', '/api/session')).body.csrfToken).toBe(token);
    expect((await client.request('POST', '/api/account/totp/begin', {})).status).toBe(200);
  });
});

describe('desktop tokens and scopes', () => {
  async function deviceSignIn() {
    const answer = await fetch(`${server!.url}/api/device-sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'alice',
        ...(await signInCredentials(server!.url, 'alice', PASSWORD)),
        deviceName: 'Laptop',
        computerId: COMPUTER,
      }),
    });
    return { status: answer.status, body: await answer.json() };
  }

  it('gives a session token for account routes and a device token for backup work only', async () => {
    await start();
    const { status, body } = await deviceSignIn();
    expect(status).toBe(200);
    expect(body.sessionToken).toMatch(/^srs_/);
    expect(body.deviceToken).toMatch(/^srd_/);

    expect((await bearer(server!.url, 'GET', '/api/account', body.sessionToken)).status).toBe(200);
    const me = await bearer(server!.url, 'GET', '/api/device/me', body.deviceToken);
    expect(me.body).toEqual({ username: 'alice', deviceId: body.deviceId, deviceName: 'Laptop' });

    for (const [method, path] of [
      ['GET', '/api/account'],
      ['GET', '/api/account/devices'],
      ['POST', '/api/account/totp/begin'],
      ['GET', '/api/session'],
    ] as const) {
      const refused = await bearer(
        server!.url,
        method,
        path,
        body.deviceToken,
        method === 'POST' ? {} : undefined,
      );
      expect([refused.status, refused.body.error]).toEqual([403, 'forbidden_scope']);
    }
    const wrongScope = await bearer(server!.url, 'GET', '/api/device/me', body.sessionToken);
    expect(wrongScope.body.error).toBe('forbidden_scope');
  });

  it('lists devices, and a revoked device token stops working', async () => {
    const { clock } = await start();
    const { body } = await deviceSignIn();
    clock.advance(60_000);
    await bearer(server!.url, 'GET', '/api/device/me', body.deviceToken);
    const client = new PanelClient(server!.url);
    await client.signIn('alice', PASSWORD);
    const list = await client.request('GET', '/api/account/devices');
    expect(list.body.devices).toEqual([
      {
        id: body.deviceId,
        name: 'Laptop',
        computerId: COMPUTER,
        createdAt: new Date(clock.now() - 60_000).toISOString(),
        lastSeenAt: new Date(clock.now()).toISOString(),
      },
    ]);
    expect((await client.request('DELETE', `/api/account/devices/${body.deviceId}`)).status).toBe(204);
    expect((await bearer(server!.url, 'GET', '/api/device/me', body.deviceToken)).status).toBe(401);
    // The device's sign-in session ends with it.
    expect((await bearer(server!.url, 'GET', '/api/account', body.sessionToken)).status).toBe(401);
    expect((await client.request('DELETE', `/api/account/devices/${body.deviceId}`)).body.error).toBe(
      'not_found',
    );
    const events = (await client.request('GET', '/api/account/audit')).body.events;
    expect(events[0]).toMatchObject({ kind: 'device_revoked', client: 'panel', device: 'Laptop' });
    expect(events.find((e: { client: string }) => e.client === 'desktop')).toMatchObject({
      kind: 'sign_in_success',
      device: 'Laptop',
    });
  });

  it('a device can sign itself out', async () => {
    await start();
    const { body } = await deviceSignIn();
    expect((await bearer(server!.url, 'DELETE', '/api/device/me', body.deviceToken)).status).toBe(204);
    expect((await bearer(server!.url, 'GET', '/api/device/me', body.deviceToken)).status).toBe(401);
  });

  it('stores device tokens only hashed', async () => {
    await start();
    const { body } = await deviceSignIn();
    const row = server!.server.services.db.prepare('SELECT token_hash FROM devices').get() as {
      token_hash: string;
    };
    expect(row.token_hash).toBe(hashToken(body.deviceToken));
  });
});

describe('--require-totp', () => {
  it('holds an account without TOTP at enrolment until it is done', async () => {
    const { clock } = await start({ requireTotp: true });
    const client = new PanelClient(server!.url);
    const signIn = await client.signIn('alice', PASSWORD);
    expect(signIn.body.account.mustEnrollTotp).toBe(true);
    for (const path of ['/api/account/audit', '/api/account/devices']) {
      const refused = await client.request('GET', path);
      expect([refused.status, refused.body.error]).toEqual([403, 'totp_enrollment_required']);
    }
    const again = await client.request('POST', '/api/account/reauthenticate', {
      ...(await signInCredentials(server!.url, 'alice', PASSWORD)),
    });
    expect(again.body.error).toBe('totp_enrollment_required');
    const begin = await client.request('POST', '/api/account/totp/begin', {});
    expect(begin.status).toBe(200);
    await client.request('POST', '/api/account/totp/confirm', {
      code: totpCode(begin.body.secretBase32, clock.now()),
    });
    expect((await client.request('GET', '/api/account')).body.mustEnrollTotp).toBe(false);
    expect((await client.request('GET', '/api/account/devices')).status).toBe(200);
  });

  it('gives a desktop no device token before enrolment', async () => {
    await start({ requireTotp: true });
    const answer = await fetch(`${server!.url}/api/device-sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'alice',
        ...(await signInCredentials(server!.url, 'alice', PASSWORD)),
        deviceName: 'Laptop',
        computerId: COMPUTER,
      }),
    });
    const body = await answer.json();
    expect(body.deviceToken).toBeNull();
    expect(body.account.mustEnrollTotp).toBe(true);
    expect((await bearer(server!.url, 'GET', '/api/account/audit', body.sessionToken)).body.error).toBe(
      'totp_enrollment_required',
    );
  });
});

describe('turning TOTP on', () => {
  it('ends the account’s other sessions (signed in with the password alone) and keeps this one', async () => {
    const { clock } = await start();
    const mine = new PanelClient(server!.url);
    const other = new PanelClient(server!.url);
    await mine.signIn('alice', PASSWORD);
    await other.signIn('alice', PASSWORD);
    const begin = await mine.request('POST', '/api/account/totp/begin', {});
    const confirm = await mine.request('POST', '/api/account/totp/confirm', {
      code: totpCode(begin.body.secretBase32, clock.now()),
    });
    expect(confirm.status).toBe(200);
    expect((await mine.request('GET', '/api/account')).status).toBe(200);
    const ended = await other.request('GET', '/api/account');
    expect([ended.status, ended.body.error]).toEqual([401, 'not_signed_in']);
  });
});

describe('--require-totp switched on later', () => {
  it('holds a device signed in without TOTP until the account enrols, but lets it sign itself out', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-require-later-'));
    try {
      server = await startTestAccountServer({ clock: new ManualClock(), dataDir });
      await server.createUser('alice', PASSWORD);
      const signIn = await fetch(`${server.url}/api/device-sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          username: 'alice',
          ...(await signInCredentials(server!.url, 'alice', PASSWORD)),
          deviceName: 'Laptop',
          computerId: COMPUTER,
        }),
      });
      const { deviceToken } = (await signIn.json()) as { deviceToken: string };
      expect((await bearer(server.url, 'GET', '/api/device/me', deviceToken)).status).toBe(200);
      await server.close();

      server = await startTestAccountServer({ clock: new ManualClock(), dataDir, requireTotp: true });
      const held = await bearer(server.url, 'GET', '/api/device/me', deviceToken);
      expect([held.status, held.body.error]).toEqual([403, 'totp_enrollment_required']);
      expect((await bearer(server.url, 'DELETE', '/api/device/me', deviceToken)).status).toBe(204);
    } finally {
      await server?.close();
      server = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('reauthentication', () => {
  it('needs the password (its auth key) again, and makes the session fresh from then on', async () => {
    const { clock } = await start();
    const mine = new PanelClient(server!.url);
    await mine.signIn('alice', PASSWORD);
    clock.advance(16 * 60 * 1000);
    const stale = await mine.request('POST', '/api/account/storage-tokens', { name: 'restic' });
    expect([stale.status, stale.body.error]).toEqual([403, 'reauthentication_required']);
    const wrong = await mine.request('POST', '/api/account/reauthenticate', {
      authKey: (await signInCredentials(server!.url, 'alice', 'not it at all')).authKey,
    });
    expect([wrong.status, wrong.body.error]).toEqual([401, 'invalid_credentials']);
    const ok = await mine.request('POST', '/api/account/reauthenticate', {
      authKey: (await signInCredentials(server!.url, 'alice', PASSWORD)).authKey,
    });
    expect(ok.status).toBe(204);
    expect((await mine.request('POST', '/api/account/storage-tokens', { name: 'restic' })).status).toBe(201);
  });
});

describe('HTTPS', () => {
  let dir: string;
  let cert: Buffer;
  let key: Buffer;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'strongroom-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' }); // prettier-ignore
    cert = readFileSync(join(dir, 'cert.pem'));
    key = readFileSync(join(dir, 'key.pem'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves HTTPS with a Secure cookie and HSTS', async () => {
    await start({ tlsCert: cert, tlsKey: key });
    const { authKey } = await derivedKeys(PASSWORD, testKdf(PASSWORD));
    expect(server!.url.startsWith('https://')).toBe(true);
    const answer = await new Promise<{
      status: number;
      headers: Record<string, string | string[] | undefined>;
    }>((resolve, reject) => {
      const req = httpsRequest(
        `${server!.url}/api/session`,
        { method: 'POST', ca: cert, headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ username: 'alice', authKey }));
    });
    expect(answer.status).toBe(200);
    expect(String(answer.headers['set-cookie'])).toMatch(/HttpOnly.*Secure|Secure.*HttpOnly/);
    expect(answer.headers['strict-transport-security']).toBe('max-age=31536000');
  });
});
