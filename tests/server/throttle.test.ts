import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../src-server/db/database';
import { ServerKey } from '../../src-server/services/server-key';
import { ThrottleStore, addressKey, waitAfterFailures } from '../../src-server/services/throttle';
import { startTestAccountServer, totpCode, type TestAccountServer } from '../support/account-server';
import { ManualClock, PanelClient } from './helpers';

const PASSWORD = 'correct horse battery';
const servers: TestAccountServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

async function start(opts: Parameters<typeof startTestAccountServer>[0] = {}) {
  const s = await startTestAccountServer(opts);
  servers.push(s);
  return s;
}

describe('the back-off schedule', () => {
  it('waits nothing for five failures, then 1 s doubling to 15 minutes', () => {
    expect([1, 2, 3, 4].map((f) => waitAfterFailures(f))).toEqual([0, 0, 0, 0]);
    expect([5, 6, 7, 8, 14].map((f) => waitAfterFailures(f))).toEqual([1, 2, 4, 8, 512]);
    expect([15, 16, 50, 99].map((f) => waitAfterFailures(f))).toEqual([900, 900, 900, 900]);
  });

  it('never lets 100 consecutive failures pass without a wait of at least an hour', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strongroom-throttle-'));
    dirs.push(dir);
    const db = openDatabase(join(dir, 'db.sqlite'));
    const clock = new ManualClock();
    const store = new ThrottleStore(db, clock, ServerKey.loadOrCreate(join(dir, 'server.key')));
    let failures = 0;
    let longestWait = 0;
    let sinceLongWait = 0;
    // An attacker who retries the very moment each wait ends.
    while (failures < 350) {
      const decision = store.attempt(['account:alice']);
      if (!decision.allowed) {
        longestWait = Math.max(longestWait, decision.retryAfterSeconds);
        if (decision.retryAfterSeconds >= 3600) sinceLongWait = 0;
        clock.advance(decision.retryAfterSeconds * 1000);
        continue;
      }
      failures++;
      sinceLongWait++;
      expect(sinceLongWait).toBeLessThanOrEqual(100);
    }
    expect(longestWait).toBe(3600);
    db.close();
  });
});

describe('sign-in throttling', () => {
  it('refuses the sixth failure with Retry-After before any key check, and doubles the wait', async () => {
    const clock = new ManualClock();
    const s = await start({ clock });
    const checks = vi.spyOn(s.server.services.authKeys, 'verifierMatches');
    await s.createUser('alice', PASSWORD);
    const c = new PanelClient(s.url);
    for (let i = 0; i < 5; i++) expect((await c.signIn('alice', 'wrong password')).status).toBe(401);
    const verifies = checks.mock.calls.length;
    const refused = await c.signIn('alice', PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body).toMatchObject({ error: 'throttled', retryAfterSeconds: 1 });
    expect(checks.mock.calls.length).toBe(verifies);

    clock.advance(1000);
    expect((await c.signIn('alice', 'wrong password')).status).toBe(401);
    const second = await c.signIn('alice', 'wrong password');
    expect(second.headers.get('retry-after')).toBe('2');
    clock.advance(2000);
    expect((await c.signIn('alice', 'wrong password')).status).toBe(401);
    expect((await c.signIn('alice', 'wrong password')).body.retryAfterSeconds).toBe(4);
  });

  it('lets exactly five of fifty concurrent wrong codes reach the check, whatever their addresses', async () => {
    const clock = new ManualClock();
    const s = await start({ clock, trustProxy: true });
    const checks = vi.spyOn(s.server.services.authKeys, 'verifierMatches');
    await s.createUser('alice', PASSWORD);
    const secret = await s.enableTotp('alice');
    const valid = new Set([-1, 0, 1].map((d) => totpCode(secret, clock.now() + d * 30_000)));
    const wrong = ['000000', '111111', '222222', '333333'].filter((c) => !valid.has(c))[0]!;
    // Derived before the flood, so the fifty requests arrive together.
    await new PanelClient(s.url).request('POST', '/api/sign-in/params', { username: 'alice' });
    const before = checks.mock.calls.length;
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        new PanelClient(s.url, { 'x-forwarded-for': `203.0.113.${i + 1}` }).signIn('alice', PASSWORD, {
          totp: wrong,
        }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((x) => x === 401)).toHaveLength(5);
    expect(statuses.filter((x) => x === 429)).toHaveLength(45);
    expect(checks.mock.calls.length - before).toBe(5);
  });

  it('resets after a success', async () => {
    const clock = new ManualClock();
    const s = await start({ clock });
    await s.createUser('alice', PASSWORD);
    const c = new PanelClient(s.url);
    for (let i = 0; i < 5; i++) await c.signIn('alice', 'wrong password');
    clock.advance(1000);
    expect((await c.signIn('alice', PASSWORD)).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await c.signIn('alice', 'wrong password')).status).toBe(401);
    expect((await c.signIn('alice', 'wrong password')).status).toBe(429);
  });

  it('counts wrong codes, and a right password without a code is not a failure', async () => {
    const clock = new ManualClock();
    const s = await start({ clock });
    await s.createUser('alice', PASSWORD);
    const secret = await s.enableTotp('alice');
    const c = new PanelClient(s.url);
    for (let i = 0; i < 8; i++) expect((await c.signIn('alice', PASSWORD)).body.error).toBe('totp_required');
    const good = totpCode(secret, clock.now());
    const wrong = good === '000000' ? '000001' : '000000';
    for (let i = 0; i < 5; i++) expect((await c.signIn('alice', PASSWORD, { totp: wrong })).status).toBe(401);
    expect((await c.signIn('alice', PASSWORD, { totp: good })).status).toBe(429);
  });

  it('keeps the wait across a restart of the server on the same data directory', async () => {
    const clock = new ManualClock();
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-restart-'));
    dirs.push(dataDir);
    const first = await startTestAccountServer({ clock, dataDir });
    await first.createUser('alice', PASSWORD);
    for (let i = 0; i < 5; i++) await new PanelClient(first.url).signIn('alice', 'wrong password');
    await first.close();

    const second = await start({ clock, dataDir });
    const refused = await new PanelClient(second.url).signIn('alice', PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
  });

  it('throttles per client address across accounts, and not other addresses', async () => {
    const clock = new ManualClock();
    const s = await start({ clock, trustProxy: true });
    for (const name of ['alice', 'bob']) await s.createUser(name, PASSWORD);
    const attacker = new PanelClient(s.url, { 'x-forwarded-for': '203.0.113.7' });
    const bystander = new PanelClient(s.url, { 'x-forwarded-for': '198.51.100.20' });
    const names = ['u1', 'u2', 'u3', 'u4', 'u5'];
    for (const name of names) expect((await attacker.signIn(name, 'wrong password')).status).toBe(401);
    const refused = await attacker.signIn('bob', PASSWORD);
    expect(refused.status).toBe(429);
    expect((await bystander.signIn('bob', PASSWORD)).status).toBe(200);
    // The audit log records the address the proxy reported.
    await bystander.signIn('alice', 'wrong password');
    const alice = new PanelClient(s.url, { 'x-forwarded-for': '198.51.100.21' });
    await alice.signIn('alice', PASSWORD);
    const audit = await alice.request('GET', '/api/account/audit');
    expect(audit.body.events.map((e: { address: string; kind: string }) => [e.kind, e.address])).toEqual([
      ['sign_in_success', '198.51.100.21'],
      ['sign_in_failure', '198.51.100.20'],
    ]);
  });

  it('ignores X-Forwarded-For when no proxy is trusted', async () => {
    const s = await start();
    await s.createUser('alice', PASSWORD);
    // Unknown names, with any key: their failures count like wrong passwords (no derivation needed).
    for (let i = 0; i < 5; i++) {
      await new PanelClient(s.url, { 'x-forwarded-for': `203.0.113.${i}` }).request('POST', '/api/session', {
        username: `u${i}`,
        authKey: 'A'.repeat(43),
      });
    }
    expect(
      (await new PanelClient(s.url, { 'x-forwarded-for': '203.0.113.99' }).signIn('alice', PASSWORD)).status,
    ).toBe(429);
  });
});

describe('per-address throttling', () => {
  it('counts IPv6 clients per /64, so a fresh address from the same network does not start over', async () => {
    const clock = new ManualClock();
    const s = await start({ clock });
    const { signIn } = s.server.services;
    // Password spraying: a different account each time, so only the address key can catch it.
    const attempt = (n: number, address: string) => () =>
      signIn.signIn(
        { username: `victim${n}`, authKey: 'A'.repeat(43) },
        { address, client: 'panel', device: null },
      );
    for (let n = 1; n <= 5; n++) {
      expect(attempt(n, `2001:db8:1:2::${n.toString(16)}`)).toThrow(
        expect.objectContaining({
          code: 'invalid_credentials',
        }),
      );
    }
    expect(attempt(6, '2001:0db8:0001:0002:ffff:1:2:3')).toThrow(
      expect.objectContaining({ code: 'throttled' }),
    );
    // Another /64 is another client.
    expect(attempt(7, '2001:db8:1:3::1')).toThrow(expect.objectContaining({ code: 'invalid_credentials' }));
  });

  it('names IPv4, IPv4-mapped and IPv6 addresses by the network they stand for', () => {
    expect(addressKey('203.0.113.9')).toBe('address:203.0.113.9');
    expect(addressKey('::ffff:203.0.113.9')).toBe('address:203.0.113.9');
    expect(addressKey('::1')).toBe('address:0:0:0:0::/64');
    expect(addressKey('2001:db8::')).toBe('address:2001:db8:0:0::/64');
    expect(addressKey('2001:DB8:0:00A0:1:2:3:4')).toBe('address:2001:db8:0:a0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('address:fe80:0:0:0::/64');
  });
});
