/**
 * Key material and authenticated encryption. One random 256-bit master key per repository; every purpose
 * gets its own subkey by HKDF-SHA256, so a key used for blob ids is never used to encrypt.
 */
import crypto from 'node:crypto';
import { IntegrityError, EngineError } from '../errors';
import { scryptProblem } from '../../src-shared/repository-key-files';

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const OVERHEAD = NONCE_BYTES + TAG_BYTES;

export interface Subkeys {
  /** AES-256-GCM key for blobs, pack headers and every sealed file (index, snapshot, config, lock). */
  encrypt: Buffer;
  /** HMAC-SHA256 key for blob ids: ids reveal nothing about content to someone without the key. */
  blobId: Buffer;
  /** Seeds the chunker's gear table, so chunk boundaries do not fingerprint known files. */
  gear: Buffer;
}

export function deriveSubkeys(master: Buffer): Subkeys {
  const d = (info: string) => Buffer.from(crypto.hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
  return {
    encrypt: d('strongroom v1 encrypt'),
    blobId: d('strongroom v1 blob-id'),
    gear: d('strongroom v1 gear'),
  };
}

export function blobId(key: Buffer, data: Uint8Array): Buffer {
  return crypto.createHmac('sha256', key).update(data).digest();
}

/**
 * AES-256-GCM with a fresh random 96-bit nonce per message: output is nonce | ciphertext | tag.
 * `aad` binds the ciphertext to its role (a blob to its id, a file to its kind), so nothing can be swapped.
 */
export function seal(key: Buffer, plaintext: Uint8Array | Uint8Array[], aad: Uint8Array): Buffer {
  const parts = Array.isArray(plaintext) ? plaintext : [plaintext];
  const nonce = crypto.randomBytes(NONCE_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const out: Buffer[] = [nonce];
  for (const p of parts) out.push(cipher.update(p));
  out.push(cipher.final(), cipher.getAuthTag());
  return Buffer.concat(out);
}

/** Decrypts and authenticates; throws IntegrityError (naming `where`) if any byte was changed. */
export function open(key: Buffer, sealed: Uint8Array, aad: Uint8Array, where: string): Buffer {
  if (sealed.length < OVERHEAD) throw new IntegrityError(where, `${where}: too short to be encrypted data`);
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const body = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const a = decipher.update(body);
    const b = decipher.final();
    return b.length ? Buffer.concat([a, b]) : a;
  } catch {
    throw new IntegrityError(where, `${where}: authentication failed (the data was modified or damaged)`);
  }
}

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * 32 MiB of memory per guess and two sequential passes (~0.15 s on one core): twice restic's default
 * work, while opening a repository stays a small part of an unchanged re-run.
 */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 2 };

/** scrypt(NFC(password)); parameters beyond the shared bound are refused before anything is allocated. */
export function deriveWrappingKey(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const problem = scryptProblem(params);
  if (problem) return Promise.reject(new EngineError('INVALID_ARGUMENT', problem));
  return new Promise((resolve, reject) => {
    crypto.scrypt(
      password.normalize('NFC'),
      salt,
      32,
      { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 64 * 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

export function sha256Hex(data: Uint8Array | Uint8Array[]): string {
  const h = crypto.createHash('sha256');
  for (const p of Array.isArray(data) ? data : [data]) h.update(p);
  return h.digest('hex');
}

export function randomHex(bytes: number): string {
  return crypto.randomBytes(bytes).toString('hex');
}
