/**
 * Passwords as NIST SP 800-63B 5.1.1.2 says: normalised with NFKC, then counted in characters
 * (code points, not UTF-16 units), and not made of whitespace alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src-server/db/database';
import { ScryptPasswordHasher } from '../../src-server/services/password-hasher';
import { password as passwordSchema } from '../../src-shared/http-api';
import { TEST_SCRYPT, startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { ManualClock, PanelClient } from './helpers';

let server: TestAccountServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const COMBINING_E = 'e\u0301'; // "é" typed as e + combining acute: two code units, one character

describe('the password rule', () => {
  it('counts characters after NFKC: four accented letters are four, not eight', () => {
    expect(passwordSchema.safeParse(COMBINING_E.repeat(4)).success).toBe(false);
    expect(passwordSchema.safeParse('\u{1F600}'.repeat(4)).success).toBe(false); // 8 UTF-16 units, 4 characters
    expect(passwordSchema.safeParse('\u{1F600}'.repeat(8)).success).toBe(true);
    expect(passwordSchema.safeParse(COMBINING_E.repeat(8)).success).toBe(true);
  });

  it('refuses passwords made only of whitespace, naming the field', () => {
    for (const blank of [' '.repeat(8), '\t'.repeat(10), '\u3000'.repeat(8), ' \u00a0'.repeat(6)]) {
      const result = passwordSchema.safeParse(blank);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toMatch(/^Password: /);
    }
    expect(passwordSchema.safeParse('  two words  ').success).toBe(true);
  });

  it('sign-up and password change apply it on the server', async () => {
    server = await startTestAccountServer({ clock: new ManualClock() });
    const client = new PanelClient(server.url);
    for (const bad of [COMBINING_E.repeat(4), ' '.repeat(8)]) {
      const answer = await client.request('POST', '/api/signup', { username: 'eve', password: bad });
      expect([answer.status, answer.body.error]).toEqual([400, 'bad_request']);
      expect(answer.body.message).toMatch(/^Password: /);
    }
    await server.createUser('alice', 'correct horse battery');
    await client.signIn('alice', 'correct horse battery');
    const change = await client.request('POST', '/api/account/password', {
      currentPassword: 'correct horse battery',
      newPassword: ' '.repeat(12),
    });
    expect([change.status, change.body.error]).toEqual([400, 'bad_request']);
    await expect(
      server.server.services.passwords.reset('alice', COMBINING_E.repeat(4)),
    ).rejects.toMatchObject({
      code: 'bad_request',
    });
  });

  it('signs in with any Unicode form of the same password: composed, decomposed, full-width', async () => {
    server = await startTestAccountServer({ clock: new ManualClock() });
    await server.createUser('alice', `caf${COMBINING_E} au lait`);
    const client = new PanelClient(server.url);
    expect((await client.signIn('alice', 'caf\u00e9 au lait')).status).toBe(200);
    expect((await new PanelClient(server.url).signIn('alice', 'ｃａｆé ａｕ ｌａｉｔ')).status).toBe(200);
    expect((await new PanelClient(server.url).signIn('alice', 'cafe au lait')).status).toBe(401);
  });

  it('keeps hashes stored before this rule working (the hasher already hashed the NFKC form)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-legacy-hash-'));
    try {
      const first = await startTestAccountServer({ dataDir, clock: new ManualClock() });
      await first.close();
      // A hash as the server before this change stored it, of a password typed decomposed.
      const legacy = await new ScryptPasswordHasher(TEST_SCRYPT).hash(`${COMBINING_E.repeat(8)}`);
      const db = openDatabase(join(dataDir, 'strongroom.sqlite'));
      db.prepare("INSERT INTO accounts (username, password_hash, created_at) VALUES ('old', ?, 1)").run(
        legacy,
      );
      db.close();
      server = await startTestAccountServer({ dataDir, clock: new ManualClock() });
      expect((await new PanelClient(server.url).signIn('old', COMBINING_E.repeat(8))).status).toBe(200);
      expect((await new PanelClient(server.url).signIn('old', '\u00e9'.repeat(8))).status).toBe(200);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
