/**
 * SecretStore in this process's memory: the browser harness's store where keytar did not build (the
 * harness has no Electron safeStorage). Nothing is written anywhere, so nothing outlives the process:
 * after a restart the app has no device token until the next unlock.
 */
import type { SecretStore } from '../services/ports';

export class InMemorySecretStore implements SecretStore {
  private readonly secrets = new Map<string, string>();

  async get(account: string): Promise<string | null> {
    return this.secrets.get(account) ?? null;
  }

  async set(account: string, secret: string): Promise<void> {
    this.secrets.set(account, secret);
  }

  async delete(account: string): Promise<boolean> {
    return this.secrets.delete(account);
  }
}
