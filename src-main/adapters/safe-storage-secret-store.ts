/**
 * SecretStore on Electron's safeStorage, for where keytar did not build: each secret is encrypted
 * with the OS's key (the macOS Keychain, Windows DPAPI, the Secret Service or KWallet on Linux) and
 * kept in one JSON file in the app's data directory (mode 0600, replaced atomically). Account names
 * ("<server origin>/<username>") stay readable in the file, as they do in a keychain.
 *
 * It fails closed: where safeStorage cannot encrypt with an OS key (Linux with no secret store, where
 * Electron falls back to a hard-coded password) it refuses to store anything rather than write a
 * secret anyone could decrypt. safeStorage is a constructor port, so this is tested without Electron.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SecretStore } from '../services/ports';

/** The part of Electron's safeStorage this adapter uses (its asynchronous API). */
export interface SafeStorageLike {
  isAsyncEncryptionAvailable(): Promise<boolean>;
  encryptStringAsync(plainText: string): Promise<Buffer>;
  decryptStringAsync(encrypted: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }>;
  /** Linux only: which OS key store backs it; 'basic_text' is a hard-coded password. */
  getSelectedStorageBackend(): string;
}

interface SecretsFile {
  version: 1;
  /** account -> base64 of safeStorage's ciphertext */
  secrets: Record<string, string>;
}

/** Linux backends that keep the key in an OS key store (not 'basic_text', not 'unknown'). */
const PROTECTED_LINUX_BACKENDS = ['gnome_libsecret', 'kwallet', 'kwallet5', 'kwallet6'];

export class SafeStorageSecretStore implements SecretStore {
  private readonly safeStorage: SafeStorageLike;
  private readonly file: string;
  private readonly platform: NodeJS.Platform;
  /** Read-modify-write operations run one at a time, so concurrent sets cannot lose each other. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: { safeStorage: SafeStorageLike; file: string; platform?: NodeJS.Platform }) {
    this.safeStorage = options.safeStorage;
    this.file = options.file;
    this.platform = options.platform ?? process.platform;
  }

  /** Null when secrets stored here are protected by an OS key; otherwise why not. */
  async unprotectedReason(): Promise<string | null> {
    if (!(await this.safeStorage.isAsyncEncryptionAvailable()))
      return 'safeStorage cannot encrypt on this system';
    if (this.platform === 'linux') {
      const backend = this.safeStorage.getSelectedStorageBackend();
      if (!PROTECTED_LINUX_BACKENDS.includes(backend))
        return `safeStorage has no OS key store here (backend "${backend}")`;
    }
    return null;
  }

  get(account: string): Promise<string | null> {
    return this.serially(async () => {
      const data = await this.read();
      const stored = data.secrets[account];
      if (stored === undefined) return null;
      let decrypted: { result: string; shouldReEncrypt: boolean };
      try {
        decrypted = await this.safeStorage.decryptStringAsync(Buffer.from(stored, 'base64'));
      } catch {
        // Encrypted under an OS key that is gone (a reset keyring): nobody can read it any more, so
        // it is as good as absent, and the next set() replaces it.
        return null;
      }
      if (decrypted.shouldReEncrypt) {
        data.secrets[account] = (await this.encrypt(decrypted.result)).toString('base64');
        await this.write(data);
      }
      return decrypted.result;
    });
  }

  set(account: string, secret: string): Promise<void> {
    return this.serially(async () => {
      const data = await this.read();
      data.secrets[account] = (await this.encrypt(secret)).toString('base64');
      await this.write(data);
    });
  }

  delete(account: string): Promise<boolean> {
    return this.serially(async () => {
      const data = await this.read();
      if (!(account in data.secrets)) return false;
      delete data.secrets[account];
      await this.write(data);
      return true;
    });
  }

  private async encrypt(secret: string): Promise<Buffer> {
    const reason = await this.unprotectedReason();
    if (reason) throw new Error(`${reason}: the secret is not stored`);
    return this.safeStorage.encryptStringAsync(secret);
  }

  private async read(): Promise<SecretsFile> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, secrets: {} };
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    const secrets = (parsed as Partial<SecretsFile> | null)?.secrets;
    const valid =
      (parsed as Partial<SecretsFile> | null)?.version === 1 &&
      typeof secrets === 'object' &&
      secrets !== null &&
      Object.values(secrets).every((v) => typeof v === 'string');
    // Never overwrite a file we cannot read: it may be another version's, and it holds secrets.
    if (!valid) throw new Error(`${this.file} is not a secrets file this version can read (field "secrets")`);
    return { version: 1, secrets: { ...secrets } };
  }

  private async write(data: SecretsFile): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.tmp`;
    await fs.writeFile(temporary, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    await fs.rename(temporary, this.file);
  }

  private serially<T>(operation: () => Promise<T>): Promise<T> {
    const next = this.queue.then(operation, operation);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
