/**
 * The throttle table holds no usernames or addresses in plain text (keyed hashes only), forgets
 * keys whose back-off has long ended, and converts rows written by older servers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src-server/db/database';
import { THROTTLE_FORGET_MS } from '../../src-server/services/throttle';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { signupBody } from '../support/derived-keys';
import { ManualClock, PanelClient } from './helpers';

const PASSWORD = 'correct horse battery';
const servers: TestAccountServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function rows(s: TestAccountServer): Array<{ key: string; failures: number; blocked_until: number }> {
  return s.server.services.db.prepare('SELECT key, failures, blocked_until FROM throttle').all() as Array<{
    key: string;
    failures: number;
    blocked_until: number;
  }>;
}

describe('throttle rows', () => {
  it('are keyed by a keyed hash: no attempted username or address appears in the table', async () => {
    const s = await startTestAccountServer({ clock: new ManualClock(), trustProxy: true, signup: true });
    servers.push(s);
    await s.createUser('alice', PASSWORD);
    const client = new PanelClient(s.url, { 'x-forwarded-for': '203.0.113.77' });
    await client.signIn('alice', 'wrong password');
    await client.signIn('no-such-person', 'wrong password');
    await client.request('POST', '/api/signup', await signupBody('newcomer', PASSWORD));
    const keys = rows(s).map((r) => r.key);
    expect(keys.length).toBeGreaterThanOrEqual(4);
    for (const key of keys) {
      expect(key).not.toMatch(/alice|no-such-person|newcomer|203\.0\.113|account:|address:/);
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
    // The counters still work through the hash.
    for (let i = 0; i < 4; i++) await client.signIn('alice', 'wrong password');
    expect((await client.signIn('alice', PASSWORD)).status).toBe(429);
  });

  it('are swept once their back-off ended long ago, at the next attempt and by the timer’s sweep', async () => {
    const clock = new ManualClock();
    const s = await startTestAccountServer({ clock });
    servers.push(s);
    const client = new PanelClient(s.url);
    await client.signIn('ghost', 'wrong password');
    expect(rows(s)).toHaveLength(2); // account and address
    clock.advance(THROTTLE_FORGET_MS - 1000);
    s.server.services.throttle.sweep();
    expect(rows(s)).toHaveLength(2);
    clock.advance(2000);
    s.server.services.throttle.sweep();
    expect(rows(s)).toHaveLength(0);

    // Opportunistically: an attempt clears what has expired before charging its own keys.
    await client.signIn('ghost', 'wrong password');
    clock.advance(THROTTLE_FORGET_MS + 1000);
    await client.signIn('someone-else', 'wrong password');
    expect(rows(s)).toHaveLength(2);
  });

  it('keeps a key that is still waiting (a long back-off is not forgotten early)', async () => {
    const clock = new ManualClock();
    const s = await startTestAccountServer({ clock });
    servers.push(s);
    for (let i = 0; i < 5; i++) await new PanelClient(s.url).signIn('alice', 'wrong password');
    clock.advance(500);
    s.server.services.throttle.sweep();
    expect((await new PanelClient(s.url).signIn('alice', 'wrong password')).status).toBe(429);
  });

  it('written in plain text by an older server are converted at start, keeping their wait', async () => {
    const clock = new ManualClock();
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-plain-throttle-'));
    dirs.push(dataDir);
    const first = await startTestAccountServer({ clock, dataDir });
    await first.createUser('alice', PASSWORD);
    await first.close();
    const db = openDatabase(join(dataDir, 'strongroom.sqlite'));
    db.prepare('DELETE FROM throttle').run();
    const insert = db.prepare('INSERT INTO throttle (key, failures, blocked_until) VALUES (?, ?, ?)');
    insert.run('account:alice', 5, clock.now() + 1000);
    insert.run('account:forgotten', 2, clock.now() - THROTTLE_FORGET_MS - 1);
    insert.run('address:198.51.100.9', 1, clock.now());
    db.close();

    const s = await startTestAccountServer({ clock, dataDir });
    servers.push(s);
    const keys = rows(s).map((r) => r.key);
    expect(keys).toHaveLength(2);
    expect(keys.join(' ')).not.toMatch(/alice|forgotten|198\.51|account:|address:/);
    const refused = await new PanelClient(s.url).signIn('alice', PASSWORD);
    expect([refused.status, refused.headers.get('retry-after')]).toEqual([429, '1']);
  });
});
