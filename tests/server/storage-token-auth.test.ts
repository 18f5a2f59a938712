/**
 * What it takes to make a storage token, and what ends one: a stolen session that has lived a
 * while, or one without the second factor, cannot mint tokens that outlive it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  startTestAccountServer,
  totpCode,
  type TestAccountServer,
  deviceSignInBody,
} from '../support/account-server';
import { derivedKeys, testKdf } from '../support/derived-keys';
import { ManualClock, PanelClient, bearer } from './helpers';
import { basicAuth, rest } from './storage-helpers';

const PASSWORD = 'correct horse battery';
const MINUTE = 60_000;
let server: TestAccountServer;
afterEach(async () => {
  await server?.close();
});

async function start(opts: Parameters<typeof startTestAccountServer>[0] = {}) {
  const clock = new ManualClock();
  server = await startTestAccountServer({ clock, ...opts });
  await server.createUser('alice', PASSWORD);
  return clock;
}

/** The storage answers this token (200 on a listing of its own account's repository). */
async function storageStatus(token: string): Promise<number> {
  await rest(`${server.url}/storage/alice/main/?create=true`, 'POST', { auth: basicAuth('alice', token) });
  return (await rest(`${server.url}/storage/alice/main/keys/`, 'GET', { auth: basicAuth('alice', token) }))
    .status;
}

const create = (client: PanelClient, body: Record<string, string> = {}) =>
  client.request('POST', '/api/account/storage-tokens', { name: 'restic', ...body });

describe('making a storage token', () => {
  it('needs a sign-in from the last 15 minutes, however busy the session is since', async () => {
    const clock = await start();
    const client = new PanelClient(server.url);
    await client.signIn('alice', PASSWORD);
    clock.advance(14 * MINUTE);
    expect((await create(client)).status).toBe(201);
    clock.advance(2 * MINUTE);
    const stale = await create(client);
    expect([stale.status, stale.body.error]).toEqual([403, 'reauthentication_required']);
    // Still signed in for everything else.
    expect((await client.request('GET', '/api/account/storage-tokens')).body.tokens).toHaveLength(1);
    await client.signIn('alice', PASSWORD);
    expect((await create(client)).status).toBe(201);
  });

  it('with two-factor on, also needs a current code or a recovery code, each once', async () => {
    const clock = await start();
    const { secret, recoveryCodes } = await server.enableTotpWithRecoveryCodes('alice');
    const client = new PanelClient(server.url);
    await client.signIn('alice', PASSWORD, { totp: totpCode(secret, clock.now()) });
    clock.advance(30_000);

    const none = await create(client);
    expect([none.status, none.body.error]).toEqual([401, 'totp_required']);
    const wrong = await create(client, {
      code: String((Number(totpCode(secret, clock.now())) + 1) % 1e6).padStart(6, '0'),
    });
    expect([wrong.status, wrong.body.error]).toEqual([400, 'wrong_code']);
    const code = totpCode(secret, clock.now());
    const made = await create(client, { code });
    expect(made.status).toBe(201);
    expect(await storageStatus(made.body.token)).toBe(200);
    expect((await create(client, { code })).body.error).toBe('wrong_code');

    expect((await create(client, { recoveryCode: recoveryCodes[0]! })).status).toBe(201);
    expect((await create(client, { recoveryCode: recoveryCodes[0]! })).body.error).toBe('wrong_code');
    const kinds = (await client.request('GET', '/api/account/audit')).body.events.map(
      (e: { kind: string }) => e.kind,
    );
    expect(kinds.filter((k: string) => k === 'storage_token_created')).toHaveLength(2);
    expect(kinds).toContain('recovery_code_used');
  });

  it('counts wrong codes against the sign-in throttle', async () => {
    const clock = await start();
    const secret = await server.enableTotp('alice');
    const client = new PanelClient(server.url);
    await client.signIn('alice', PASSWORD, { totp: totpCode(secret, clock.now()) });
    let answer;
    for (let i = 0; i < 20; i++) {
      answer = await create(client, { code: '000000' });
      if (answer.status === 429) break;
    }
    expect([answer!.status, answer!.body.error]).toEqual([429, 'throttled']);
  });

  it('under --require-totp: a session becomes fresh by confirming its enrolment', async () => {
    const clock = await start({ requireTotp: true });
    const client = new PanelClient(server.url);
    await client.signIn('alice', PASSWORD);
    expect((await create(client)).body.error).toBe('totp_enrollment_required');
    const begun = await client.request('POST', '/api/account/totp/begin', {});
    const confirmed = await client.request('POST', '/api/account/totp/confirm', {
      code: totpCode(begun.body.secretBase32, clock.now()),
    });
    expect(confirmed.status).toBe(200);
    const { full_at } = server.server.services.db.prepare('SELECT full_at FROM sessions').get() as {
      full_at: number;
    };
    expect(full_at).toBe(clock.now());
    clock.advance(30_000);
    const made = await create(client, { code: totpCode(begun.body.secretBase32, clock.now()) });
    expect(made.status).toBe(201);
  });

  it('a sign-in still held at enrolment is not a full one', async () => {
    await start({ requireTotp: true });
    const signIn = await fetch(`${server.url}/api/device-sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(await deviceSignInBody(server.url, 'alice', PASSWORD, 'Laptop')),
    });
    expect(signIn.status).toBe(200);
    const rows = server.server.services.db.prepare('SELECT full_at FROM sessions').all();
    expect(rows).toEqual([{ full_at: null }]);
  });
});

describe('what ends a storage token', () => {
  async function desktop() {
    const answer = await fetch(`${server.url}/api/device-sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(await deviceSignInBody(server.url, 'alice', PASSWORD, 'Laptop')),
    });
    return (await answer.json()) as { sessionToken: string; deviceToken: string; deviceId: string };
  }

  it('revoking a device revokes the storage tokens its session made, not the panel’s', async () => {
    await start();
    const laptop = await desktop();
    const minted = await bearer(server.url, 'POST', '/api/account/storage-tokens', laptop.sessionToken, {
      name: 'minted on the laptop',
    });
    expect(minted.status).toBe(201);
    const client = new PanelClient(server.url);
    await client.signIn('alice', PASSWORD);
    const own = await create(client);
    expect(await storageStatus(minted.body.token)).toBe(200);

    expect((await client.request('DELETE', `/api/account/devices/${laptop.deviceId}`)).status).toBe(204);
    expect(await storageStatus(minted.body.token)).toBe(401);
    expect(await storageStatus(own.body.token)).toBe(200);
    const listed = (await client.request('GET', '/api/account/storage-tokens')).body.tokens;
    expect(listed.map((t: { name: string }) => t.name)).toEqual(['restic']);
  });

  it('a device signing itself out takes its storage tokens with it', async () => {
    await start();
    const laptop = await desktop();
    const minted = await bearer(server.url, 'POST', '/api/account/storage-tokens', laptop.sessionToken, {
      name: 'minted on the laptop',
    });
    expect((await bearer(server.url, 'DELETE', '/api/device/me', laptop.deviceToken)).status).toBe(204);
    expect(await storageStatus(minted.body.token)).toBe(401);
  });

  it('a password change ends every storage token', async () => {
    await start();
    const client = new PanelClient(server.url);
    await client.signIn('alice', PASSWORD);
    const token = (await create(client)).body.token as string;
    expect(await storageStatus(token)).toBe(200);
    const kdf = testKdf('a brand new password');
    server.server.services.passwords.reset(
      'alice',
      kdf,
      (await derivedKeys('a brand new password', kdf)).authKey,
      { resetTotp: false },
    );
    const after = await rest(`${server.url}/storage/alice/main/keys/`, 'GET', {
      auth: basicAuth('alice', token),
    });
    expect(after.status).toBe(401);
    const panel = new PanelClient(server.url);
    await panel.signIn('alice', 'a brand new password');
    await panel.request('POST', '/api/account/password/temporary', {
      generation: 2,
      kdf: testKdf(PASSWORD),
      authKey: (await derivedKeys(PASSWORD, testKdf(PASSWORD))).authKey,
    });
    expect((await panel.request('GET', '/api/account/storage-tokens')).body.tokens).toEqual([]);
  });

  it('a storage token cannot do a device’s work', async () => {
    await start();
    const client = new PanelClient(server.url);
    await client.signIn('alice', PASSWORD);
    const token = (await create(client)).body.token as string;
    for (const [method, path] of [
      ['GET', '/api/device/me'],
      ['DELETE', '/api/device/me'],
      ['GET', '/api/device/storage'],
    ] as const) {
      const answer = await bearer(server.url, method, path, token);
      expect([path, answer.status, answer.body.error]).toEqual([path, 403, 'forbidden_scope']);
    }
    expect(await storageStatus(token)).toBe(200);
  });
});
