/** Sign-up costs a full password hash: it is throttled per client address and in total, before any hashing. */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { CountingHasher, ManualClock, PanelClient } from './helpers';

const PASSWORD = 'correct horse battery';
let server: TestAccountServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('sign-up throttling', () => {
  it('refuses a flood of concurrent sign-ups from one address before hashing, with Retry-After', async () => {
    const hasher = new CountingHasher();
    server = await startTestAccountServer({ clock: new ManualClock(), passwordHasher: hasher });
    const hashesBefore = hasher.hashes;
    const client = new PanelClient(server.url);
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        client.request('POST', '/api/signup', { username: `user${i}`, password: PASSWORD }),
      ),
    );
    const created = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status === 429);
    expect(created).toHaveLength(5);
    expect(refused).toHaveLength(19);
    expect(hasher.hashes - hashesBefore).toBe(5);
    for (const a of refused) {
      expect(a.body).toMatchObject({ error: 'throttled', retryAfterSeconds: expect.any(Number) });
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('counts names that are taken too (so probing for usernames is bounded), and waits out the back-off', async () => {
    const clock = new ManualClock();
    server = await startTestAccountServer({ clock });
    await server.createUser('alice', PASSWORD);
    const client = new PanelClient(server.url);
    for (let i = 0; i < 5; i++) {
      const taken = await client.request('POST', '/api/signup', { username: 'alice', password: PASSWORD });
      expect(taken.body.error).toBe('username_taken');
    }
    const refused = await client.request('POST', '/api/signup', { username: 'alice', password: PASSWORD });
    expect([refused.status, refused.headers.get('retry-after')]).toEqual([429, '1']);
    clock.advance(1000);
    expect(
      (await client.request('POST', '/api/signup', { username: 'bob', password: PASSWORD })).status,
    ).toBe(201);
    expect(
      (await client.request('POST', '/api/signup', { username: 'carol', password: PASSWORD })).status,
    ).toBe(429);
  });

  it('limits sign-ups in total, whatever addresses they come from', async () => {
    const clock = new ManualClock();
    const hasher = new CountingHasher();
    server = await startTestAccountServer({ clock, passwordHasher: hasher, trustProxy: true, signup: true });
    const signUp = (i: number) =>
      new PanelClient(server!.url, { 'x-forwarded-for': `203.0.113.${i}` }).request('POST', '/api/signup', {
        username: `user${i}`,
        password: PASSWORD,
      });
    for (let i = 1; i <= 20; i++) expect((await signUp(i)).status).toBe(201);
    const hashes = hasher.hashes;
    const refused = await signUp(21);
    expect([refused.status, refused.body.error]).toEqual([429, 'throttled']);
    expect(hasher.hashes).toBe(hashes);
  });

  it('does not throttle the administrator’s user add, nor sign-in because of sign-ups', async () => {
    server = await startTestAccountServer({ clock: new ManualClock() });
    for (let i = 0; i < 30; i++) await server.createUser(`admin${i}`, PASSWORD);
    const client = new PanelClient(server.url);
    for (let i = 0; i < 6; i++) {
      await client.request('POST', '/api/signup', { username: `flood${i}`, password: PASSWORD });
    }
    expect((await client.signIn('admin0', PASSWORD)).status).toBe(200);
  });
});
