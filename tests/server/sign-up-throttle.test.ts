/**
 * Sign-up makes an account and its "taken" answer tells whether a name exists: it is throttled per
 * client address and in total, before anything is looked up or made.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { signupBody } from '../support/derived-keys';
import { ManualClock, PanelClient } from './helpers';

const PASSWORD = 'correct horse battery';
let server: TestAccountServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('sign-up throttling', () => {
  it('refuses a flood of concurrent sign-ups from one address before making any, with Retry-After', async () => {
    server = await startTestAccountServer({ clock: new ManualClock() });
    const creates = vi.spyOn(server.server.services.accounts, 'create');
    const client = new PanelClient(server.url);
    const body = await signupBody('user', PASSWORD);
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        client.request('POST', '/api/signup', { ...body, username: `user${i}` }),
      ),
    );
    const created = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status === 429);
    expect(created).toHaveLength(5);
    expect(refused).toHaveLength(19);
    expect(creates).toHaveBeenCalledTimes(5);
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
    const body = await signupBody('alice', PASSWORD);
    for (let i = 0; i < 5; i++) {
      const taken = await client.request('POST', '/api/signup', body);
      expect(taken.body.error).toBe('username_taken');
    }
    const refused = await client.request('POST', '/api/signup', body);
    expect([refused.status, refused.headers.get('retry-after')]).toEqual([429, '1']);
    clock.advance(1000);
    expect((await client.request('POST', '/api/signup', { ...body, username: 'bob' })).status).toBe(201);
    expect((await client.request('POST', '/api/signup', { ...body, username: 'carol' })).status).toBe(429);
  });

  it('limits sign-ups in total, whatever addresses they come from', async () => {
    const clock = new ManualClock();
    server = await startTestAccountServer({ clock, trustProxy: true, signup: true });
    const creates = vi.spyOn(server.server.services.accounts, 'create');
    const body = await signupBody('user', PASSWORD);
    const signUp = (i: number) =>
      new PanelClient(server!.url, { 'x-forwarded-for': `203.0.113.${i}` }).request('POST', '/api/signup', {
        ...body,
        username: `user${i}`,
      });
    for (let i = 1; i <= 20; i++) expect((await signUp(i)).status).toBe(201);
    const refused = await signUp(21);
    expect([refused.status, refused.body.error]).toEqual([429, 'throttled']);
    expect(creates).toHaveBeenCalledTimes(20);
  });

  it('does not throttle the administrator’s user add, nor sign-in because of sign-ups', async () => {
    server = await startTestAccountServer({ clock: new ManualClock() });
    for (let i = 0; i < 30; i++) await server.createUser(`admin${i}`, PASSWORD);
    const client = new PanelClient(server.url);
    const body = await signupBody('flood', PASSWORD);
    for (let i = 0; i < 6; i++) {
      await client.request('POST', '/api/signup', { ...body, username: `flood${i}` });
    }
    expect((await client.signIn('admin0', PASSWORD)).status).toBe(200);
  });
});
