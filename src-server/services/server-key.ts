import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';

const KEY_BYTES = 32;

/**
 * The server's 256-bit key, kept in a file of its own (mode 0600) in the data directory.
 * It encrypts TOTP secrets and the account key rows at rest (AES-256-GCM), keys the HMACs of
 * recovery codes and CSRF tokens, and gives the subkeys of the auth-key verifiers, so a stolen
 * database alone reveals nothing to guess against.
 */
export class ServerKey {
  private constructor(private readonly key: Buffer) {}

  /** Reads the key file, or creates it with fresh random bytes if it does not exist. */
  static loadOrCreate(file: string): ServerKey {
    try {
      // 'wx': never overwrite an existing key (that would make every stored secret unreadable).
      const fd = openSync(file, 'wx', 0o600);
      try {
        const key = randomBytes(KEY_BYTES);
        writeSync(fd, key.toString('base64') + '\n');
        return new ServerKey(key);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
      // Someone loosened the permissions: tighten them rather than run with a readable key.
      chmodSync(file, 0o600);
    }
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== KEY_BYTES) throw new Error(`The server key file ${file} is damaged.`);
    return new ServerKey(key);
  }

  /** AES-256-GCM with a random 96-bit nonce; `context` is bound as associated data. */
  encrypt(plaintext: Buffer, context: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return [
      'v1',
      nonce.toString('base64'),
      body.toString('base64'),
      cipher.getAuthTag().toString('base64'),
    ].join(':');
  }

  decrypt(sealed: string, context: string): Buffer {
    const [version, nonce, body, tag] = sealed.split(':');
    if (version !== 'v1' || !nonce || body === undefined || !tag) throw new Error('Unknown sealed format.');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(nonce, 'base64'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]);
  }

  /**
   * A key of its own for one purpose (HKDF-SHA256, the label as info): a MAC under one subkey
   * says nothing about another, and none is the key that seals.
   */
  subkey(label: string): Buffer {
    return Buffer.from(
      hkdfSync('sha256', this.key, Buffer.alloc(0), `strongroom server ${label}`, KEY_BYTES),
    );
  }

  /** Keyed hash for values that are looked up by equality (recovery codes, CSRF tokens). */
  mac(purpose: string, value: string): string {
    return createHmac('sha256', this.key).update(purpose).update('\0').update(value).digest('base64url');
  }
}
