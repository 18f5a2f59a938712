/**
 * Argon2id at the floor costs about 0.35 s a derivation on an idle core (seconds on a busy
 * machine), and every sign-in of every test derives. Tests' passwords are public constants, so
 * their derived keys are cached: in memory, and in a folder of the system's temporary directory
 * shared by every test process on this machine, keyed by a hash of (password, kdf).
 *
 * `testKdf(password)`: a salt made from the password alone, so the same test password gets the
 * same parameters on every server and the cache answers across test files.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBase64url, legacyProofOf, passwordKeys, toBase64url } from '../../src-shared/account-crypto';
import { KDF_FLOOR, type LegacyKdf, type PasswordKdf } from '../../src-shared/account-keys';

const CACHE_DIR = join(tmpdir(), 'strongroom-test-derived-keys');
const memory = new Map<string, Promise<string[]>>();

export interface TestKeys {
  /** base64url, as sent. */
  authKey: string;
  wrapKey: Uint8Array;
}

/** Floor parameters with a salt made from the password: the same on every test server. */
export function testKdf(password: string): PasswordKdf {
  const salt = createHash('sha256').update('strongroom test salt\0').update(password).digest();
  return {
    alg: 'argon2id',
    v: 0x13,
    m: KDF_FLOOR.m,
    t: KDF_FLOOR.t,
    p: 1,
    salt: toBase64url(salt.subarray(0, 16)),
  };
}

/** passwordKeys() as a client computes them, cached. */
export async function derivedKeys(password: string, kdf: PasswordKdf): Promise<TestKeys> {
  const [authKey, wrapKey] = await cached(['argon2id', password, JSON.stringify(kdf)], async () => {
    const keys = await passwordKeys(password, kdf);
    return [toBase64url(keys.authKey), toBase64url(keys.wrapKey)];
  });
  return { authKey: authKey!, wrapKey: fromBase64url(wrapKey!) };
}

/** A sign-up as a client sends it: its own parameters (testKdf) and the auth key. */
export async function signupBody(
  username: string,
  password: string,
): Promise<{ username: string; kdf: PasswordKdf; authKey: string }> {
  const kdf = testKdf(password);
  return { username, kdf, authKey: (await derivedKeys(password, kdf)).authKey };
}

/** legacyProofOf() (scrypt at the old server's cost), cached. */
export async function legacyProof(password: string, legacy: LegacyKdf): Promise<string> {
  const [proof] = await cached(['scrypt', password, JSON.stringify(legacy)], async () => [
    toBase64url(await legacyProofOf(password, legacy)),
  ]);
  return proof!;
}

function cached(key: string[], compute: () => Promise<string[]>): Promise<string[]> {
  const id = createHash('sha256').update(key.join('\0')).digest('hex');
  let entry = memory.get(id);
  if (!entry) {
    entry = (async () => {
      const file = join(CACHE_DIR, `${id}.json`);
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as string[];
      } catch {
        const value = await compute();
        mkdirSync(CACHE_DIR, { recursive: true });
        // Written aside and renamed: a reader in another process never sees half a file.
        const temp = `${file}.${process.pid}.tmp`;
        writeFileSync(temp, JSON.stringify(value));
        renameSync(temp, file);
        return value;
      }
    })();
    memory.set(id, entry);
  }
  return entry;
}
