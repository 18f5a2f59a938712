/**
 * Passwords as NIST SP 800-63B 5.1.1.2 says: normalised with NFKC, then counted in characters
 * (code points, not UTF-16 units), and not made of whitespace alone. The rule is the clients'
 * (the server never sees a password); what the server checks is the key derivation they send.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src-server/db/database';
import { password as passwordSchema } from '../../src-shared/http-api';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { signupBody } from '../support/derived-keys';
import { ManualClock, PanelClient } from './helpers';
import { legacyHash } from './key-helpers';

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

  it('refuses key-derivation settings outside the bounds every client accepts, at sign-up and reset', async () => {
    server = await startTestAccountServer({ clock: new ManualClock() });
    const client = new PanelClient(server.url);
    const body = await signupBody('eve', 'correct horse battery');
    for (const kdf of [
      { ...body.kdf, m: 32 * 1024 },
      { ...body.kdf, t: 2 },
      { ...body.kdf, m: 2 * 1024 * 1024 },
      { ...body.kdf, t: 11 },
    ]) {
      const answer = await client.request('POST', '/api/signup', { ...body, kdf });
      expect([answer.status, answer.body.error]).toEqual([400, 'bad_request']);
      expect(answer.body.message).toMatch(/key-derivation settings/);
    }
    await server.createUser('alice', 'correct horse battery');
    expect(() =>
      server!.server.services.passwords.reset('alice', { ...body.kdf, t: 1 }, body.authKey, {
        resetTotp: false,
      }),
    ).toThrow(/weaker than Strongroom accepts/);
  });

  it('signs in with any Unicode form of the same password: composed, decomposed, full-width', async () => {
    server = await startTestAccountServer({ clock: new ManualClock() });
    await server.createUser('alice', `caf${COMBINING_E} au lait`);
    const client = new PanelClient(server.url);
    expect((await client.signIn('alice', 'caf\u00e9 au lait')).status).toBe(200);
    expect((await new PanelClient(server.url).signIn('alice', 'ｃａｆé ａｕ ｌａｉｔ')).status).toBe(200);
    expect((await new PanelClient(server.url).signIn('alice', 'cafe au lait')).status).toBe(401);
  });

  it('migrates a hash stored before this rule (of the NFKC form) with any Unicode form of the password', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-legacy-hash-'));
    try {
      const first = await startTestAccountServer({ dataDir, clock: new ManualClock() });
      await first.close();
      // A hash as the server before client-side derivation stored it, of a password typed decomposed.
      const db = openDatabase(join(dataDir, 'strongroom.sqlite'));
      db.prepare(
        "INSERT INTO accounts (username, account_uid, legacy_hash, created_at) VALUES ('old', ?, ?, 1)",
      ).run('0123456789abcdef0123456789abcdef', legacyHash(COMBINING_E.repeat(8)));
      db.close();
      server = await startTestAccountServer({ dataDir, clock: new ManualClock(), legacySignInUntil: null });
      const migrated = await new PanelClient(server.url).signIn('old', '\u00e9'.repeat(8));
      expect([migrated.status, migrated.body.keys.migrated]).toEqual([200, true]);
      expect((await new PanelClient(server.url).signIn('old', COMBINING_E.repeat(8))).status).toBe(200);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
