/**
 * What the server keeps instead of a password, and how it checks what a client sends: the auth
 * key's verifier, the recovery proof's MAC, the old scrypt hash of accounts not yet migrated (its
 * hash part turned into a MAC), and the sign-in parameters answered for every username.
 *
 * Each is an HMAC under its own subkey of the server key, so the database alone gives nothing to
 * guess a password against, and a stolen hash cannot be passed as a proof. Comparisons take the
 * same time whether a row exists or not: an unknown account is checked against made-up values.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  KDF_DEFAULT,
  SALT_BYTES,
  kdfProblem,
  passwordKdf,
  type LegacyKdf,
  type PasswordKdf,
} from '../../src-shared/account-keys';
import type { ServerKey } from './server-key';
import { ServiceError } from './service-error';

/** The scrypt parameters the server used before the auth key (OWASP's), for made-up legacy answers. */
export const LEGACY_SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;
/** Old hashes whose hash part is already a MAC start with this. */
const LEGACY_MAC_PREFIX = 'scrypt-mac$';

const b64url = (bytes: Buffer) => bytes.toString('base64url');
/** The contract's base64url fields are already checked; an unparsable value compares as nothing. */
const bytesOf = (text: string | undefined) => Buffer.from(text ?? '', 'base64url');

export class AuthKeys {
  private readonly verifierKey: Buffer;
  private readonly legacyKey: Buffer;
  private readonly recoveryKey: Buffer;
  private readonly paramsKey: Buffer;

  constructor(key: ServerKey) {
    this.verifierKey = key.subkey('verifier');
    this.legacyKey = key.subkey('legacy');
    this.recoveryKey = key.subkey('recovery proof');
    this.paramsKey = key.subkey('sign-in parameters');
  }

  /** HMAC(subkey "verifier", account uid | auth key): the only trace of the password the server keeps. */
  verifier(accountUid: string, authKey: string): string {
    return this.mac(this.verifierKey, accountUid, bytesOf(authKey));
  }

  /** Constant time; with no account (null) a made-up verifier is computed and compared all the same. */
  verifierMatches(
    account: { account_uid: string; auth_verifier: string | null } | null,
    authKey: string,
  ): boolean {
    const expected = this.verifier(account?.account_uid ?? '0'.repeat(32), authKey);
    return equal(expected, account?.auth_verifier ?? null);
  }

  recoveryProofMac(accountUid: string, proof: string): string {
    return this.mac(this.recoveryKey, accountUid, bytesOf(proof));
  }

  recoveryProofMatches(accountUid: string | null, stored: string | null, proof: string): boolean {
    return equal(this.recoveryProofMac(accountUid ?? '0'.repeat(32), proof), stored);
  }

  /**
   * The legacy proof (scrypt of the password, computed by the client) against a stored
   * `scrypt-mac$…` hash: the MAC of the proof must be the MAC the server made of the old hash.
   */
  legacyMatches(legacyHash: string | null, proof: string | undefined): boolean {
    const stored = legacyHash?.startsWith(LEGACY_MAC_PREFIX) ? legacyHash.split('$')[5]! : null;
    return equal(b64url(this.legacyMac(bytesOf(proof))), stored);
  }

  /**
   * `scrypt$N$r$p$salt$hash` -> `scrypt-mac$N$r$p$salt$HMAC(subkey "legacy", hash)`: a database
   * thief then holds nothing a client could send. Null for what is not an old hash.
   */
  sealLegacyHash(stored: string): string | null {
    const parts = stored.split('$');
    if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
    const hash = Buffer.from(parts[5]!, 'base64');
    return [LEGACY_MAC_PREFIX.slice(0, -1), ...parts.slice(1, 5), b64url(this.legacyMac(hash))].join('$');
  }

  /** The scrypt parameters of a stored old hash, as the client computes its proof with them. */
  legacyParams(legacyHash: string | null): LegacyKdf | null {
    const parts = legacyHash?.split('$');
    if (!parts || parts.length !== 6) return null;
    const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
    if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0)) return null;
    return { alg: 'scrypt', N, r, p, salt: b64url(Buffer.from(parts[4]!, 'base64')) };
  }

  /**
   * Parameters for a username with no kdf of its own (unknown, or not yet migrated): the current
   * defaults with a salt that is an HMAC of the name, so the answer is the same every time and
   * looks like any other. A not-yet-migrated account keeps this salt when it migrates.
   */
  madeUpKdf(username: string): PasswordKdf {
    return {
      alg: 'argon2id',
      v: 0x13,
      m: KDF_DEFAULT.m,
      t: KDF_DEFAULT.t,
      p: 1,
      salt: this.madeUpSalt('kdf', username),
    };
  }

  madeUpLegacy(username: string): LegacyKdf {
    return { alg: 'scrypt', ...LEGACY_SCRYPT, salt: this.madeUpSalt('legacy', username) };
  }

  private madeUpSalt(purpose: string, username: string): string {
    const mac = createHmac('sha256', this.paramsKey).update(purpose).update('\0').update(username).digest();
    return b64url(mac.subarray(0, SALT_BYTES));
  }

  private legacyMac(hash: Buffer): Buffer {
    return createHmac('sha256', this.legacyKey).update(hash).digest();
  }

  private mac(key: Buffer, accountUid: string, value: Buffer): string {
    return b64url(createHmac('sha256', key).update(accountUid).update(value).digest());
  }
}

/** Compares two MACs in constant time; a missing stored value is compared against itself and fails. */
function equal(computed: string, stored: string | null): boolean {
  const a = Buffer.from(computed);
  const b = Buffer.from(stored ?? computed);
  return a.length === b.length && timingSafeEqual(a, b) && stored !== null;
}

/** The kdf a client sent for a new password: within the bounds every client accepts, or refused. */
export function acceptedKdf(kdf: PasswordKdf): string {
  const problem = kdfProblem(kdf);
  if (problem) throw new ServiceError('bad_request', problem);
  return JSON.stringify(passwordKdf.parse(kdf));
}

export function parseKdf(json: string): PasswordKdf {
  return passwordKdf.parse(JSON.parse(json));
}
