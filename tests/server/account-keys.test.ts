/**
 * The rows of the account's keys: released only after a full sign-in (and recently, for reads),
 * never to a device or storage token nor written from the panel; credential changes by
 * compare-and-swap on the generation (exactly one winner), directory and profile rows by version.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SEALED_MAX_CHARS } from '../../src-shared/account-keys';
import { startTestAccountServer, totpCode, type TestAccountServer } from '../support/account-server';
import { derivedKeys, testKdf } from '../support/derived-keys';
import { ManualClock, PanelClient, bearer } from './helpers';
import {
  createKeysBody,
  desktopSignIn,
  deviceWrap,
  newKeys,
  passwordWrap,
  recoveryWrap,
  withAccountKey,
} from './key-helpers';

const PASSWORD = 'correct horse battery';
const SEALED = `v1.${'A'.repeat(60)}`;
const VAULT = '84bd0e19-abc1-42bf-b142-40b1178f1dc0';
let server: TestAccountServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(opts: Parameters<typeof startTestAccountServer>[0] = {}) {
  const clock = new ManualClock();
  server = await startTestAccountServer({ clock, ...opts });
  await server.createUser('alice', PASSWORD);
  return { clock, s: server };
}

/** Every read of the key rows, and a write of each kind. */
const reads = [
  ['GET', '/api/account/keys'],
  ['GET', '/api/account/directory'],
] as const;
const rowWrites = [
  ['PUT', `/api/account/directory/vaults/${VAULT}`, { version: 1, sealed: SEALED }],
  ['DELETE', `/api/account/directory/vaults/${VAULT}`, { version: 2 }],
  ['PUT', `/api/account/profiles/${'c'.repeat(32)}`, { version: 1, sealed: SEALED }],
] as const;

describe('the release gate', () => {
  it('answers keys and directory to a fresh session, never to a device or storage token', async () => {
    const { s } = await start();
    const { desktop } = await withAccountKey(s.url, 'alice', PASSWORD);
    const account = s.server.services.accounts.byUsername('alice')!;
    const storage = s.server.services.sessions.createStorageToken(account.id, 'restic', null);
    for (const [method, path] of reads) {
      expect((await bearer(s.url, method, path, desktop.sessionToken)).status).toBe(200);
      for (const token of [desktop.deviceToken!, storage.token]) {
        const refused = await bearer(s.url, method, path, token);
        expect([path, refused.status, refused.body.error]).toEqual([path, 403, 'forbidden_scope']);
      }
    }
    for (const [method, path, body] of rowWrites) {
      for (const token of [desktop.deviceToken!, storage.token]) {
        const refused = await bearer(s.url, method, path, token, body);
        expect([path, refused.status, refused.body.error]).toEqual([path, 403, 'forbidden_scope']);
      }
    }
    expect(s.server.services.keys.directory(account).vaults).toEqual([]);
  });

  it('refuses a session older than 15 minutes until the password and a right code are given again', async () => {
    const { s, clock } = await start();
    const secret = await s.enableTotp('alice');
    const { desktop } = await withAccountKey(s.url, 'alice', PASSWORD, {
      totp: () => totpCode(secret, clock.now()),
    });
    clock.advance(16 * 60 * 1000);
    for (const [method, path] of reads) {
      const stale = await bearer(s.url, method, path, desktop.sessionToken);
      expect([path, stale.status, stale.body.error]).toEqual([path, 403, 'reauthentication_required']);
    }
    const authKey = (await derivedKeys(PASSWORD, testKdf(PASSWORD))).authKey;
    const reauth = (body: object) =>
      bearer(s.url, 'POST', '/api/account/reauthenticate', desktop.sessionToken, body);
    // Without the code, and with a wrong one: still refused.
    expect((await reauth({ authKey })).body.error).toBe('totp_required');
    clock.advance(30_000);
    const right = totpCode(secret, clock.now());
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    expect((await reauth({ authKey, totp: wrong })).body.error).toBe('invalid_credentials');
    for (const [method, path] of reads) {
      expect((await bearer(s.url, method, path, desktop.sessionToken)).status).toBe(403);
    }
    expect((await reauth({ authKey, totp: right })).status).toBe(204);
    for (const [method, path] of reads) {
      expect((await bearer(s.url, method, path, desktop.sessionToken)).status).toBe(200);
    }
  });

  it('refuses a sign-in that has not passed the second factor (held at enrolment)', async () => {
    const { s } = await start({ requireTotp: true });
    const desktop = await desktopSignIn(s.url, 'alice', PASSWORD);
    for (const [method, path] of reads) {
      const held = await bearer(s.url, method, path, desktop.sessionToken);
      expect([path, held.status]).toEqual([path, 403]);
    }
    expect(s.server.services.db.prepare('SELECT full_at FROM sessions').all()).toEqual([{ full_at: null }]);
  });

  it('gives the panel’s cookie use_the_app on reading the keys or the directory, fresh as it is', async () => {
    const { s } = await start();
    await withAccountKey(s.url, 'alice', PASSWORD);
    const panel = new PanelClient(s.url);
    expect((await panel.signIn('alice', PASSWORD)).status).toBe(200);
    for (const path of ['/api/account/keys', '/api/account/directory']) {
      const refused = await panel.request('GET', path);
      expect([path, refused.status, refused.body.error]).toEqual([path, 403, 'use_the_app']);
      expect(JSON.stringify(refused.body)).not.toMatch(/passwordWrap|sealed/);
    }
  });

  it('gives the panel’s cookie use_the_app on every write of a key, the directory or a profile', async () => {
    const { s } = await start();
    const panel = new PanelClient(s.url);
    const signIn = await panel.signIn('alice', PASSWORD);
    const keys = await newKeys();
    const create = await panel.request(
      'POST',
      '/api/account/keys',
      await createKeysBody(keys, PASSWORD, signIn.body.keys),
    );
    expect([create.status, create.body.error]).toEqual([403, 'use_the_app']);
    for (const [method, path, body] of rowWrites) {
      const refused = await panel.request(method, path, body);
      expect([path, refused.status, refused.body.error]).toEqual([path, 403, 'use_the_app']);
    }
    expect(s.server.services.accounts.byUsername('alice')!.key_id).toBeNull();
  });

  it('gives the panel’s cookie use_the_app on removing a computer’s device wrap, which stays', async () => {
    const { s } = await start();
    const { desktop } = await withAccountKey(s.url, 'alice', PASSWORD);
    const panel = new PanelClient(s.url);
    expect((await panel.signIn('alice', PASSWORD)).status).toBe(200);
    const refused = await panel.request('DELETE', `/api/account/keys/devices/${desktop.computerId}`);
    expect([refused.status, refused.body.error]).toEqual([403, 'use_the_app']);
    const own = await bearer(s.url, 'GET', '/api/account/keys', desktop.sessionToken);
    expect(own.body.deviceWrap).toMatchObject({ kind: 'device', computerId: desktop.computerId });
  });

  it('releases a device wrap only to a session of its own computer', async () => {
    const { s } = await start();
    const { desktop, keys } = await withAccountKey(s.url, 'alice', PASSWORD);
    const own = await bearer(s.url, 'GET', '/api/account/keys', desktop.sessionToken);
    expect(own.body.deviceWrap).toMatchObject({ kind: 'device', computerId: desktop.computerId });
    expect(own.body.keyId).toBe(keys.keyId);
    const other = await desktopSignIn(s.url, 'alice', PASSWORD);
    const answer = await bearer(s.url, 'GET', '/api/account/keys', other.sessionToken);
    expect([answer.body.deviceWrap, answer.body.passwordWrap?.kind]).toEqual([null, 'password']);
    // Nor may another computer write this computer's wrap or profile.
    const foreign = await bearer(
      s.url,
      'PUT',
      `/api/account/keys/devices/${desktop.computerId}`,
      other.sessionToken,
      {
        generation: answer.body.generation,
        wrap: await deviceWrap(keys, desktop.computerId, {
          accountUid: desktop.keys.accountUid,
          generation: answer.body.generation + 1,
        }),
      },
    );
    expect([foreign.status, foreign.body.error]).toEqual([403, 'forbidden_scope']);
    const profile = await bearer(
      s.url,
      'PUT',
      `/api/account/profiles/${desktop.computerId}`,
      other.sessionToken,
      {
        version: 1,
        sealed: SEALED,
      },
    );
    expect([profile.status, profile.body.error]).toEqual([403, 'forbidden_scope']);
  });
});

describe('credential changes', () => {
  it('lets exactly one of two concurrent changes at the same generation through', async () => {
    const { s } = await start();
    const desktop = await desktopSignIn(s.url, 'alice', PASSWORD);
    const [a, b] = await Promise.all([newKeys(), newKeys()]);
    const bodies = await Promise.all([a, b].map((k) => createKeysBody(k, PASSWORD, desktop.keys)));
    const answers = await Promise.all(
      bodies.map((body) => bearer(s.url, 'POST', '/api/account/keys', desktop.sessionToken, body)),
    );
    expect(answers.map((x) => x.status).sort()).toEqual([200, 409]);
    const loser = answers.find((x) => x.status === 409)!;
    expect(['generation_conflict', 'keys_exist']).toContain(loser.body.error);
    const winner = answers.findIndex((x) => x.status === 200);
    const stored = s.server.services.accounts.byUsername('alice')!;
    expect([stored.key_id, stored.key_generation]).toEqual([[a, b][winner]!.keyId, 2]);

    // Two new recovery keys, both naming generation 2: one wins; the other changes nothing.
    const authKey = (await derivedKeys(PASSWORD, testKdf(PASSWORD))).authKey;
    const ctx = { accountUid: desktop.keys.accountUid, generation: 3 };
    const amk = [a, b][winner]!;
    const kits = await Promise.all([newKeys(), newKeys()]);
    const changes = await Promise.all(
      kits.map(async (kit) =>
        bearer(s.url, 'POST', '/api/account/keys/recovery', desktop.sessionToken, {
          authKey,
          generation: 2,
          recovery: {
            proof: kit.recoveryProof,
            wrap: await recoveryWrap({ ...amk, recoveryKey: kit.recoveryKey }, ctx),
          },
        }),
      ),
    );
    expect(changes.map((x) => x.status).sort()).toEqual([200, 409]);
    expect(changes.find((x) => x.status === 409)!.body.error).toBe('generation_conflict');
    const kept = kits[changes.findIndex((x) => x.status === 200)]!;
    const mac = s.server.services.authKeys.recoveryProofMac(desktop.keys.accountUid, kept.recoveryProof);
    expect(
      s.server.services.db.prepare("SELECT proof_mac FROM account_wraps WHERE kind = 'recovery'").get(),
    ).toEqual({
      proof_mac: mac,
    });
    expect(s.server.services.accounts.byUsername('alice')!.key_generation).toBe(3);
  });

  it('refuses a wrap row not written at the generation it replaces + 1, or by another password', async () => {
    const { s } = await start();
    const desktop = await desktopSignIn(s.url, 'alice', PASSWORD);
    const keys = await newKeys();
    const body = await createKeysBody(keys, PASSWORD, desktop.keys);
    const stale = await bearer(s.url, 'POST', '/api/account/keys', desktop.sessionToken, {
      ...body,
      passwordWrap: { ...body.passwordWrap, generation: 1 },
    });
    expect([stale.status, stale.body.error]).toEqual([400, 'bad_request']);
    const otherKdf = await createKeysBody(keys, 'some other password', desktop.keys, {
      kdf: testKdf('some other password'),
    });
    const foreign = await bearer(s.url, 'POST', '/api/account/keys', desktop.sessionToken, otherKdf);
    expect([foreign.status, foreign.body.error]).toEqual([400, 'bad_request']);
    expect(s.server.services.accounts.byUsername('alice')!.key_generation).toBe(1);
  });

  it('never lets a temporary password wrap an AMK; the panel replaces it only while there is none', async () => {
    const { s } = await start();
    const { keys } = await withAccountKey(s.url, 'alice', PASSWORD);
    const temporary = 'the administrator chose this';
    const tkdf = testKdf(temporary);
    s.server.services.passwords.reset('alice', tkdf, (await derivedKeys(temporary, tkdf)).authKey, {
      resetTotp: false,
    });
    const desktop = await desktopSignIn(s.url, 'alice', temporary);
    expect(desktop.keys).toMatchObject({
      passwordChangeRequired: true,
      passwordWrapCurrent: false,
      generation: 3,
    });
    expect(desktop.deviceToken).toBeNull();
    const ctx = { accountUid: desktop.keys.accountUid, generation: 4 };
    for (const [method, path, body] of [
      ['GET', '/api/account/keys', undefined],
      ['GET', '/api/account/devices', undefined],
      [
        'PUT',
        '/api/account/keys/password-wrap',
        { generation: 3, passwordWrap: await passwordWrap(keys, temporary, tkdf, ctx) },
      ],
      [
        'POST',
        '/api/account/keys/replace',
        {
          authKey: (await derivedKeys(temporary, tkdf)).authKey,
          ...(await createKeysBody(keys, temporary, desktop.keys, { kdf: tkdf })),
        },
      ],
      ['GET', '/api/account/keys/archived', undefined],
    ] as const) {
      const refused = await bearer(s.url, method, path, desktop.sessionToken, body);
      expect([path, refused.status, refused.body.error]).toEqual([path, 403, 'password_change_required']);
    }
    // The panel may not replace it: the account has a key to re-wrap, which only the app does.
    const panel = new PanelClient(s.url);
    await panel.signIn('alice', temporary);
    const own = 'my very own password';
    const replace = {
      generation: 3,
      kdf: testKdf(own),
      authKey: (await derivedKeys(own, testKdf(own))).authKey,
    };
    const fromPanel = await panel.request('POST', '/api/account/password/temporary', replace);
    expect([fromPanel.status, fromPanel.body.error]).toEqual([403, 'use_the_app']);
    // The app replaces it (the verifier only), then re-wraps the AMK with the new password.
    const replaced = await bearer(
      s.url,
      'POST',
      '/api/account/password/temporary',
      desktop.sessionToken,
      replace,
    );
    expect(replaced.body).toMatchObject({
      passwordChangeRequired: false,
      passwordWrapCurrent: false,
      generation: 4,
    });
    const rewrap = await bearer(s.url, 'PUT', '/api/account/keys/password-wrap', desktop.sessionToken, {
      generation: 4,
      passwordWrap: await passwordWrap(keys, own, testKdf(own), { ...ctx, generation: 5 }),
    });
    expect(rewrap.body).toEqual({ generation: 5 });
    expect((await bearer(s.url, 'GET', '/api/account/keys', desktop.sessionToken)).body).toMatchObject({
      passwordWrapCurrent: true,
      keyId: keys.keyId,
    }); // The history says what happened, in order.
    const kinds = s.server.services.audit
      .list(s.server.services.accounts.byUsername('alice')!.id)
      .map((e) => e.kind)
      .filter((k) => !k.startsWith('sign_in'))
      .reverse();
    expect(kinds).toEqual([
      'account_key_created',
      'password_reset',
      'temporary_password_replaced',
      'account_key_rewrapped',
    ]);
  });

  it('lets the panel replace a temporary password of an account without an AMK (the seed’s first steps)', async () => {
    const { s } = await start();
    const temporary = 'the administrator chose this';
    const tkdf = testKdf(temporary);
    s.server.services.accounts.create('bob', tkdf, (await derivedKeys(temporary, tkdf)).authKey, {
      temporary: true,
    });
    const panel = new PanelClient(s.url);
    const signIn = await panel.signIn('bob', temporary);
    expect(signIn.body.keys.passwordChangeRequired).toBe(true);
    const held = await panel.request('POST', '/api/account/totp/begin', {});
    expect([held.status, held.body.error]).toEqual([403, 'password_change_required']);
    const own = 'bob’s own password';
    const replaced = await panel.request('POST', '/api/account/password/temporary', {
      generation: 1,
      kdf: testKdf(own),
      authKey: (await derivedKeys(own, testKdf(own))).authKey,
    });
    expect([replaced.status, replaced.body.passwordChangeRequired]).toEqual([200, false]);
    expect((await panel.request('POST', '/api/account/totp/begin', {})).status).toBe(200);
    expect((await new PanelClient(s.url).signIn('bob', own)).status).toBe(200);
    expect((await new PanelClient(s.url).signIn('bob', temporary)).status).toBe(401);
  });

  it('re-wraps the password only while its wrap is not current (after a reset), never over a current one', async () => {
    const { s } = await start();
    const { desktop, keys, generation } = await withAccountKey(s.url, 'alice', PASSWORD);
    const before = await bearer(s.url, 'GET', '/api/account/keys', desktop.sessionToken);
    const ctx = { accountUid: desktop.keys.accountUid, generation: generation + 1 };
    const refused = await bearer(s.url, 'PUT', '/api/account/keys/password-wrap', desktop.sessionToken, {
      generation,
      passwordWrap: await passwordWrap(keys, PASSWORD, testKdf(PASSWORD), ctx),
    });
    expect([refused.status, refused.body.error]).toEqual([409, 'keys_exist']);
    const after = await bearer(s.url, 'GET', '/api/account/keys', desktop.sessionToken);
    expect(after.body.passwordWrap).toEqual(before.body.passwordWrap);
  });
});

describe('directory and profiles', () => {
  it('takes a write only at the stored version + 1, keeps deleted rows, and answers them', async () => {
    const { s } = await start();
    const { desktop } = await withAccountKey(s.url, 'alice', PASSWORD);
    const put = (version: number, sealed = SEALED) =>
      bearer(s.url, 'PUT', `/api/account/directory/vaults/${VAULT}`, desktop.sessionToken, {
        version,
        sealed,
      });
    expect((await put(2)).body.error).toBe('version_conflict');
    expect((await put(1)).body).toMatchObject({
      vaultId: VAULT,
      version: 1,
      sealed: SEALED,
      deletedAt: null,
    });
    const [a, b] = await Promise.all([put(2, `v1.${'B'.repeat(60)}`), put(2, `v1.${'C'.repeat(60)}`)]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const deleted = await bearer(
      s.url,
      'DELETE',
      `/api/account/directory/vaults/${VAULT}`,
      desktop.sessionToken,
      {
        version: 3,
      },
    );
    expect(deleted.body).toMatchObject({ version: 3, deletedAt: expect.any(String) });
    const profile = await bearer(
      s.url,
      'PUT',
      `/api/account/profiles/${desktop.computerId}`,
      desktop.sessionToken,
      {
        version: 1,
        sealed: SEALED,
      },
    );
    expect(profile.body).toMatchObject({ computerId: desktop.computerId, version: 1, lastBackupAt: null });
    const directory = await bearer(s.url, 'GET', '/api/account/directory', desktop.sessionToken);
    expect(directory.body).toMatchObject({
      accountUid: desktop.keys.accountUid,
      vaults: [{ vaultId: VAULT, version: 3, deletedAt: expect.any(String) }],
      computers: [{ computerId: desktop.computerId, version: 1 }],
    });
    // At rest the blob is sealed once more with the server key.
    const row = s.server.services.db.prepare('SELECT sealed FROM vault_directory').get() as {
      sealed: string;
    };
    expect(row.sealed).not.toContain(SEALED.slice(3, 20));
  });

  it('takes a sealed row up to the contract’s bound (beyond the 16 KiB of other bodies), and no more', async () => {
    const { s } = await start();
    const { desktop } = await withAccountKey(s.url, 'alice', PASSWORD);
    const put = (sealed: string) =>
      bearer(s.url, 'PUT', `/api/account/directory/vaults/${VAULT}`, desktop.sessionToken, {
        version: 1,
        sealed,
      });
    const tooLong = await put(`v1.${'A'.repeat(SEALED_MAX_CHARS)}`);
    expect([tooLong.status, tooLong.body.error]).toEqual([400, 'bad_request']);
    const big = await put(`v1.${'A'.repeat(SEALED_MAX_CHARS - 3)}`);
    expect([big.status, big.body.sealed.length]).toEqual([200, SEALED_MAX_CHARS]);
  });

  it('writes a directory row from a session that passed the full sign-in at any time in its life', async () => {
    const { s, clock } = await start();
    const { desktop } = await withAccountKey(s.url, 'alice', PASSWORD);
    clock.advance(20 * 60 * 1000);
    const put = await bearer(s.url, 'PUT', `/api/account/directory/vaults/${VAULT}`, desktop.sessionToken, {
      version: 1,
      sealed: SEALED,
    });
    expect(put.status).toBe(200);
    expect((await bearer(s.url, 'GET', '/api/account/directory', desktop.sessionToken)).status).toBe(403);
  });
});
