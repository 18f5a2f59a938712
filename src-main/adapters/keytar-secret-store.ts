/**
 * SecretStore on the OS keychain through keytar: the macOS Keychain, the Windows Credential
 * Manager, or the Secret Service (GNOME Keyring, KWallet) on Linux. Every secret lives under one
 * service name; the account is "<server origin>/<username>".
 *
 * keytar is an optional dependency: its native build needs libsecret on Linux, and `npm install`
 * must not fail without it. loadKeytar() therefore loads it at run time and never throws; the
 * composition root picks another store when it answers why keytar is not there.
 */
import { createRequire } from 'node:module';
import type { SecretStore } from '../services/ports';

/** The part of keytar's API this adapter uses (declared here: its types are absent with it). */
export interface KeytarModule {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<{ account: string; password: string }[]>;
}

export type KeytarAvailability = { ok: true; keytar: KeytarModule } | { ok: false; reason: string };

export function loadKeytar(): KeytarAvailability {
  try {
    const keytar = createRequire(import.meta.url)('keytar') as KeytarModule;
    return { ok: true, keytar };
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'MODULE_NOT_FOUND' && /'keytar'/.test(message))
      return {
        ok: false,
        reason: 'keytar is not installed (its native build needs libsecret: run `npm run setup`)',
      };
    return { ok: false, reason: `keytar could not be loaded: ${message.split('\n')[0]}` };
  }
}

export class KeytarSecretStore implements SecretStore {
  constructor(
    private readonly keytar: KeytarModule,
    private readonly service: string,
    /** A keychain that never answers (a locked Secret Service waiting on a prompt) must not hang the app. */
    private readonly timeoutMs = 10_000,
  ) {}

  get(account: string): Promise<string | null> {
    return this.withTimeout(this.keytar.getPassword(this.service, account));
  }

  set(account: string, secret: string): Promise<void> {
    return this.withTimeout(this.keytar.setPassword(this.service, account, secret));
  }

  delete(account: string): Promise<boolean> {
    return this.withTimeout(this.keytar.deletePassword(this.service, account));
  }

  private withTimeout<T>(operation: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the keychain did not answer in time')), this.timeoutMs);
    });
    return Promise.race([operation, timeout]).finally(() => clearTimeout(timer));
  }
}
