/**
 * The rehash after a sign-in (hash parameters raised since the hash was made) must not overwrite a
 * password change that commits while the new hash is being computed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openServices } from '../../src-server/app';
import {
  ScryptPasswordHasher,
  type PasswordHasher,
  type ScryptParams,
} from '../../src-server/services/password-hasher';
import { TEST_SCRYPT } from '../support/account-server';
import { ManualClock } from './helpers';

const OLD_PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new password';
const ctx = { address: '127.0.0.1', client: 'panel' as const, device: null };
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The real hasher at raised parameters, whose next hash() can be held until the test lets it go. */
class PausableHasher implements PasswordHasher {
  private readonly inner: ScryptPasswordHasher;
  private hold: { reached: () => void; release: Promise<void> } | null = null;
  constructor(params: ScryptParams) {
    this.inner = new ScryptPasswordHasher(params);
  }
  /** Holds the next hash(); resolves `reached` when it starts, and runs it once `release` is called. */
  holdNextHash(): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedP = new Promise<void>((r) => (reached = r));
    const releaseP = new Promise<void>((r) => (release = r));
    this.hold = { reached, release: releaseP };
    return { reached: reachedP, release };
  }
  async hash(password: string): Promise<string> {
    const hold = this.hold;
    this.hold = null;
    if (hold) {
      hold.reached();
      await hold.release;
    }
    return this.inner.hash(password);
  }
  verify(password: string, stored: string): Promise<boolean> {
    return this.inner.verify(password, stored);
  }
  needsRehash(stored: string): boolean {
    return this.inner.needsRehash(stored);
  }
}

describe('the rehash at sign-in', () => {
  it('loses to a password change that commits between its read and its write', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-rehash-race-'));
    dirs.push(dataDir);
    const before = openServices(dataDir, { scrypt: TEST_SCRYPT, clock: new ManualClock() });
    await before.accounts.create('alice', OLD_PASSWORD);
    before.db.close();

    const hasher = new PausableHasher({ ...TEST_SCRYPT, N: TEST_SCRYPT.N * 2 });
    const services = openServices(dataDir, { passwordHasher: hasher, clock: new ManualClock() });
    try {
      await services.signIn.ready();
      const held = hasher.holdNextHash();
      const signingIn = services.signIn.signIn({ username: 'alice', password: OLD_PASSWORD }, ctx);
      signingIn.catch(() => undefined);
      await held.reached; // the sign-in has verified the old password and is computing its rehash
      await services.passwords.reset('alice', NEW_PASSWORD);
      held.release();
      // The sign-in verified a password that is no longer the account's: it is refused too.
      await expect(signingIn).rejects.toMatchObject({ code: 'invalid_credentials' });

      await expect(
        services.signIn.signIn({ username: 'alice', password: NEW_PASSWORD }, ctx),
      ).resolves.toMatchObject({ username: 'alice' });
      await expect(
        services.signIn.signIn({ username: 'alice', password: OLD_PASSWORD }, ctx),
      ).rejects.toMatchObject({ code: 'invalid_credentials' });
    } finally {
      services.db.close();
    }
  });

  it('still upgrades the hash when nothing changed meanwhile', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-rehash-'));
    dirs.push(dataDir);
    const before = openServices(dataDir, { scrypt: TEST_SCRYPT, clock: new ManualClock() });
    await before.accounts.create('alice', OLD_PASSWORD);
    before.db.close();
    const hasher = new PausableHasher({ ...TEST_SCRYPT, N: TEST_SCRYPT.N * 2 });
    const services = openServices(dataDir, { passwordHasher: hasher, clock: new ManualClock() });
    try {
      await services.signIn.signIn({ username: 'alice', password: OLD_PASSWORD }, ctx);
      expect(hasher.needsRehash(services.accounts.byUsername('alice')!.password_hash)).toBe(false);
    } finally {
      services.db.close();
    }
  });
});
