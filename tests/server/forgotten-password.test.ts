/**
 * "Forgot password?": the recovery key's proof first (a wrong one counts only against the
 * address, and can neither lock the owner out nor reach the code check), then the code (counted
 * against the account), then a single-use ticket of ten minutes bound to the generation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toBase64url, randomBytes } from '../../src-shared/account-crypto';
import { startTestAccountServer, totpCode, type TestAccountServer } from '../support/account-server';
import { derivedKeys, testKdf } from '../support/derived-keys';
import { ManualClock, PanelClient, bearer } from './helpers';
import { newKeys, passwordWrap, recoveryWrap, withAccountKey, type MadeKeys } from './key-helpers';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a password remembered at last';
let server: TestAccountServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start() {
  const clock = new ManualClock();
  server = await startTestAccountServer({ clock, trustProxy: true });
  await server.createUser('alice', PASSWORD);
  const secret = await server.enableTotp('alice');
  const code = () => {
    clock.advance(30_000);
    return totpCode(secret, clock.now());
  };
  const { desktop, keys, generation } = await withAccountKey(server.url, 'alice', PASSWORD, { totp: code });
  return { s: server, clock, code, desktop, keys, generation };
}

const from = (s: TestAccountServer, address: string) =>
  new PanelClient(s.url, { 'x-forwarded-for': address });

async function finishBody(
  keys: MadeKeys,
  ticket: { ticket: string; accountUid: string; generation: number },
) {
  const kdf = testKdf(NEW_PASSWORD);
  const next = await newKeys();
  const ctx = { accountUid: ticket.accountUid, generation: ticket.generation + 1 };
  return {
    body: {
      ticket: ticket.ticket,
      generation: ticket.generation,
      kdf,
      authKey: (await derivedKeys(NEW_PASSWORD, kdf)).authKey,
      passwordWrap: await passwordWrap(keys, NEW_PASSWORD, kdf, ctx),
      recovery: {
        proof: next.recoveryProof,
        wrap: await recoveryWrap({ ...keys, recoveryKey: next.recoveryKey }, ctx),
      },
    },
    next,
  };
}

describe('the forgotten-password flow', () => {
  it('gives the recovery wrap for the right key and code, then sets the new password and ends every sign-in', async () => {
    const { s, code, desktop, keys, generation } = await start();
    const other = new PanelClient(s.url);
    await other.signIn('alice', PASSWORD, { totp: code() });
    const begun = await from(s, '203.0.113.7').request('POST', '/api/forgot-password/begin', {
      username: 'alice',
      recoveryProof: keys.recoveryProof,
      totp: code(),
    });
    expect(begun.status).toBe(200);
    expect(begun.body).toMatchObject({
      accountUid: desktop.keys.accountUid,
      keyId: keys.keyId,
      generation,
      recoveryWrap: { kind: 'recovery', generation },
    });
    const { body } = await finishBody(keys, begun.body);
    const done = await from(s, '203.0.113.7').request('POST', '/api/forgot-password/finish', body);
    expect(done.status).toBe(204);
    // Single use.
    const again = await from(s, '203.0.113.7').request('POST', '/api/forgot-password/finish', body);
    expect([again.status, again.body.error]).toEqual([400, 'ticket_expired']);
    for (const token of [desktop.sessionToken, desktop.deviceToken!]) {
      const path = token === desktop.deviceToken ? '/api/device/me' : '/api/account';
      expect((await bearer(s.url, 'GET', path, token)).body.error).toBe('password_changed');
    }
    expect((await other.request('GET', '/api/account')).body.error).toBe('password_changed');
    expect((await new PanelClient(s.url).signIn('alice', NEW_PASSWORD, { totp: code() })).status).toBe(200);
    expect((await new PanelClient(s.url).signIn('alice', PASSWORD, { totp: code() })).status).toBe(401);
    const kinds = s.server.services.audit
      .list(s.server.services.accounts.byUsername('alice')!.id)
      .map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['password_recovery_begun', 'password_recovered']));
  });

  it('refuses many wrong proofs before any code is checked, without locking the owner out', async () => {
    const { s, code, keys } = await start();
    const attacker = from(s, '198.51.100.66');
    const codeChecks: number[] = [];
    let throttled = 0;
    for (let i = 0; i < 12; i++) {
      const answer = await attacker.request('POST', '/api/forgot-password/begin', {
        username: 'alice',
        recoveryProof: toBase64url(randomBytes(32)),
        totp: '123456',
      });
      if (answer.status === 429) throttled++;
      else expect([answer.status, answer.body.error]).toEqual([401, 'invalid_credentials']);
      codeChecks.push(s.server.services.throttle.failures('account:alice'));
    }
    // The address was slowed down; the account was never charged (no code was looked at).
    expect(throttled).toBeGreaterThan(0);
    expect(new Set(codeChecks)).toEqual(new Set([0]));
    // The owner, from elsewhere, still signs in and recovers.
    expect((await from(s, '203.0.113.7').signIn('alice', PASSWORD, { totp: code() })).status).toBe(200);
    const owner = await from(s, '203.0.113.8').request('POST', '/api/forgot-password/begin', {
      username: 'alice',
      recoveryProof: keys.recoveryProof,
      totp: code(),
    });
    expect(owner.status).toBe(200);
  });

  it('counts a wrong code after a right proof against the account, as a sign-in failure', async () => {
    const { s, keys } = await start();
    const answer = await from(s, '203.0.113.7').request('POST', '/api/forgot-password/begin', {
      username: 'alice',
      recoveryProof: keys.recoveryProof,
      totp: '000000',
    });
    expect([answer.status, answer.body.error]).toEqual([401, 'invalid_credentials']);
    expect(s.server.services.throttle.failures('account:alice')).toBe(1);
    const noCode = await from(s, '203.0.113.7').request('POST', '/api/forgot-password/begin', {
      username: 'alice',
      recoveryProof: keys.recoveryProof,
    });
    expect(noCode.body.error).toBe('totp_required');
  });

  it('answers an unknown name like a wrong proof', async () => {
    const { s } = await start();
    const proof = toBase64url(randomBytes(32));
    const unknown = await from(s, '203.0.113.1').request('POST', '/api/forgot-password/begin', {
      username: 'nobody',
      recoveryProof: proof,
      totp: '123456',
    });
    const wrong = await from(s, '203.0.113.2').request('POST', '/api/forgot-password/begin', {
      username: 'alice',
      recoveryProof: proof,
      totp: '123456',
    });
    expect([unknown.status, unknown.body]).toEqual([wrong.status, wrong.body]);
  });

  it('lets a ticket expire after ten minutes, and die when the generation moves on', async () => {
    const { s, clock, code, desktop, keys } = await start();
    const begin = async () =>
      (
        await from(s, '203.0.113.7').request('POST', '/api/forgot-password/begin', {
          username: 'alice',
          recoveryProof: keys.recoveryProof,
          totp: code(),
        })
      ).body;
    const late = await begin();
    clock.advance(10 * 60 * 1000);
    const expired = await from(s, '203.0.113.7').request(
      'POST',
      '/api/forgot-password/finish',
      (await finishBody(keys, late)).body,
    );
    expect([expired.status, expired.body.error]).toEqual([400, 'ticket_expired']);

    const ticket = await begin();
    // Meanwhile the signed-in app makes a new recovery key: the generation moves on.
    await bearer(s.url, 'POST', '/api/account/reauthenticate', desktop.sessionToken, {
      authKey: (await derivedKeys(PASSWORD, testKdf(PASSWORD))).authKey,
      totp: code(),
    });
    const next = await newKeys();
    const moved = await bearer(s.url, 'POST', '/api/account/keys/recovery', desktop.sessionToken, {
      authKey: (await derivedKeys(PASSWORD, testKdf(PASSWORD))).authKey,
      totp: code(),
      generation: ticket.generation,
      recovery: {
        proof: next.recoveryProof,
        wrap: await recoveryWrap(
          { ...keys, recoveryKey: next.recoveryKey },
          { accountUid: ticket.accountUid, generation: ticket.generation + 1 },
        ),
      },
    });
    expect(moved.status).toBe(200);
    const conflict = await from(s, '203.0.113.7').request(
      'POST',
      '/api/forgot-password/finish',
      (await finishBody(keys, ticket)).body,
    );
    expect([conflict.status, conflict.body.error]).toEqual([409, 'generation_conflict']);
    // The old recovery key no longer opens anything.
    const old = await from(s, '203.0.113.9').request('POST', '/api/forgot-password/begin', {
      username: 'alice',
      recoveryProof: keys.recoveryProof,
      totp: code(),
    });
    expect(old.body.error).toBe('invalid_credentials');
  });
});
