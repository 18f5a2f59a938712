import { describe, expect, it } from 'vitest';
import {
  AccountKeyError,
  argon2idInProcess,
  argon2idRaw,
  fromBase64url,
  formatRecoveryKey,
  hkdf,
  keyIdOf,
  newAccountMasterKey,
  newPasswordKdf,
  newRecoveryKey,
  openProfile,
  openVaultRecord,
  parseRecoveryKey,
  passwordKeys,
  legacyProofOf,
  recoveryKeys,
  sealProfile,
  sealVaultRecord,
  toBase64url,
  toHex,
  unwrapAmk,
  wrapAmk,
  type WrapContext,
} from '../../src-shared/account-crypto';
import { KDF_CEILING, type VaultRecord } from '../../src-shared/account-keys';
import { parseKeyFile, scryptProblem } from '../../src-shared/repository-key-files';
import { ARGON2ID_VECTORS, HKDF_RFC5869_CASE3 } from './account-crypto-vectors';

const enc = new TextEncoder();
const hexBytes = (h: string) => new Uint8Array(h.match(/../g)!.map((b) => parseInt(b, 16)));

describe('account key derivation', () => {
  it.each(ARGON2ID_VECTORS)('Argon2id matches the reference vector ($password, t=$t)', async (v) => {
    const out = await argon2idRaw({
      password: enc.encode(v.password),
      salt: enc.encode(v.salt),
      m: v.m,
      t: v.t,
    });
    expect(toHex(out)).toBe(v.hex);
  });

  it('HKDF-SHA256 matches RFC 5869 test case 3', async () => {
    const okm = await hkdf(
      hexBytes(HKDF_RFC5869_CASE3.ikmHex),
      HKDF_RFC5869_CASE3.info,
      HKDF_RFC5869_CASE3.length,
    );
    expect(toHex(okm)).toBe(HKDF_RFC5869_CASE3.okmHex);
  });

  it('refuses parameters below the floor or above the ceiling before running anything', async () => {
    let ran = 0;
    const counting = async () => {
      ran++;
      return new Uint8Array(32);
    };
    const kdf = newPasswordKdf();
    for (const bad of [
      { ...kdf, m: 32 * 1024 },
      { ...kdf, t: 2 },
      { ...kdf, m: KDF_CEILING.m + 1 },
      { ...kdf, t: 11 },
    ]) {
      await expect(passwordKeys('pw', bad, counting)).rejects.toMatchObject({ code: 'kdf_refused' });
    }
    await expect(
      argon2idInProcess({ password: enc.encode('x'), salt: new Uint8Array(16), m: 4 * 1024 * 1024, t: 3 }),
    ).rejects.toBeInstanceOf(AccountKeyError);
    expect(ran).toBe(0);
  });

  it('gives a different auth key and wrap key, the same for NFC and NFD passwords', async () => {
    const kdf = newPasswordKdf();
    const a = await passwordKeys('Café', kdf);
    const b = await passwordKeys('Cafe\u0301', kdf);
    expect(toHex(a.authKey)).toBe(toHex(b.authKey));
    expect(toHex(a.authKey)).not.toBe(toHex(a.wrapKey));
  });

  it('refuses a legacy proof weaker than the server ever used', async () => {
    await expect(
      legacyProofOf('pw', { alg: 'scrypt', N: 2 ** 14, r: 8, p: 1, salt: toBase64url(new Uint8Array(16)) }),
    ).rejects.toMatchObject({ code: 'legacy_refused' });
  });
});

describe('the account master key', () => {
  const ctx = async (amk: Uint8Array, over: Partial<WrapContext> = {}): Promise<WrapContext> => ({
    accountUid: 'a'.repeat(32),
    kind: 'password',
    generation: 3,
    keyId: await keyIdOf(amk),
    ...over,
  });

  it('unwraps only with the same key, account, kind, generation and key id', async () => {
    const amk = newAccountMasterKey();
    const key = newAccountMasterKey();
    const c = await ctx(amk);
    const sealed = await wrapAmk(amk, key, c);
    expect(toHex(await unwrapAmk(sealed, key, c))).toBe(toHex(amk));
    for (const other of [
      { ...c, accountUid: 'b'.repeat(32) },
      { ...c, kind: 'recovery' as const },
      { ...c, generation: 2 },
      { ...c, kind: { device: 'c'.repeat(32) } },
    ]) {
      await expect(unwrapAmk(sealed, key, other)).rejects.toMatchObject({ code: 'does_not_open' });
    }
    await expect(unwrapAmk(sealed, newAccountMasterKey(), c)).rejects.toMatchObject({
      code: 'does_not_open',
    });
  });

  it('refuses an AMK with another key id than the one this client knows', async () => {
    const amk = newAccountMasterKey();
    const key = newAccountMasterKey();
    const c = await ctx(amk);
    const sealed = await wrapAmk(amk, key, c);
    await expect(unwrapAmk(sealed, key, c, 'f'.repeat(32))).rejects.toMatchObject({ code: 'key_changed' });
  });

  it('round-trips the recovery key and catches a typo', async () => {
    const key = newRecoveryKey();
    const text = await formatRecoveryKey(key);
    expect(text).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){13}[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(toHex(await parseRecoveryKey(text.toLowerCase().replace(/-/g, ' ')))).toBe(toHex(key));
    const typo = (text[0] === 'A' ? 'B' : 'A') + text.slice(1);
    await expect(parseRecoveryKey(typo)).rejects.toMatchObject({ code: 'recovery_key_typo' });
    const { proof, wrapKey } = await recoveryKeys(key);
    expect(toHex(proof)).not.toBe(toHex(wrapKey));
  });

  it('seals directory rows and profiles bound to their id, version and account', async () => {
    const amk = newAccountMasterKey();
    const record: VaultRecord = {
      vaultId: 'vault-abcdef',
      name: 'USB backup',
      repositoryId: '0123456789abcdef0123456789abcdef',
      repositoryPassword: toBase64url(newAccountMasterKey()),
      location: { kind: 'local', path: '/media/usb/backup', host: 'laptop' },
      createdAt: new Date().toISOString(),
      createdOn: 'laptop',
    };
    const accountUid = 'a'.repeat(32);
    const sealed = await sealVaultRecord(amk, record, { accountUid, version: 2 });
    expect(
      await openVaultRecord(amk, { vaultId: record.vaultId, version: 2, sealed }, { accountUid }),
    ).toEqual(record);
    await expect(
      openVaultRecord(amk, { vaultId: record.vaultId, version: 1, sealed }, { accountUid }),
    ).rejects.toThrow();
    await expect(
      openVaultRecord(amk, { vaultId: 'vault-other1', version: 2, sealed }, { accountUid }),
    ).rejects.toThrow();
    await expect(
      openVaultRecord(amk, { vaultId: record.vaultId, version: 2, sealed }, { accountUid: 'b'.repeat(32) }),
    ).rejects.toThrow();
    const profile = {
      computerId: 'c'.repeat(32),
      computerName: 'laptop',
      platform: 'linux',
      items: [],
      preferences: { notifyOnSuccess: false, staleWarningDays: 3, startAtLogin: null },
      updatedAt: new Date().toISOString(),
    };
    const sp = await sealProfile(amk, profile, { accountUid, version: 1 });
    expect(
      await openProfile(amk, { computerId: profile.computerId, version: 1, sealed: sp }, { accountUid }),
    ).toEqual(profile);
    await expect(
      openProfile(amk, { computerId: 'd'.repeat(32), version: 1, sealed: sp }, { accountUid }),
    ).rejects.toThrow();
  });

  it('base64url round-trips every byte value', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    expect(fromBase64url(toBase64url(all))).toEqual(all);
  });
});

describe('repository key files', () => {
  it('bounds scrypt memory and work', () => {
    expect(scryptProblem({ N: 2 ** 15, r: 8, p: 1 })).toBeNull();
    expect(scryptProblem({ N: 2 ** 15, r: 8, p: 2 })).toBeNull();
    expect(scryptProblem({ N: 4194304, r: 32, p: 16 })).toMatch(/MiB/);
    expect(scryptProblem({ N: 3, r: 8, p: 1 })).toMatch(/power of two/);
  });

  it('tells restic, password, account and envelope key files apart and refuses anything else', () => {
    const b = (v: unknown) => enc.encode(typeof v === 'string' ? v : JSON.stringify(v));
    const restic = {
      created: 'x',
      username: 'u',
      hostname: 'h',
      kdf: 'scrypt',
      N: 32768,
      r: 8,
      p: 1,
      salt: 'AA==',
      data: 'AA==',
    };
    expect(parseKeyFile(b(restic))).toMatchObject({ ok: true, key: { kind: 'restic' } });
    const slot = {
      version: 1,
      created: 'x',
      host: 'h',
      username: 'u',
      kdf: { name: 'scrypt', N: 32768, r: 8, p: 2, salt: 'AA==' },
      masterKey: 'AA==',
    };
    expect(parseKeyFile(b(slot))).toMatchObject({ ok: true, key: { kind: 'password' } });
    expect(parseKeyFile(b({ ...slot, kdf: { ...slot.kdf, N: 4194304, r: 32, p: 16 } }))).toMatchObject({
      ok: false,
    });
    expect(parseKeyFile(b({ ...restic, N: 3 }))).toMatchObject({ ok: false });
    expect(parseKeyFile(b('hello'))).toMatchObject({ ok: false });
    expect(parseKeyFile(b({ not: 'a key' }))).toMatchObject({ ok: false });
    expect(parseKeyFile(b({ ...slot, extra: 1 }))).toMatchObject({ ok: false });
  });
});
