/**
 * Whether the real OS keychain can be used by a test: keytar built (it is optional) and a Secret
 * Service answers (under `npm test`, a throwaway gnome-keyring in a private D-Bus session). Tests
 * skip with the returned reason, printed, when it cannot.
 */
import {
  KeytarSecretStore,
  loadKeytar,
  type KeytarModule,
} from '../../src-main/adapters/keytar-secret-store';

export type Keychain = { keytar: KeytarModule; problem: null } | { keytar: null; problem: string };

/** Probes by writing and deleting one entry under `service`. */
export async function probeKeychain(service: string): Promise<Keychain> {
  const loaded = loadKeytar();
  if (!loaded.ok) return { keytar: null, problem: loaded.reason };
  if (process.platform === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS) {
    return {
      keytar: null,
      problem:
        'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset); run under `npm test` or dbus-run-session with gnome-keyring',
    };
  }
  try {
    const probe = new KeytarSecretStore(loaded.keytar, service, 5_000);
    await probe.set('probe', 'probe');
    await probe.delete('probe');
    return { keytar: loaded.keytar, problem: null };
  } catch (error) {
    return { keytar: null, problem: `the Secret Service did not work: ${(error as Error).message}` };
  }
}
