import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { ConcurrencyLimit } from '../../src-shared/concurrency-limit';

/** Port for password hashing, so tests can count the work done (no account enumeration). */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
  /** True when the stored hash uses other parameters than the ones in force. */
  needsRehash(stored: string): boolean;
}

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/** OWASP Password Storage Cheat Sheet: scrypt N=2^17, r=8, p=1. */
export const OWASP_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;

function scryptAsync(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // scrypt needs 128 * N * r bytes; Node's default maxmem (32 MiB) is below OWASP's 128 MiB.
  const maxmem = 128 * params.N * params.r + 32 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, { ...params, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/**
 * Stored format: `scrypt$N$r$p$salt$hash` (base64), so the parameters travel with each hash
 * and can be raised later: old hashes still verify and are rehashed at the next sign-in.
 */
export class ScryptPasswordHasher implements PasswordHasher {
  private readonly gate: ConcurrencyLimit;

  /**
   * `maxConcurrent` hashes run at once (default: one core fewer than the machine has), so a
   * burst of sign-ins cannot take every core from the event loop, nor 128 MiB each without bound.
   */
  constructor(
    readonly params: ScryptParams = OWASP_SCRYPT,
    maxConcurrent: number = Math.max(1, availableParallelism() - 1),
  ) {
    this.gate = new ConcurrencyLimit(maxConcurrent);
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await this.gate.run(() => scryptAsync(password, salt, this.params));
    const { N, r, p } = this.params;
    return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const parsed = parse(stored);
    if (!parsed) return false;
    const key = await this.gate.run(() => scryptAsync(password, parsed.salt, parsed.params));
    return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
  }

  needsRehash(stored: string): boolean {
    const parsed = parse(stored);
    if (!parsed) return true;
    const { N, r, p } = parsed.params;
    return N !== this.params.N || r !== this.params.r || p !== this.params.p;
  }
}

export function parseScryptParams(stored: string): ScryptParams | null {
  return parse(stored)?.params ?? null;
}

function parse(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0)) return null;
  return {
    params: { N, r, p },
    salt: Buffer.from(parts[4]!, 'base64'),
    key: Buffer.from(parts[5]!, 'base64'),
  };
}
