/**
 * SafeStorageSecretStore (where keytar did not build): a real file in a temp directory, and a fake
 * of Electron's safeStorage that really encrypts (AES-256-GCM under a key of its own, as the OS
 * key would), so what reaches the disk can be checked.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SafeStorageSecretStore,
  type SafeStorageLike,
} from '../../src-main/adapters/safe-storage-secret-store';

class FakeSafeStorage implements SafeStorageLike {
  available = true;
  backend = 'gnome_libsecret';
  rotated = false;
  key = crypto.randomBytes(32);
  encryptions = 0;

  async isAsyncEncryptionAvailable() {
    return this.available;
  }
  async encryptStringAsync(plainText: string) {
    this.encryptions++;
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plainText, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }
  async decryptStringAsync(encrypted: Buffer) {
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, encrypted.subarray(0, 12));
    decipher.setAuthTag(encrypted.subarray(12, 28));
    const result = Buffer.concat([decipher.update(encrypted.subarray(28)), decipher.final()]).toString(
      'utf8',
    );
    return { result, shouldReEncrypt: this.rotated };
  }
  getSelectedStorageBackend() {
    return this.backend;
  }
}

const ACCOUNT = 'http://127.0.0.1:8437/alice';
let dir: string;
let file: string;
let safeStorage: FakeSafeStorage;
let store: SafeStorageSecretStore;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-safe-storage-'));
  file = path.join(dir, 'userData', 'secrets.json');
  safeStorage = new FakeSafeStorage();
  store = new SafeStorageSecretStore({ safeStorage, file, platform: 'linux' });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('SafeStorageSecretStore', () => {
  it('keeps a secret encrypted in a 0600 file, reads it back, and deletes it', async () => {
    const token = crypto.randomBytes(32).toString('base64url');
    expect(await store.get(ACCOUNT)).toBeNull();
    await store.set(ACCOUNT, token);
    expect(await store.get(ACCOUNT)).toBe(token);

    const onDisk = fs.readFileSync(file, 'utf8');
    expect(onDisk).not.toContain(token);
    expect(onDisk).not.toContain(Buffer.from(token).toString('base64'));
    expect(JSON.parse(onDisk)).toMatchObject({ version: 1, secrets: { [ACCOUNT]: expect.any(String) } });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    expect(await store.delete(ACCOUNT)).toBe(true);
    expect(await store.get(ACCOUNT)).toBeNull();
    expect(await store.delete(ACCOUNT)).toBe(false);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).secrets).toEqual({});
  });

  it('outlives the process: a new store on the same file (the next launch) reads it', async () => {
    await store.set(ACCOUNT, 'token-1');
    const nextLaunch = new SafeStorageSecretStore({ safeStorage, file, platform: 'linux' });
    expect(await nextLaunch.get(ACCOUNT)).toBe('token-1');
  });

  it('keeps one secret per account, and concurrent sets lose none', async () => {
    const accounts = Array.from({ length: 12 }, (_, i) => `https://server-${i}.example/alice`);
    await Promise.all(accounts.map((a, i) => store.set(a, `token-${i}`)));
    await store.set(accounts[0]!, 'token-0b');
    const again = new SafeStorageSecretStore({ safeStorage, file, platform: 'linux' });
    expect(await Promise.all(accounts.map((a) => again.get(a)))).toEqual(
      accounts.map((_, i) => (i === 0 ? 'token-0b' : `token-${i}`)),
    );
  });

  it('fails closed: stores nothing where safeStorage cannot encrypt with an OS key', async () => {
    safeStorage.available = false;
    expect(await store.unprotectedReason()).toBe('safeStorage cannot encrypt on this system');
    await expect(store.set(ACCOUNT, 'secret')).rejects.toThrow(/cannot encrypt.*not stored/);
    expect(fs.existsSync(file)).toBe(false);

    // Linux without a secret store: Electron would "encrypt" with a hard-coded password.
    safeStorage.available = true;
    safeStorage.backend = 'basic_text';
    expect(await store.unprotectedReason()).toMatch(/no OS key store here \(backend "basic_text"\)/);
    await expect(store.set(ACCOUNT, 'secret')).rejects.toThrow(/basic_text.*not stored/);
    expect(fs.existsSync(file)).toBe(false);
    expect(safeStorage.encryptions).toBe(0);

    // The Linux backend does not matter elsewhere (macOS Keychain, Windows DPAPI).
    const mac = new SafeStorageSecretStore({ safeStorage, file, platform: 'darwin' });
    expect(await mac.unprotectedReason()).toBeNull();
    await mac.set(ACCOUNT, 'secret');
    expect(await mac.get(ACCOUNT)).toBe('secret');
  });

  it('never overwrites a file it cannot read, and says which', async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    for (const content of ['{ not json', '{"version":2,"secrets":{}}', '{"version":1,"secrets":{"a":5}}']) {
      fs.writeFileSync(file, content);
      await expect(store.set(ACCOUNT, 'secret')).rejects.toThrow(`${file} is not a secrets file`);
      await expect(store.get(ACCOUNT)).rejects.toThrow(/field "secrets"/);
      expect(fs.readFileSync(file, 'utf8')).toBe(content);
    }
  });

  it('treats a secret encrypted under a lost OS key as absent, and replaces it on the next set', async () => {
    await store.set(ACCOUNT, 'old token');
    safeStorage.key = crypto.randomBytes(32); // the keyring was reset
    expect(await store.get(ACCOUNT)).toBeNull();
    await store.set(ACCOUNT, 'new token');
    expect(await store.get(ACCOUNT)).toBe('new token');
  });

  it('re-encrypts a secret when safeStorage says its key was rotated', async () => {
    await store.set(ACCOUNT, 'token');
    const before = JSON.parse(fs.readFileSync(file, 'utf8')).secrets[ACCOUNT];
    safeStorage.rotated = true;
    expect(await store.get(ACCOUNT)).toBe('token');
    const after = JSON.parse(fs.readFileSync(file, 'utf8')).secrets[ACCOUNT];
    expect(after).not.toBe(before);
    safeStorage.rotated = false;
    expect(await store.get(ACCOUNT)).toBe('token');
  });
});
