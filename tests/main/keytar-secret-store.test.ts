/**
 * KeytarSecretStore against the real Secret Service (gnome-keyring inside dbus-run-session under
 * `npm test`). Where keytar did not build (an optional dependency) or no Secret Service is reachable,
 * the tests are skipped, and the reason is printed.
 */
import crypto from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { KeytarSecretStore } from '../../src-main/adapters/keytar-secret-store';
import { probeKeychain } from '../support/keychain';

const SERVICE = `Strongroom-test-${crypto.randomBytes(4).toString('hex')}`;
const { keytar, problem } = await probeKeychain(SERVICE);
if (problem) console.warn(`[skipped] KeytarSecretStore tests: ${problem}`);

describe.skipIf(problem !== null)('KeytarSecretStore (real Secret Service)', () => {
  // Reached only where the keychain works (problem is null).
  const store = new KeytarSecretStore(keytar!, SERVICE);
  const account = 'http://127.0.0.1:8437/alice';

  afterAll(async () => {
    for (const { account: a } of await keytar!.findCredentials(SERVICE))
      await keytar!.deletePassword(SERVICE, a);
  });

  it('stores, reads back and deletes a device token under "<origin>/<username>"', async () => {
    const token = crypto.randomBytes(32).toString('base64url');
    expect(await store.get(account)).toBeNull();
    await store.set(account, token);
    expect(await store.get(account)).toBe(token);
    // Visible to the OS keychain under the service name, as a person's keyring manager shows it.
    expect(await keytar!.findCredentials(SERVICE)).toEqual([{ account, password: token }]);
    expect(await store.delete(account)).toBe(true);
    expect(await store.get(account)).toBeNull();
    expect(await store.delete(account)).toBe(false);
  });

  it('keeps one token per server and user', async () => {
    await store.set('http://127.0.0.1:8437/alice', 'token-a');
    await store.set('https://backup.example.com/alice', 'token-b');
    await store.set('http://127.0.0.1:8437/alice', 'token-c');
    expect(await store.get('http://127.0.0.1:8437/alice')).toBe('token-c');
    expect(await store.get('https://backup.example.com/alice')).toBe('token-b');
  });
});
