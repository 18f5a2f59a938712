import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openServices } from '../../src-server/app';
import {
  OWASP_SCRYPT,
  ScryptPasswordHasher,
  parseScryptParams,
} from '../../src-server/services/password-hasher';
import { TEST_SCRYPT } from '../support/account-server';
import { ManualClock } from './helpers';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('password hashing', () => {
  it('uses OWASP’s scrypt parameters (N=2^17, r=8, p=1) by default and stores them with the hash', async () => {
    const hasher = new ScryptPasswordHasher();
    expect(hasher.params).toEqual({ N: 131072, r: 8, p: 1 });
    const stored = await hasher.hash('correct horse battery');
    expect(stored).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(await hasher.verify('correct horse battery', stored)).toBe(true);
    expect(await hasher.verify('correct horse batterY', stored)).toBe(false);
  });

  it('verifies old hashes by their own parameters and says they need a rehash', async () => {
    const old = new ScryptPasswordHasher(TEST_SCRYPT);
    const stored = await old.hash('correct horse battery');
    const raised = new ScryptPasswordHasher({ ...TEST_SCRYPT, N: TEST_SCRYPT.N * 2 });
    expect(await raised.verify('correct horse battery', stored)).toBe(true);
    expect(raised.needsRehash(stored)).toBe(true);
    expect(old.needsRehash(stored)).toBe(false);
  });

  it('rehashes at sign-in once the parameters were raised', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-rehash-'));
    dirs.push(dataDir);
    const before = openServices(dataDir, { scrypt: TEST_SCRYPT, clock: new ManualClock() });
    await before.accounts.create('alice', 'correct horse battery');
    before.db.close();
    const raised = { ...TEST_SCRYPT, N: TEST_SCRYPT.N * 2 };
    const after = openServices(dataDir, { scrypt: raised, clock: new ManualClock() });
    await after.signIn.signIn(
      { username: 'alice', password: 'correct horse battery' },
      { address: '127.0.0.1', client: 'panel', device: null },
    );
    expect(parseScryptParams(after.accounts.byUsername('alice')!.password_hash)).toEqual(raised);
    after.db.close();
  });

  it('refuses malformed stored hashes instead of throwing', async () => {
    const hasher = new ScryptPasswordHasher(TEST_SCRYPT);
    for (const stored of ['', 'plain', 'scrypt$x$8$1$a$b', 'argon2id$v=19$...']) {
      expect(await hasher.verify('anything at all', stored)).toBe(false);
    }
  });

  it('keeps OWASP_SCRYPT as the constant the server defaults to', () => {
    expect(OWASP_SCRYPT).toEqual({ N: 2 ** 17, r: 8, p: 1 });
  });
});
