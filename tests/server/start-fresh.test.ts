/**
 * "Start fresh" after an administrator's reset, when nothing recovers the old account key: a new
 * AMK replaces it at generation + 1 by compare-and-swap, only with the password and the code again,
 * only while the password wrap is not current. The old vaults' directory rows stay, and the old
 * recovery wrap is kept as an archived row, so the old recovery kit still opens them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openVaultRecord, recoveryKeys, sealVaultRecord, unwrapAmk } from '../../src-shared/account-crypto';
import { startTestAccountServer, totpCode, type TestAccountServer } from '../support/account-server';
import { derivedKeys, testKdf } from '../support/derived-keys';
import { ManualClock, bearer } from './helpers';
import { createKeysBody, desktopSignIn, newKeys, withAccountKey, type MadeKeys } from './key-helpers';

const PASSWORD = 'correct horse battery';
const TEMPORARY = 'the administrator chose this';
const OWN = 'my very own new password';
const VAULT = '84bd0e19-abc1-42bf-b142-40b1178f1dc0';
let server: TestAccountServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Alice with TOTP, her first key, one vault row sealed with it; then the administrator's reset. */
async function afterReset(opts: { totp: boolean } = { totp: true }) {
  const clock = new ManualClock();
  server = await startTestAccountServer({ clock });
  const s = server;
  await s.createUser('alice', PASSWORD);
  const secret = opts.totp ? await s.enableTotp('alice') : null;
  const code = () => {
    clock.advance(30_000);
    return secret === null ? undefined : totpCode(secret, clock.now());
  };
  const first = await withAccountKey(s.url, 'alice', PASSWORD, opts.totp ? { totp: () => code()! } : {});
  const accountUid = first.desktop.keys.accountUid;
  const record = {
    vaultId: VAULT,
    name: 'Laptop backups',
    repositoryId: 'a'.repeat(64),
    repositoryPassword: 'b'.repeat(43),
    location: { kind: 'account' as const, repository: 'laptop' },
    createdAt: new Date(clock.now()).toISOString(),
    createdOn: 'laptop',
  };
  const sealed = await sealVaultRecord(first.keys.amk, record, { accountUid, version: 1 });
  const put = await bearer(
    s.url,
    'PUT',
    `/api/account/directory/vaults/${VAULT}`,
    first.desktop.sessionToken,
    { version: 1, sealed },
  );
  expect(put.status).toBe(200);
  const tkdf = testKdf(TEMPORARY);
  s.server.services.passwords.reset('alice', tkdf, (await derivedKeys(TEMPORARY, tkdf)).authKey, {
    resetTotp: false,
  });
  // The app's sign-in with the temporary password, which it replaces at once.
  const desktop = await desktopSignIn(s.url, 'alice', TEMPORARY, { totp: code() });
  const own = { kdf: testKdf(OWN), authKey: (await derivedKeys(OWN, testKdf(OWN))).authKey };
  const replaced = await bearer(s.url, 'POST', '/api/account/password/temporary', desktop.sessionToken, {
    generation: desktop.keys.generation,
    ...own,
  });
  expect(replaced.body).toMatchObject({ passwordWrapCurrent: false, passwordChangeRequired: false });
  return {
    s,
    code,
    first,
    sealed,
    desktop,
    accountUid,
    generation: replaced.body.generation as number,
    authKey: own.authKey,
  };
}

async function replaceBody(
  keys: MadeKeys,
  status: { accountUid: string; generation: number },
  second: { authKey: string; totp?: string | undefined },
) {
  const { totp, ...rest } = second;
  return { ...rest, ...(totp === undefined ? {} : { totp }), ...(await createKeysBody(keys, OWN, status)) };
}

describe('starting fresh after a reset', () => {
  it('replaces the key only with the password and a new code, and keeps the old rows', async () => {
    const { s, code, first, sealed, desktop, accountUid, generation, authKey } = await afterReset();
    const fresh = await newKeys();
    const status = { accountUid, generation };
    const replace = (body: unknown) =>
      bearer(s.url, 'POST', '/api/account/keys/replace', desktop.sessionToken, body);

    // The first-key route no longer starts fresh, whatever it is told.
    const viaCreate = await bearer(s.url, 'POST', '/api/account/keys', desktop.sessionToken, {
      ...(await createKeysBody(fresh, OWN, status)),
      replace: true,
    });
    expect(viaCreate.status).toBe(400);
    const noCode = await replace(await replaceBody(fresh, status, { authKey }));
    expect([noCode.status, noCode.body.error]).toEqual([401, 'totp_required']);
    const wrongPassword = await replace(
      await replaceBody(fresh, status, {
        authKey: (await derivedKeys('not the password', testKdf(OWN))).authKey,
        totp: code(),
      }),
    );
    expect([wrongPassword.status, wrongPassword.body.error]).toEqual([401, 'invalid_credentials']);
    const stale = await replace(
      await replaceBody(fresh, { accountUid, generation: generation - 1 }, { authKey, totp: code() }),
    );
    expect([stale.status, stale.body.error]).toEqual([409, 'generation_conflict']);
    expect(s.server.services.accounts.byUsername('alice')!.key_id).toBe(first.keys.keyId);

    const done = await replace(await replaceBody(fresh, status, { authKey, totp: code() }));
    expect([done.status, done.body]).toEqual([200, { generation: generation + 1 }]);
    const rows = await bearer(s.url, 'GET', '/api/account/keys', desktop.sessionToken);
    expect(rows.body).toMatchObject({
      keyId: fresh.keyId,
      generation: generation + 1,
      passwordWrapCurrent: true,
      deviceWrap: null,
    });
    // The old vault's row is still there, byte for byte, and never deleted.
    const directory = await bearer(s.url, 'GET', '/api/account/directory', desktop.sessionToken);
    expect(directory.body.vaults).toEqual([
      expect.objectContaining({ vaultId: VAULT, version: 1, sealed, deletedAt: null }),
    ]);
    // The old recovery wrap is archived: the old kit still opens the old key, and the old rows with it.
    const archived = await bearer(s.url, 'GET', '/api/account/keys/archived', desktop.sessionToken);
    expect(archived.status).toBe(200);
    expect(archived.body.accountUid).toBe(accountUid);
    expect(archived.body.archived).toHaveLength(1);
    const old = archived.body.archived[0];
    expect(old.keyId).toBe(first.keys.keyId);
    const { wrapKey } = await recoveryKeys(first.keys.recoveryKey);
    const amk = await unwrapAmk(
      old.recoveryWrap.sealed,
      wrapKey,
      { accountUid, kind: 'recovery', generation: old.recoveryWrap.generation, keyId: old.keyId },
      first.keys.keyId,
    );
    expect(Buffer.from(amk).equals(Buffer.from(first.keys.amk))).toBe(true);
    const opened = await openVaultRecord(amk, { vaultId: VAULT, version: 1, sealed }, { accountUid });
    expect(opened.repositoryPassword).toBe('b'.repeat(43));

    // Done once: the new key opens with the password now, so it cannot be replaced again this way.
    const again = await replace(
      await replaceBody(
        await newKeys(),
        { accountUid, generation: generation + 1 },
        { authKey, totp: code() },
      ),
    );
    expect([again.status, again.body.error]).toEqual([409, 'keys_exist']);
    const kinds = s.server.services.audit
      .list(s.server.services.accounts.byUsername('alice')!.id)
      .map((e) => e.kind);
    expect(kinds).toContain('account_key_replaced');
  });

  it('lets exactly one of two concurrent replacements through', async () => {
    // Without TOTP, so that neither is refused for a spent code: only the generation decides.
    const { s, desktop, accountUid, generation, authKey } = await afterReset({ totp: false });
    const status = { accountUid, generation };
    const [a, b] = [await newKeys(), await newKeys()];
    const bodies = [await replaceBody(a, status, { authKey }), await replaceBody(b, status, { authKey })];
    const answers = await Promise.all(
      bodies.map((body) => bearer(s.url, 'POST', '/api/account/keys/replace', desktop.sessionToken, body)),
    );
    expect(answers.map((x) => x.status).sort()).toEqual([200, 409]);
    const winner = answers[0]!.status === 200 ? a : b;
    expect(s.server.services.accounts.byUsername('alice')!.key_id).toBe(winner.keyId);
    const archived = await bearer(s.url, 'GET', '/api/account/keys/archived', desktop.sessionToken);
    expect(archived.body.archived).toHaveLength(1);
  });

  it('refuses while the password still opens the key, and to device tokens', async () => {
    const clock = new ManualClock();
    server = await startTestAccountServer({ clock });
    const s = server;
    await s.createUser('alice', PASSWORD);
    const { desktop, generation } = await withAccountKey(s.url, 'alice', PASSWORD);
    const authKey = (await derivedKeys(PASSWORD, testKdf(PASSWORD))).authKey;
    const body = {
      authKey,
      ...(await createKeysBody(await newKeys(), PASSWORD, {
        accountUid: desktop.keys.accountUid,
        generation,
      })),
    };
    const refused = await bearer(s.url, 'POST', '/api/account/keys/replace', desktop.sessionToken, body);
    expect([refused.status, refused.body.error]).toEqual([409, 'keys_exist']);
    for (const [method, path, sent] of [
      ['POST', '/api/account/keys/replace', body],
      ['GET', '/api/account/keys/archived', undefined],
    ] as const) {
      const byDevice = await bearer(s.url, method, path, desktop.deviceToken!, sent);
      expect([path, byDevice.status, byDevice.body.error]).toEqual([path, 403, 'forbidden_scope']);
    }
    const none = await bearer(s.url, 'GET', '/api/account/keys/archived', desktop.sessionToken);
    expect(none.body).toEqual({ accountUid: desktop.keys.accountUid, archived: [] });
  });
});
