/**
 * The account's key hierarchy, computed on the client (docs/security-model.md, "Your account is
 * your key"). Runs unchanged in Node (the server's admin CLI, tests), Electron's main process and
 * the browser (the web panel): WebCrypto for HKDF, HMAC and AES-256-GCM, hash-wasm's WebAssembly
 * for Argon2id and scrypt. Nothing here talks to a server or stores anything.
 *
 *   password --Argon2id(salt)--> stretched --HKDF--> auth key (sent for sign-in)
 *                                           \-HKDF--> wrap key  (never leaves the client)
 *   AMK (32 random bytes) wrapped by: the wrap key, the recovery key, each remembered computer's device key
 *   AMK --HKDF--> directory key, profile key, vault slot key, drive envelope MAC key;  key id = HMAC(AMK)
 */
import { argon2id, scrypt } from 'hash-wasm';
import {
  ARGON2_VERSION,
  KDF_DEFAULT,
  LEGACY_SCRYPT_MIN_N,
  SALT_BYTES,
  computerProfile,
  kdfProblem,
  vaultRecord,
  type ComputerProfile,
  type LegacyKdf,
  type PasswordKdf,
  type VaultRecord,
} from './account-keys';
import { scryptProblem } from './repository-key-files';

export type AccountKeyErrorCode =
  /** Key-derivation parameters outside the accepted range (from a server or a drive). */
  | 'kdf_refused'
  /** The legacy parameters are weaker than the server ever used, or not scrypt's. */
  | 'legacy_refused'
  /** The unwrapped AMK is not the one this client knows (another key id). */
  | 'key_changed'
  /** A wrapped or sealed value does not open: wrong key, or changed, swapped or replayed bytes. */
  | 'does_not_open'
  /** A recovery key with a typo (its checksum does not match). */
  | 'recovery_key_typo';

export class AccountKeyError extends Error {
  constructor(
    readonly code: AccountKeyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AccountKeyError';
  }
}

// ---- labels: every derived key and every associated data names its purpose --------------------

export const HKDF_INFO = {
  authKey: 'strongroom account v1 auth key',
  wrapKey: 'strongroom account v1 wrap key',
  recoveryProof: 'strongroom account v1 recovery proof',
  recoveryWrapKey: 'strongroom account v1 recovery wrap key',
  deviceWrapKey: 'strongroom account v1 device wrap key',
  directoryKey: 'strongroom account v1 directory key',
  profileKey: 'strongroom account v1 profile key',
  vaultSlotKey: 'strongroom account v1 vault slot key',
  envelopeMacKey: 'strongroom account v1 drive envelope mac key',
} as const;
const KEY_ID_LABEL = 'strongroom account v1 key id';
const AD_PREFIX = 'strongroom account v1';

// ---- bytes and text --------------------------------------------------------------------------

const utf8 = new TextEncoder();

export function toBase64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new AccountKeyError('does_not_open', 'Not base64url.');
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

/** Equality that takes the same time wherever the first difference is. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const subtle = () => globalThis.crypto.subtle;
// WebCrypto wants ArrayBuffer-backed views; a copy also detaches callers' buffers from ours.
const buf = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);

// ---- primitives ------------------------------------------------------------------------------

/** HKDF-SHA256 with an empty salt (the input is already a uniformly random key). */
export async function hkdf(ikm: Uint8Array, info: string, length = 32): Promise<Uint8Array> {
  const key = await subtle().importKey('raw', buf(ikm), 'HKDF', false, ['deriveBits']);
  const bits = await subtle().deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8.encode(info) },
    key,
    length * 8,
  );
  return new Uint8Array(bits);
}

export async function hmacSha256(key: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const k = await subtle().importKey('raw', buf(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', k, buf(message)));
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', buf(data)));
}

/**
 * The associated data of every sealed account value: the label, then its fields, one per line.
 * A field may not contain a line break, so no two field lists give the same bytes.
 */
export function associatedData(fields: readonly (string | number)[]): Uint8Array {
  const parts = fields.map(String);
  if (parts.some((p) => /[\n\r]/.test(p))) throw new Error('An associated-data field has a line break.');
  return utf8.encode([AD_PREFIX, ...parts].join('\n'));
}

/** AES-256-GCM, fresh random 96-bit nonce: "v1." + base64url(nonce | ciphertext | tag). */
export async function seal(key: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Promise<string> {
  const nonce = randomBytes(12);
  const k = await subtle().importKey('raw', buf(key), 'AES-GCM', false, ['encrypt']);
  const ct = new Uint8Array(
    await subtle().encrypt({ name: 'AES-GCM', iv: buf(nonce), additionalData: buf(ad) }, k, buf(plaintext)),
  );
  const out = new Uint8Array(12 + ct.length);
  out.set(nonce, 0);
  out.set(ct, 12);
  return `v1.${toBase64url(out)}`;
}

/** Opens `seal`'s output; any change to the bytes, the key or the associated data fails. */
export async function open(key: Uint8Array, sealed: string, ad: Uint8Array): Promise<Uint8Array> {
  if (!sealed.startsWith('v1.')) throw new AccountKeyError('does_not_open', 'Unknown sealed format.');
  const bytes = fromBase64url(sealed.slice(3));
  if (bytes.length < 28) throw new AccountKeyError('does_not_open', 'Sealed data too short.');
  const k = await subtle().importKey('raw', buf(key), 'AES-GCM', false, ['decrypt']);
  try {
    return new Uint8Array(
      await subtle().decrypt(
        { name: 'AES-GCM', iv: buf(bytes.subarray(0, 12)), additionalData: buf(ad) },
        k,
        buf(bytes.subarray(12)),
      ),
    );
  } catch {
    throw new AccountKeyError('does_not_open', 'The sealed value does not open with this key.');
  }
}

// ---- the password --------------------------------------------------------------------------

/**
 * Runs Argon2id. The app's main process passes one that runs in a worker thread, the panel one in
 * a Web Worker; both end in `argon2idInProcess`. Parameters are checked before it is called.
 */
export type Argon2Runner = (input: {
  password: Uint8Array;
  salt: Uint8Array;
  m: number;
  t: number;
}) => Promise<Uint8Array>;

/** Argon2id v0x13, p = 1, 32 bytes, in this thread; refuses parameters outside the bounds first. */
export const argon2idInProcess: Argon2Runner = async ({ password, salt, m, t }) => {
  const problem = kdfProblem({ m, t });
  if (problem) throw new AccountKeyError('kdf_refused', problem);
  return argon2idRaw({ password, salt, m, t });
};

/** Unbounded Argon2id, for known-answer tests with the reference vectors only. */
export async function argon2idRaw(input: {
  password: Uint8Array;
  salt: Uint8Array;
  m: number;
  t: number;
}): Promise<Uint8Array> {
  return argon2id({
    password: input.password,
    salt: input.salt,
    parallelism: 1,
    iterations: input.t,
    memorySize: input.m,
    hashLength: 32,
    outputType: 'binary',
  });
}

/** The password as hashed everywhere: NFKC (as the server's hasher always normalised it), UTF-8. */
export function passwordBytes(password: string): Uint8Array {
  return utf8.encode(password.normalize('NFKC'));
}

export function newPasswordKdf(params: { m: number; t: number } = KDF_DEFAULT): PasswordKdf {
  return {
    alg: 'argon2id',
    v: ARGON2_VERSION,
    m: params.m,
    t: params.t,
    p: 1,
    salt: toBase64url(randomBytes(SALT_BYTES)),
  };
}

export interface PasswordKeys {
  /** Sent for sign-in (base64url); a replayable credential. */
  authKey: Uint8Array;
  /** Wraps the AMK; never leaves the client. */
  wrapKey: Uint8Array;
}

/** Argon2id once, then HKDF into the auth key and the wrap key. Refuses out-of-range parameters first. */
export async function passwordKeys(
  password: string,
  kdf: PasswordKdf,
  run: Argon2Runner = argon2idInProcess,
): Promise<PasswordKeys> {
  const problem = kdfProblem(kdf);
  if (problem) throw new AccountKeyError('kdf_refused', problem);
  if (kdf.alg !== 'argon2id' || kdf.v !== ARGON2_VERSION || kdf.p !== 1) {
    throw new AccountKeyError('kdf_refused', 'Only Argon2id version 19 with one lane is accepted.');
  }
  const stretched = await run({
    password: passwordBytes(password),
    salt: fromBase64url(kdf.salt),
    m: kdf.m,
    t: kdf.t,
  });
  const [authKey, wrapKey] = await Promise.all([
    hkdf(stretched, HKDF_INFO.authKey),
    hkdf(stretched, HKDF_INFO.wrapKey),
  ]);
  stretched.fill(0);
  return { authKey, wrapKey };
}

/**
 * The legacy proof: scrypt(NFKC(password), salt, N, r, p, 32 bytes), exactly what the server stored
 * before client-side derivation. N below 2^17 is refused (the server never used less), and so is
 * anything beyond the repository key files' memory bound.
 */
export async function legacyProofOf(password: string, legacy: LegacyKdf): Promise<Uint8Array> {
  const problem =
    legacy.N < LEGACY_SCRYPT_MIN_N
      ? `The server asked for the old sign-in with weaker settings (N = ${legacy.N}) than it ever used; refused.`
      : scryptProblem(legacy);
  if (problem) throw new AccountKeyError('legacy_refused', problem);
  return scrypt({
    password: passwordBytes(password),
    salt: fromBase64url(legacy.salt),
    costFactor: legacy.N,
    blockSize: legacy.r,
    parallelism: legacy.p,
    hashLength: 32,
    outputType: 'binary',
  });
}

// ---- the account master key ------------------------------------------------------------------

export function newAccountMasterKey(): Uint8Array {
  return randomBytes(32);
}

/** The AMK's public name: the first 128 bits of HMAC(AMK, label), as 32 hex characters. */
export async function keyIdOf(amk: Uint8Array): Promise<string> {
  return toHex((await hmacSha256(amk, utf8.encode(KEY_ID_LABEL))).subarray(0, 16));
}

/** "1a2b 3c4d 5e6f 7081 …" for people to compare. */
export function formatKeyId(id: string): string {
  return id.match(/.{1,4}/g)!.join(' ');
}

/** Which wrap: the password's, the recovery key's, or one computer's device key. */
export type WrapKind = 'password' | 'recovery' | { device: string };

export interface WrapContext {
  accountUid: string;
  kind: WrapKind;
  generation: number;
  keyId: string;
}

function wrapAd(ctx: WrapContext): Uint8Array {
  const kind = typeof ctx.kind === 'string' ? ctx.kind : `device ${ctx.kind.device}`;
  return associatedData(['amk wrap', ctx.accountUid, kind, ctx.generation, ctx.keyId]);
}

export async function wrapAmk(amk: Uint8Array, wrappingKey: Uint8Array, ctx: WrapContext): Promise<string> {
  if (amk.length !== 32) throw new Error('An account master key is 32 bytes.');
  if ((await keyIdOf(amk)) !== ctx.keyId) throw new Error('The key id does not belong to this key.');
  return seal(wrappingKey, amk, wrapAd(ctx));
}

/**
 * Unwraps and checks the AMK against the key id it was answered with (which the associated data
 * binds) and, when the client remembers one, against that: another key id is "This account's key
 * changed", never a key to use.
 */
export async function unwrapAmk(
  sealed: string,
  wrappingKey: Uint8Array,
  ctx: WrapContext,
  knownKeyId: string | null = null,
): Promise<Uint8Array> {
  if (knownKeyId !== null && knownKeyId !== ctx.keyId) throw keyChanged();
  const amk = await open(wrappingKey, sealed, wrapAd(ctx));
  if (amk.length !== 32 || (await keyIdOf(amk)) !== ctx.keyId) throw keyChanged();
  return amk;
}

function keyChanged(): AccountKeyError {
  return new AccountKeyError(
    'key_changed',
    "This account's key changed: the server answered with a key this computer does not know. Nothing was changed.",
  );
}

// ---- the recovery key ------------------------------------------------------------------------

/** Crockford's base32: no I, L, O or U, so nothing reads as another character. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RECOVERY_KEY_BYTES = 32;
const RECOVERY_CHECK_BYTES = 3;

export function newRecoveryKey(): Uint8Array {
  return randomBytes(RECOVERY_KEY_BYTES);
}

/**
 * 256 bits and a 24-bit checksum as 56 base32 characters in 14 groups of four:
 * "7KQ2-M0ZD-…". The checksum catches a mistyped group before anything is sent.
 */
export async function formatRecoveryKey(key: Uint8Array): Promise<string> {
  if (key.length !== RECOVERY_KEY_BYTES) throw new Error('A recovery key is 32 bytes.');
  const check = (await sha256(key)).subarray(0, RECOVERY_CHECK_BYTES);
  const bytes = new Uint8Array([...key, ...check]);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out.match(/.{4}/g)!.join('-');
}

/** Reads a typed recovery key: case, spaces and dashes ignored; I and L read as 1, O as 0. */
export async function parseRecoveryKey(text: string): Promise<Uint8Array> {
  const clean = text
    .toUpperCase()
    .replace(/[\s-]+/g, '')
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0');
  const typo = () =>
    new AccountKeyError(
      'recovery_key_typo',
      'That recovery key has a typo: check each group of four against your kit.',
    );
  if (clean.length !== 56) throw typo();
  const bytes = new Uint8Array(RECOVERY_KEY_BYTES + RECOVERY_CHECK_BYTES);
  let bits = 0;
  let value = 0;
  let i = 0;
  for (const c of clean) {
    const v = CROCKFORD.indexOf(c);
    if (v < 0) throw typo();
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bytes[i++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
      value &= (1 << bits) - 1;
    }
  }
  const key = bytes.slice(0, RECOVERY_KEY_BYTES);
  const check = (await sha256(key)).subarray(0, RECOVERY_CHECK_BYTES);
  if (!constantTimeEqual(check, bytes.subarray(RECOVERY_KEY_BYTES))) throw typo();
  return key;
}

/** The proof sent to the server (it keeps only a MAC of it) and the key that wraps the AMK. */
export async function recoveryKeys(key: Uint8Array): Promise<{ proof: Uint8Array; wrapKey: Uint8Array }> {
  const [proof, wrapKey] = await Promise.all([
    hkdf(key, HKDF_INFO.recoveryProof),
    hkdf(key, HKDF_INFO.recoveryWrapKey),
  ]);
  return { proof, wrapKey };
}

export function deviceWrapKey(deviceKey: Uint8Array): Promise<Uint8Array> {
  return hkdf(deviceKey, HKDF_INFO.deviceWrapKey);
}

// ---- directory and profiles ----------------------------------------------------------------

/** The key that seals vault slots inside repositories (the engine uses it with its own AAD). */
export function vaultSlotKey(amk: Uint8Array): Promise<Uint8Array> {
  return hkdf(amk, HKDF_INFO.vaultSlotKey);
}

/** The key of a drive envelope's check (the engine makes the HMAC over the envelope's fields). */
export function envelopeMacKey(amk: Uint8Array): Promise<Uint8Array> {
  return hkdf(amk, HKDF_INFO.envelopeMacKey);
}

export async function sealVaultRecord(
  amk: Uint8Array,
  record: VaultRecord,
  ctx: { accountUid: string; version: number },
): Promise<string> {
  const key = await hkdf(amk, HKDF_INFO.directoryKey);
  const ad = associatedData(['directory', ctx.accountUid, 'vault', record.vaultId, ctx.version]);
  return seal(key, utf8.encode(JSON.stringify(vaultRecord.parse(record))), ad);
}

/** Opens a directory row; a row moved to another vault id, version or account does not open. */
export async function openVaultRecord(
  amk: Uint8Array,
  row: { vaultId: string; version: number; sealed: string },
  ctx: { accountUid: string },
): Promise<VaultRecord> {
  const key = await hkdf(amk, HKDF_INFO.directoryKey);
  const ad = associatedData(['directory', ctx.accountUid, 'vault', row.vaultId, row.version]);
  const record = vaultRecord.parse(JSON.parse(new TextDecoder().decode(await open(key, row.sealed, ad))));
  if (record.vaultId !== row.vaultId)
    throw new AccountKeyError('does_not_open', 'A directory row names another vault.');
  return record;
}

export async function sealProfile(
  amk: Uint8Array,
  profile: ComputerProfile,
  ctx: { accountUid: string; version: number },
): Promise<string> {
  const key = await hkdf(amk, HKDF_INFO.profileKey);
  const ad = associatedData(['profile', ctx.accountUid, 'computer', profile.computerId, ctx.version]);
  return seal(key, utf8.encode(JSON.stringify(computerProfile.parse(profile))), ad);
}

export async function openProfile(
  amk: Uint8Array,
  row: { computerId: string; version: number; sealed: string },
  ctx: { accountUid: string },
): Promise<ComputerProfile> {
  const key = await hkdf(amk, HKDF_INFO.profileKey);
  const ad = associatedData(['profile', ctx.accountUid, 'computer', row.computerId, row.version]);
  const profile = computerProfile.parse(
    JSON.parse(new TextDecoder().decode(await open(key, row.sealed, ad))),
  );
  if (profile.computerId !== row.computerId) {
    throw new AccountKeyError('does_not_open', 'A profile row names another computer.');
  }
  return profile;
}
