/**
 * Nothing secret at rest: after sign-up, sign-in, a migration from the old hash, the first AMK,
 * a password change and the forgotten-password flow through the HTTP API, neither the SQLite
 * files nor the server's request log hold the passwords, recovery keys, auth keys, the AMK or the
 * wrap keys, in any encoding.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../src-server/db/database';
import { formatRecoveryKey, fromBase64url, recoveryKeys, toBase64url } from '../../src-shared/account-crypto';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { derivedKeys, signupBody, testKdf } from '../support/derived-keys';
import { ManualClock, PanelClient, bearer } from './helpers';
import {
  createKeysBody,
  desktopSignIn,
  legacyHash,
  newKeys,
  passwordWrap,
  recoveryWrap,
} from './key-helpers';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new password';
const RECOVERED_PASSWORD = 'remembered at last, a password';
const OLD_PASSWORD = 'a password from before';
let server: TestAccountServer | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

/** Every way a secret could be written down. */
function encodings(secret: Uint8Array | string): Buffer[] {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  const texts = [bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')];
  return [bytes, ...texts.map((t) => Buffer.from(t)), Buffer.from(bytes.toString('hex').toUpperCase())];
}

describe('secrets at rest', () => {
  it('leaves no password, recovery key, auth key, AMK or wrap key in the database or the log', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'strongroom-at-rest-'));
    const db = openDatabase(join(dataDir, 'strongroom.sqlite'));
    db.prepare(
      "INSERT INTO accounts (username, account_uid, legacy_hash, created_at) VALUES ('old', ?, ?, 1)",
    ).run('feedfacefeedfacefeedfacefeedface', legacyHash(OLD_PASSWORD));
    db.close();
    const log: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      log.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    });
    server = await startTestAccountServer({
      dataDir,
      clock: new ManualClock(),
      logger: true,
      legacySignInUntil: null,
    });
    const s = server;
    const secrets: Array<Uint8Array | string> = [PASSWORD, NEW_PASSWORD, RECOVERED_PASSWORD, OLD_PASSWORD];

    // Sign-up and sign-in (panel), and a migration.
    const signup = await signupBody('alice', PASSWORD);
    expect((await new PanelClient(s.url).request('POST', '/api/signup', signup)).status).toBe(201);
    expect((await new PanelClient(s.url).signIn('alice', PASSWORD)).status).toBe(200);
    expect((await new PanelClient(s.url).signIn('old', OLD_PASSWORD)).body.keys.migrated).toBe(true);

    // The first AMK, from the app.
    const desktop = await desktopSignIn(s.url, 'alice', PASSWORD);
    const keys = await newKeys();
    const created = await bearer(
      s.url,
      'POST',
      '/api/account/keys',
      desktop.sessionToken,
      await createKeysBody(keys, PASSWORD, desktop.keys, { computerId: desktop.computerId }),
    );
    expect(created.status).toBe(200);

    // A password change.
    const kdf = testKdf(NEW_PASSWORD);
    const changed = await bearer(s.url, 'POST', '/api/account/password', desktop.sessionToken, {
      currentAuthKey: (await derivedKeys(PASSWORD, testKdf(PASSWORD))).authKey,
      generation: 2,
      kdf,
      authKey: (await derivedKeys(NEW_PASSWORD, kdf)).authKey,
      passwordWrap: await passwordWrap(keys, NEW_PASSWORD, kdf, {
        accountUid: desktop.keys.accountUid,
        generation: 3,
      }),
    });
    expect(changed.status).toBe(200);

    // The forgotten-password flow, with a new recovery key.
    const begun = await new PanelClient(s.url).request('POST', '/api/forgot-password/begin', {
      username: 'alice',
      recoveryProof: keys.recoveryProof,
    });
    expect(begun.status).toBe(200);
    const next = await newKeys();
    const rkdf = testKdf(RECOVERED_PASSWORD);
    const ctx = { accountUid: desktop.keys.accountUid, generation: 4 };
    const finished = await new PanelClient(s.url).request('POST', '/api/forgot-password/finish', {
      ticket: begun.body.ticket,
      generation: 3,
      kdf: rkdf,
      authKey: (await derivedKeys(RECOVERED_PASSWORD, rkdf)).authKey,
      passwordWrap: await passwordWrap(keys, RECOVERED_PASSWORD, rkdf, ctx),
      recovery: {
        proof: next.recoveryProof,
        wrap: await recoveryWrap({ ...keys, recoveryKey: next.recoveryKey }, ctx),
      },
    });
    expect(finished.status).toBe(204);
    await s.close();
    server = undefined;

    for (const [password, kdfOf] of [
      [PASSWORD, testKdf(PASSWORD)],
      [NEW_PASSWORD, kdf],
      [RECOVERED_PASSWORD, rkdf],
    ] as const) {
      const derived = await derivedKeys(password, kdfOf);
      secrets.push(fromBase64url(derived.authKey), derived.wrapKey);
    }
    secrets.push(fromBase64url(signup.authKey));
    for (const made of [keys, next]) {
      secrets.push(made.amk, made.recoveryKey, await formatRecoveryKey(made.recoveryKey));
      secrets.push((await recoveryKeys(made.recoveryKey)).wrapKey, made.deviceKey);
      secrets.push(fromBase64url(made.recoveryProof));
    }
    expect(log.join('').length).toBeGreaterThan(0); // the request log was on

    const files = ['strongroom.sqlite', 'strongroom.sqlite-wal']
      .map((name) => join(dataDir!, name))
      .filter(existsSync)
      .map((file) => readFileSync(file));
    const haystacks = [...files, Buffer.from(log.join(''))];
    for (const secret of secrets) {
      for (const needle of encodings(secret)) {
        for (const haystack of haystacks) {
          const label = typeof secret === 'string' ? secret : toBase64url(secret).slice(0, 8);
          expect([label, haystack.includes(needle)]).toEqual([label, false]);
        }
      }
    }
  });
});
