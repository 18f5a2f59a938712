import { afterEach, describe, expect, it } from 'vitest';
import { INVALID_CREDENTIALS } from '../../src-server/services/sign-in';
import { startTestAccountServer, totpCode, type TestAccountServer } from '../support/account-server';
import { ManualClock, PanelClient } from './helpers';

const PASSWORD = 'correct horse battery';
let server: TestAccountServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setUp(opts: { withTotp?: boolean } = {}) {
  const clock = new ManualClock();
  server = await startTestAccountServer({ clock });
  await server.createUser('alice', PASSWORD);
  const secret = opts.withTotp ? await server.enableTotpWithRecoveryCodes('alice') : null;
  return { clock, server, secret, client: () => new PanelClient(server!.url) };
}

describe('sign-in with TOTP', () => {
  it('asks for a code when the password is right and no code is given', async () => {
    const { client } = await setUp({ withTotp: true });
    const answer = await client().signIn('alice', PASSWORD);
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('totp_required');
  });

  it('signs in with a code computed by the test’s own HMAC lines', async () => {
    const { client, secret, clock } = await setUp({ withTotp: true });
    const answer = await client().signIn('alice', PASSWORD, { totp: totpCode(secret!.secret, clock.now()) });
    expect(answer.status).toBe(200);
    expect(answer.body.account).toMatchObject({
      username: 'alice',
      totpEnabled: true,
      recoveryCodesRemaining: 10,
    });
  });

  it('refuses a code that was already used (replay)', async () => {
    const { client, secret, clock } = await setUp({ withTotp: true });
    const code = totpCode(secret!.secret, clock.now());
    expect((await client().signIn('alice', PASSWORD, { totp: code })).status).toBe(200);
    const replay = await client().signIn('alice', PASSWORD, { totp: code });
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual({ error: 'invalid_credentials', message: INVALID_CREDENTIALS });
  });

  it('lets only one of two concurrent requests with the same code through', async () => {
    const { client, secret, clock } = await setUp({ withTotp: true });
    const code = totpCode(secret!.secret, clock.now());
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => client().signIn('alice', PASSWORD, { totp: code })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401, 401, 401]);
  });

  it('refuses an older step once a later one was accepted', async () => {
    const { client, secret, clock } = await setUp({ withTotp: true });
    const next = totpCode(secret!.secret, clock.now() + 30_000);
    const current = totpCode(secret!.secret, clock.now());
    expect((await client().signIn('alice', PASSWORD, { totp: next })).status).toBe(200);
    expect((await client().signIn('alice', PASSWORD, { totp: current })).status).toBe(401);
  });

  it('accepts codes one step either side of now and refuses two steps away', async () => {
    const { client, secret, clock } = await setUp({ withTotp: true });
    const s = secret!.secret;
    // Each accepted code must be a later step than the last, so walk the clock forward.
    clock.advance(5 * 30_000);
    expect(
      (await client().signIn('alice', PASSWORD, { totp: totpCode(s, clock.now() - 60_000) })).status,
    ).toBe(401);
    expect(
      (await client().signIn('alice', PASSWORD, { totp: totpCode(s, clock.now() - 30_000) })).status,
    ).toBe(200);
    clock.advance(5 * 30_000);
    expect(
      (await client().signIn('alice', PASSWORD, { totp: totpCode(s, clock.now() + 60_000) })).status,
    ).toBe(401);
    expect(
      (await client().signIn('alice', PASSWORD, { totp: totpCode(s, clock.now() + 30_000) })).status,
    ).toBe(200);
  });

  it('answers a wrong code exactly like a wrong password', async () => {
    const { client, secret, clock } = await setUp({ withTotp: true });
    const wrongCode = String((Number(totpCode(secret!.secret, clock.now())) + 1) % 1_000_000).padStart(
      6,
      '0',
    );
    const a = await client().signIn('alice', PASSWORD, { totp: wrongCode });
    const b = await client().signIn('alice', 'wrong password', {
      totp: totpCode(secret!.secret, clock.now()),
    });
    expect(a.status).toBe(401);
    expect([b.status, b.body]).toEqual([a.status, a.body]);
  });

  it('takes each recovery code once', async () => {
    const { client, secret } = await setUp({ withTotp: true });
    const [first, second] = secret!.recoveryCodes;
    const ok = await client().signIn('alice', PASSWORD, { recoveryCode: first!.toUpperCase() });
    expect(ok.status).toBe(200);
    expect(ok.body.account.recoveryCodesRemaining).toBe(9);
    expect((await client().signIn('alice', PASSWORD, { recoveryCode: first! })).status).toBe(401);
    expect(
      (await client().signIn('alice', PASSWORD, { recoveryCode: second!.replace(/-/g, ' ') })).status,
    ).toBe(200);
  });
});

describe('no account enumeration', () => {
  it('answers an unknown user with the same status, words and headers as a wrong password', async () => {
    const { client } = await setUp();
    const wrong = await client().signIn('alice', 'not the password');
    const unknown = await client().signIn('mallory', 'not the password');
    expect(unknown.status).toBe(401);
    expect([unknown.status, unknown.body]).toEqual([wrong.status, wrong.body]);
    expect([...unknown.headers.keys()].sort()).toEqual([...wrong.headers.keys()].sort());
  });

  it('throttles unknown usernames exactly like existing ones', async () => {
    const { client } = await setUp();
    const statuses = async (name: string) => {
      const out: number[] = [];
      for (let i = 0; i < 7; i++) out.push((await client().signIn(name, 'wrong password')).status);
      return out;
    };
    // Different client addresses are not available on loopback, so only the per-account
    // counter differs between the two runs: reset the address counter in between.
    const known = await statuses('alice');
    server!.server.services.throttle.clear('address:127.0.0.1');
    const unknown = await statuses('mallory');
    expect(unknown).toEqual(known);
  });
});
