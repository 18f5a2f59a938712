/**
 * "Replace this vault's password with a random key": a vault made before the account carried keys
 * joined the account's directory with the password a person typed, which the person (or whoever
 * saw it, or its old per-vault recovery kit) can still use. Re-keying adds a password slot for a
 * new random 256-bit password (the job process's `rekey` op, step `add`); the directory row and the
 * repository's account slot take the new password, which then goes where the old one was kept
 * (keychain, else memory until lock); only then is the old slot removed (step `remove`), so the
 * vault never depends on a password held in memory alone. Only while the account's key is open,
 * with the account password (and code) asked again, for a vault whose directory row opens with the
 * account's key for its own repository, and never while a job uses the vault.
 */
import type { VaultService } from '../backup/vault-service';
import type { AccountKeyHolder } from '../ports';
import { ServiceError } from '../service-error';
import { keyUnavailable, type DirectoryEntry, type VaultDirectoryService } from './vault-directory-service';
import { ownership } from './vault-owner';

export interface VaultRekeyOptions {
  keys: AccountKeyHolder;
  vaults: Pick<VaultService, 'list' | 'find' | 'get' | 'rekey'>;
  directory: Pick<VaultDirectoryService, 'read' | 'lastRead' | 'rekeyProblem' | 'recordNewPassword'>;
  /** The vaults of the jobs waiting or running now. */
  activeVaultIds(): string[];
}

/** What main makes for a new vault: 32 random bytes, base64url. Anything else a person chose. */
const RANDOM_PASSWORD = /^[A-Za-z0-9_-]{43}$/;

export class VaultRekey {
  constructor(private readonly o: VaultRekeyOptions) {}

  /**
   * This account's vaults on this computer whose password a person typed (those whose password is
   * at hand) and whose directory row opens with the account's key (else the new password would have
   * nowhere durable to go), as last read when the session is too old to read it now; re-keying
   * itself reads it again after the password.
   */
  async offers(): Promise<{ vaultIds: string[] }> {
    const keys = this.o.keys.current();
    if (!keys) return { vaultIds: [] };
    let entries: Map<string, DirectoryEntry>;
    try {
      entries = (await this.o.directory.read(keys)).entries;
    } catch {
      entries = this.o.directory.lastRead();
    }
    const vaultIds: string[] = [];
    for (const vault of this.o.vaults.list()) {
      if (ownership(vault, keys) === 'foreign') continue;
      if (this.o.directory.rekeyProblem(entries.get(vault.id), vault) !== null) continue;
      const password = await this.o.vaults.get(vault.id);
      if (password !== null && !RANDOM_PASSWORD.test(password)) vaultIds.push(vault.id);
    }
    return { vaultIds };
  }

  /**
   * Re-keys the vault: the new password's slot is added, the directory row and the account slot
   * take the new password, and only then is the old slot removed (a failure before keeps the old
   * password opening the vault). The caller has asked the account password (and code) again.
   */
  async rekey(vaultId: string): Promise<{ directoryUpdated: boolean }> {
    const keys = this.o.keys.current();
    if (!keys) throw keyUnavailable();
    const vault = this.o.vaults.find(vaultId);
    if (ownership(vault, keys) === 'foreign') {
      throw new ServiceError(
        'conflict',
        `The vault "${vault.name}" belongs to another account: unlock Strongroom with that account to replace its password.`,
      );
    }
    if (this.o.activeVaultIds().includes(vaultId)) {
      throw new ServiceError(
        'conflict',
        `A backup, restore or check of "${vault.name}" is waiting or running: replace its password once it has ended.`,
      );
    }
    if ((await this.o.vaults.get(vaultId)) === null) {
      throw new ServiceError(
        'wrong_password',
        `Enter the password of "${vault.name}" first: Strongroom needs it to replace it.`,
      );
    }
    const { entries } = await this.o.directory.read(keys);
    const problem = this.o.directory.rekeyProblem(entries.get(vaultId), vault);
    if (problem) throw new ServiceError('conflict', problem);
    await this.o.vaults.rekey(vaultId, (newPassword) =>
      this.o.directory.recordNewPassword(vaultId, newPassword),
    );
    return { directoryUpdated: true };
  }
}
