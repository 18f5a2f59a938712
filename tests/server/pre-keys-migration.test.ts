/**
 * A server data directory made by the code before client-side key derivation (production scrypt,
 * tests/fixtures/pre-keys): the new server starts on a copy, turns the old hashes into MACs, and
 * each account moves to the auth key at its first sign-in with the legacy proof (and TOTP where
 * on); from then on the auth key alone signs in and the legacy proof never does. The account's
 * storage is untouched.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  signInCredentials,
  startTestAccountServer,
  totpCode,
  type TestAccountServer,
} from '../support/account-server';
import { ManualClock, PanelClient } from './helpers';

const FIXTURE = fileURLToPath(new URL('../fixtures/pre-keys/', import.meta.url));
const fixture = JSON.parse(readFileSync(join(FIXTURE, 'fixture.json'), 'utf8')) as {
  users: { carol: { password: string; totpSecret: string }; dave: { password: string } };
};
let server: TestAccountServer | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function startOnCopy(): Promise<TestAccountServer> {
  dataDir = mkdtempSync(join(tmpdir(), 'strongroom-pre-keys-'));
  cpSync(join(FIXTURE, 'server'), dataDir, { recursive: true });
  // The fixture's server had the old sign-in only: it stays open (the default) for its accounts.
  server = await startTestAccountServer({ dataDir, clock, legacySignInUntil: null });
  return server;
}

/** Now, moved on one TOTP step for each code, since a code is accepted once. */
const clock = new ManualClock(Date.now());
const nextCode = (secret: string) => {
  clock.advance(30_000);
  return totpCode(secret, clock.now());
};

describe('a server made before client-side key derivation', () => {
  it('migrates carol (TOTP) and dave at their first sign-in; then the auth key alone, never the legacy proof', async () => {
    const s = await startOnCopy();
    const { carol, dave } = fixture.users;
    // Without the code, carol is asked for it and nothing moves yet.
    const asked = await new PanelClient(s.url).signIn('carol', carol.password);
    expect([asked.status, asked.body.error]).toEqual([401, 'totp_required']);
    expect(s.server.services.accounts.byUsername('carol')!.legacy_hash).toMatch(/^scrypt-mac\$/);

    const first = await new PanelClient(s.url).signIn('carol', carol.password, {
      totp: nextCode(carol.totpSecret),
    });
    expect([first.status, first.body.keys.migrated, first.body.keys.passwordChangeRequired]).toEqual([
      200,
      true,
      false,
    ]);
    const davesFirst = await new PanelClient(s.url).signIn('dave', dave.password);
    expect([davesFirst.status, davesFirst.body.keys.migrated]).toEqual([200, true]);
    for (const name of ['carol', 'dave']) {
      expect(s.server.services.accounts.byUsername(name)).toMatchObject({
        legacy_hash: null,
        key_generation: 1,
      });
    }

    // The auth key alone now signs in (dave: no code; carol's code was used, so the next step's).
    const daveAgain = await new PanelClient(s.url).signIn('dave', dave.password, {}, { legacy: false });
    expect([daveAgain.status, daveAgain.body.keys.migrated]).toEqual([200, false]);
    const carolAgain = await new PanelClient(s.url).signIn(
      'carol',
      carol.password,
      { totp: nextCode(carol.totpSecret) },
      { legacy: false },
    );
    expect(carolAgain.status).toBe(200);
    // The legacy proof alone (with any other auth key) no longer signs in.
    for (const [name, password] of [
      ['carol', carol.password],
      ['dave', dave.password],
    ] as const) {
      const { legacyProof } = await signInCredentials(s.url, name, password);
      const alone = await new PanelClient(s.url).request('POST', '/api/session', {
        username: name,
        authKey: 'A'.repeat(43),
        legacyProof,
      });
      expect([name, alone.status, alone.body.error]).toEqual([name, 401, 'invalid_credentials']);
    }

    // Carol's account storage is as it was.
    const panel = new PanelClient(s.url);
    await panel.signIn('carol', carol.password, { totp: nextCode(carol.totpSecret) });
    const storage = await panel.request('GET', '/api/account/storage');
    expect(storage.body.repositories.map((r: { name: string }) => r.name)).toEqual(['laptop']);
    expect(storage.body.repositories[0].fileCount).toBeGreaterThan(0);
  });
});
