/**
 * KeytarSecretStore against the real Secret Service (gnome-keyring inside dbus-run-session under
 * `npm test`). Where keytar did not build (an optional dependency) or no Secret Service is reachable,
 * the tests are skipped, and the reason is printed.
 */
import crypto from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { KeytarSecretStore, loadKeytar } from '../../src-main/adapters/keytar-secret-store';

const SERVICE = `Strongroom-test-${crypto.randomBytes(4).toString('hex')}`;
const loaded = loadKeytar();

async function secretServiceProblem(): Promise<string | null> {
  if (!loaded.ok) return loaded.reason;
  if (process.platform === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS) {
    return 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset); run under `npm test` or dbus-run-session with gnome-keyring';
  }
  try {
    const probe = new KeytarSecretStore(loaded.keytar, SERVICE, 5_000);
    await probe.set('probe', 'probe');
    await probe.delete('probe');
    return null;
  } catch (error) {
    return `the Secret Service did not work: ${(error as Error).message}`;
  }
}

const problem = await secretServiceProblem();
if (problem) console.warn(`[skipped] KeytarSecretStore tests: ${problem}`);

describe.skipIf(problem !== null)('KeytarSecretStore (real Secret Service)', () => {
  // Reached only where keytar loaded (problem is null).
  const keytar = (loaded as Extract<typeof loaded, { ok: true }>).keytar;
  const store = new KeytarSecretStore(keytar, SERVICE);
  const account = 'http://127.0.0.1:8437/alice';

  afterAll(async () => {
    for (const { account: a } of await keytar.findCredentials(SERVICE))
      await keytar.deletePassword(SERVICE, a);
  });

  it('stores, reads back and deletes a device token under "<origin>/<username>"', async () => {
    const token = crypto.randomBytes(32).toString('base64url');
    expect(await store.get(account)).toBeNull();
    await store.set(account, token);
    expect(await store.get(account)).toBe(token);
    // Visible to the OS keychain under the service name, as a person's keyring manager shows it.
    expect(await keytar.findCredentials(SERVICE)).toEqual([{ account, password: token }]);
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
