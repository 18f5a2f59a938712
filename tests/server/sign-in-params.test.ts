/**
 * What a client derives with: answered alike for unknown, migrated and not-yet-migrated names,
 * throttled per address; the old scrypt hash of a not-yet-migrated account kept only as a MAC (a
 * stolen database cannot pass it), and the legacy proof never accepted for a migrated account or
 * once the administrator's date has passed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src-server/db/database';
import { KDF_DEFAULT } from '../../src-shared/account-keys';
import { signInCredentials, startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { ManualClock, PanelClient } from './helpers';
import { legacyHash } from './key-helpers';

const PASSWORD = 'correct horse battery';
const OLD_PASSWORD = 'a password from before';
let server: TestAccountServer | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/**
 * A data directory holding `old` and `migrated`, accounts as the server before client-side
 * derivation left them (`migrated` is migrated by the tests that need it).
 */
function withLegacyAccounts(): { dataDir: string; stored: string } {
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-params-'));
  dirs.push(dataDir);
  const db = openDatabase(join(dataDir, 'strongroom.sqlite'));
  const stored = legacyHash(OLD_PASSWORD);
  const insert = db.prepare(
    'INSERT INTO accounts (username, account_uid, legacy_hash, created_at) VALUES (?, ?, ?, 1)',
  );
  insert.run('old', 'feedfacefeedfacefeedfacefeedface', stored);
  insert.run('migrated', 'deadbeefdeadbeefdeadbeefdeadbeef', stored);
  db.close();
  return { dataDir, stored };
}

async function start(opts: Parameters<typeof startTestAccountServer>[0] = {}) {
  const { dataDir, stored } = withLegacyAccounts();
  const clock = new ManualClock();
  server = await startTestAccountServer({ dataDir, clock, legacySignInUntil: null, ...opts });
  await server.createUser('alice', PASSWORD);
  return { s: server, clock, dataDir, stored };
}

const params = async (s: TestAccountServer, username: string) =>
  (await new PanelClient(s.url).request('POST', '/api/sign-in/params', { username })).body;

/** The answer with its salts masked: what must be the same for every name. */
const shape = (answer: { kdf: { salt: string }; legacy: { salt: string } | null }) => ({
  ...answer,
  kdf: { ...answer.kdf, salt: answer.kdf.salt.length },
  legacy: answer.legacy && { ...answer.legacy, salt: answer.legacy.salt.length },
});

describe('sign-in parameters', () => {
  it('answer unknown, migrated, not-yet-migrated and new names alike, and the same each time', async () => {
    const { s } = await start();
    const migrated = await new PanelClient(s.url).signIn('migrated', OLD_PASSWORD);
    expect([migrated.status, migrated.body.keys.migrated]).toEqual([200, true]);
    const answers = {
      unknown: await params(s, 'nobody'),
      migrated: await params(s, 'migrated'),
      legacy: await params(s, 'old'),
      created: await params(s, 'alice'),
    };
    const expected = {
      kdf: { alg: 'argon2id', v: 0x13, m: KDF_DEFAULT.m, t: KDF_DEFAULT.t, p: 1, salt: 22 },
      legacy: { alg: 'scrypt', N: 2 ** 17, r: 8, p: 1, salt: 22 },
    };
    for (const [name, answer] of Object.entries(answers))
      expect([name, shape(answer)]).toEqual([name, expected]);
    for (const answer of Object.values(answers)) {
      expect(JSON.stringify(Object.keys(answer))).toBe(JSON.stringify(Object.keys(answers.unknown)));
    }
    // Stable: asking again gives the same salts (a changing one would mark the name unknown).
    expect(await params(s, 'nobody')).toEqual(answers.unknown);
    expect(await params(s, 'old')).toEqual(answers.legacy);
    expect(await params(s, 'migrated')).toEqual(answers.migrated);
    expect(answers.unknown.kdf.salt).not.toBe((await params(s, 'nobody2')).kdf.salt);
  });

  it('say nothing of the old sign-in once it is closed, for any name', async () => {
    const { s } = await start({ legacySignInUntil: 0 });
    for (const name of ['nobody', 'alice', 'old']) expect((await params(s, name)).legacy).toBeNull();
    const late = await new PanelClient(s.url).request('POST', '/api/session', {
      username: 'old',
      ...(await signInCredentials(s.url, 'old', OLD_PASSWORD)),
      legacyProof: 'A'.repeat(43),
    });
    expect([late.status, late.body.error]).toEqual([401, 'legacy_sign_in_closed']);
    const unknown = await new PanelClient(s.url).request('POST', '/api/session', {
      username: 'nobody',
      authKey: 'A'.repeat(43),
      legacyProof: 'A'.repeat(43),
    });
    expect([unknown.status, unknown.body]).toEqual([late.status, late.body]);
  });

  it('are throttled per address', async () => {
    const { s, clock } = await start({ signInParamsPerMinute: 3, trustProxy: true });
    const ask = (address: string) =>
      new PanelClient(s.url, { 'x-forwarded-for': address }).request('POST', '/api/sign-in/params', {
        username: 'alice',
      });
    for (let i = 0; i < 3; i++) expect((await ask('203.0.113.1')).status).toBe(200);
    const refused = await ask('203.0.113.1');
    expect([refused.status, refused.body.error, Number(refused.headers.get('retry-after'))]).toEqual([
      429,
      'throttled',
      60,
    ]);
    expect((await ask('203.0.113.2')).status).toBe(200);
    clock.advance(60_000);
    expect((await ask('203.0.113.1')).status).toBe(200);
  });
});

describe('the old sign-in', () => {
  it('keeps only a MAC of the old hash: what a stolen database holds is not a proof', async () => {
    const { s, stored } = await start();
    const row = s.server.services.accounts.byUsername('old')!;
    const oldHashPart = stored.split('$')[5]!;
    expect(row.legacy_hash).toMatch(/^scrypt-mac\$131072\$8\$1\$/);
    expect(row.legacy_hash).not.toContain(oldHashPart);
    const fileBytes = readFileSync(join(s.dataDir, 'strongroom.sqlite'));
    expect(fileBytes.includes(Buffer.from(oldHashPart, 'base64'))).toBe(false);
    expect(fileBytes.includes(Buffer.from(oldHashPart))).toBe(false);
    const passTheMac = await new PanelClient(s.url).request('POST', '/api/session', {
      username: 'old',
      ...(await signInCredentials(s.url, 'old', OLD_PASSWORD, { legacy: false })),
      legacyProof: row.legacy_hash!.split('$')[5],
    });
    expect(passTheMac.status).toBe(401);
    // Restarting changes nothing (the conversion is done once).
    await s.close();
    server = await startTestAccountServer({
      dataDir: s.dataDir,
      clock: new ManualClock(),
      legacySignInUntil: null,
    });
    expect(server.server.services.accounts.byUsername('old')!.legacy_hash).toBe(row.legacy_hash);
  });

  it('migrates with the legacy proof, then signs in with the auth key alone and never with the legacy proof', async () => {
    const { s } = await start();
    // Without the legacy proof an account not yet migrated cannot sign in (it has no verifier yet).
    expect((await new PanelClient(s.url).signIn('old', OLD_PASSWORD, {}, { legacy: false })).status).toBe(
      401,
    );
    const migrated = await new PanelClient(s.url).signIn('old', OLD_PASSWORD);
    expect([migrated.status, migrated.body.keys]).toEqual([
      200,
      expect.objectContaining({ migrated: true, generation: 1, keyId: null }),
    ]);
    const row = s.server.services.accounts.byUsername('old')!;
    expect([row.legacy_hash, row.auth_verifier === null]).toEqual([null, false]);
    expect((await new PanelClient(s.url).signIn('old', OLD_PASSWORD, {}, { legacy: false })).status).toBe(
      200,
    );
    // A downgrade: the legacy proof (right) with anything but the right auth key never signs in.
    const { legacyProof } = await signInCredentials(s.url, 'old', OLD_PASSWORD);
    const downgrade = await new PanelClient(s.url).request('POST', '/api/session', {
      username: 'old',
      authKey: 'A'.repeat(43),
      legacyProof,
    });
    expect([downgrade.status, downgrade.body.error]).toEqual([401, 'invalid_credentials']);
  });
});
