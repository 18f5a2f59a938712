/**
 * SecretStore on the OS keychain through keytar: the macOS Keychain, the Windows Credential
 * Manager, or the Secret Service (GNOME Keyring, KWallet) on Linux. Every secret lives under one
 * service name; the account is "<server origin>/<username>".
 */
import keytar from 'keytar';
import type { SecretStore } from '../services/ports';

export class KeytarSecretStore implements SecretStore {
  constructor(
    private readonly service: string,
    /** A keychain that never answers (a locked Secret Service waiting on a prompt) must not hang the app. */
    private readonly timeoutMs = 10_000,
  ) {}

  get(account: string): Promise<string | null> {
    return this.withTimeout(keytar.getPassword(this.service, account));
  }

  set(account: string, secret: string): Promise<void> {
    return this.withTimeout(keytar.setPassword(this.service, account, secret));
  }

  delete(account: string): Promise<boolean> {
    return this.withTimeout(keytar.deletePassword(this.service, account));
  }

  private withTimeout<T>(operation: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the keychain did not answer in time')), this.timeoutMs);
    });
    return Promise.race([operation, timeout]).finally(() => clearTimeout(timer));
  }
}
