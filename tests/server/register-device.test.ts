/** POST /api/account/devices: a device token for a session whose sign-in got none (--require-totp). */
import { afterEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../src-server/services/sessions';
import {
  startTestAccountServer,
  totpCode,
  type TestAccountServer,
  deviceSignInBody,
} from '../support/account-server';
import { ManualClock, PanelClient, bearer } from './helpers';

const PASSWORD = 'correct horse battery';
let server: TestAccountServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(requireTotp: boolean) {
  const clock = new ManualClock();
  server = await startTestAccountServer({ clock, requireTotp });
  await server.createUser('alice', PASSWORD);
  return clock;
}

async function deviceSignIn(): Promise<{ sessionToken: string; deviceToken: string | null }> {
  const answer = await fetch(`${server!.url}/api/device-sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(await deviceSignInBody(server!.url, 'alice', PASSWORD, 'Laptop')),
  });
  return (await answer.json()) as { sessionToken: string; deviceToken: string | null };
}

async function enrol(clock: ManualClock, sessionToken: string): Promise<void> {
  const begin = await bearer(server!.url, 'POST', '/api/account/totp/begin', sessionToken, {});
  const confirm = await bearer(server!.url, 'POST', '/api/account/totp/confirm', sessionToken, {
    code: totpCode(begin.body.secretBase32, clock.now()),
  });
  expect(confirm.status).toBe(200);
}

describe('registering a device from a session', () => {
  it('under --require-totp: refused until the account enrols, then a working, listed, audited device token', async () => {
    const clock = await start(true);
    const signIn = await deviceSignIn();
    expect(signIn.deviceToken).toBeNull();

    const held = await bearer(server!.url, 'POST', '/api/account/devices', signIn.sessionToken, {
      deviceName: 'Laptop',
    });
    expect([held.status, held.body.error]).toEqual([403, 'totp_enrollment_required']);
    expect(server!.server.services.db.prepare('SELECT COUNT(*) AS n FROM devices').get()).toEqual({ n: 0 });

    await enrol(clock, signIn.sessionToken);
    const registered = await bearer(server!.url, 'POST', '/api/account/devices', signIn.sessionToken, {
      deviceName: 'Laptop',
    });
    expect(registered.status).toBe(201);
    expect(Object.keys(registered.body).sort()).toEqual(['deviceId', 'deviceToken']);
    expect(registered.body.deviceToken).toMatch(/^srd_/);

    // A device token like any other: backup work only, stored hashed, listed, in the history.
    const me = await bearer(server!.url, 'GET', '/api/device/me', registered.body.deviceToken);
    expect(me.body).toEqual({ username: 'alice', deviceId: registered.body.deviceId, deviceName: 'Laptop' });
    const row = server!.server.services.db.prepare('SELECT token_hash FROM devices').get() as {
      token_hash: string;
    };
    expect(row.token_hash).toBe(hashToken(registered.body.deviceToken));
    const list = await bearer(server!.url, 'GET', '/api/account/devices', signIn.sessionToken);
    expect(list.body.devices).toEqual([
      {
        id: registered.body.deviceId,
        name: 'Laptop',
        // The computer the session signed in from.
        computerId: 'c0ffee'.padEnd(32, '0'),
        createdAt: new Date(clock.now()).toISOString(),
        lastSeenAt: new Date(clock.now()).toISOString(),
      },
    ]);
    const events = (await bearer(server!.url, 'GET', '/api/account/audit', signIn.sessionToken)).body.events;
    expect(events[0]).toMatchObject({ kind: 'sign_in_success', client: 'desktop', device: 'Laptop' });
    expect(events[1]).toMatchObject({ kind: 'totp_enabled' });

    // Revoking the device ends the desktop session that registered it, as after a device sign-in.
    expect((await bearer(server!.url, 'DELETE', '/api/device/me', registered.body.deviceToken)).status).toBe(
      204,
    );
    const ended = await bearer(server!.url, 'GET', '/api/account', signIn.sessionToken);
    expect([ended.status, ended.body.error]).toEqual([401, 'not_signed_in']);
  });

  it('refuses a device token (forbidden_scope) and no session at all', async () => {
    await start(false);
    const { deviceToken } = await deviceSignIn();
    const refused = await bearer(server!.url, 'POST', '/api/account/devices', deviceToken!, {
      deviceName: 'Other',
    });
    expect([refused.status, refused.body.error]).toEqual([403, 'forbidden_scope']);
    const anonymous = await new PanelClient(server!.url).request('POST', '/api/account/devices', {
      deviceName: 'Other',
    });
    expect([anonymous.status, anonymous.body.error]).toEqual([401, 'not_signed_in']);
    expect(server!.server.services.db.prepare('SELECT COUNT(*) AS n FROM devices').get()).toEqual({ n: 1 });
  });

  it('takes a panel session with its CSRF token, and refuses it without', async () => {
    await start(false);
    const client = new PanelClient(server!.url);
    await client.signIn('alice', PASSWORD);
    const noCsrf = await client.request(
      'POST',
      '/api/account/devices',
      { deviceName: 'Desk' },
      {
        'x-csrf-token': 'nope',
      },
    );
    expect([noCsrf.status, noCsrf.body.error]).toEqual([403, 'csrf']);
    const ok = await client.request('POST', '/api/account/devices', { deviceName: 'Desk' });
    expect(ok.status).toBe(201);
    expect(ok.body.deviceToken).toMatch(/^srd_/);
    // A browser session is not the device's: revoking the device leaves the panel signed in.
    expect((await client.request('DELETE', `/api/account/devices/${ok.body.deviceId}`)).status).toBe(204);
    expect((await client.request('GET', '/api/account')).status).toBe(200);
  });

  it('validates its input strictly', async () => {
    await start(false);
    const { sessionToken } = await deviceSignIn();
    for (const body of [
      {},
      { deviceName: '' },
      { deviceName: 'x'.repeat(101) },
      { deviceName: 'A', extra: 1 },
    ]) {
      const refused = await bearer(server!.url, 'POST', '/api/account/devices', sessionToken, body);
      expect([refused.status, refused.body.error]).toEqual([400, 'bad_request']);
    }
  });
});
