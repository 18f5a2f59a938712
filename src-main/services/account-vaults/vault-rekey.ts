/**
 * "Replace this vault's password with a random key": a vault made before the account carried keys
 * joined the account's directory with the password a person typed, which the person (or whoever
 * saw it, or its old per-vault recovery kit) can still use. Re-keying adds a password slot for a
 * new random 256-bit password and removes the old one (the job process's `rekey` op); the new
 * password goes where the old one was kept (keychain, else memory until lock), and the directory
 * row and the repository's account slot take it at once, so scheduled backups, Restore and another
 * computer's take-over keep working. Only while the account's key is open (the directory must
 * take the new password) and never while a job uses the vault.
 */
import crypto from 'node:crypto';
import type { Vault } from '../../../src-shared/backup-config';
import type { VaultService } from '../backup/vault-service';
import type { AccountKeyHolder, UnlockedAccountKeys } from '../ports';
import { ServiceError } from '../service-error';
import { keyUnavailable, type VaultDirectoryService } from './vault-directory-service';
import { ownership } from './vault-owner';

export interface VaultRekeyOptions {
  keys: AccountKeyHolder;
  vaults: Pick<VaultService, 'list' | 'find' | 'get' | 'rekey'>;
  directory: Pick<VaultDirectoryService, 'sync' | 'read'>;
  /** The vaults of the jobs waiting or running now. */
  activeVaultIds(): string[];
}

/** What main makes for a new vault: 32 random bytes, base64url. Anything else a person chose. */
const RANDOM_PASSWORD = /^[A-Za-z0-9_-]{43}$/;

export class VaultRekey {
  constructor(private readonly o: VaultRekeyOptions) {}

  /** This account's vaults on this computer whose password a person typed (those whose password is at hand). */
  async offers(): Promise<{ vaultIds: string[] }> {
    const keys = this.o.keys.current();
    if (!keys) return { vaultIds: [] };
    const vaultIds: string[] = [];
    for (const vault of this.o.vaults.list()) {
      if (ownership(vault, keys) === 'foreign') continue;
      const password = await this.o.vaults.get(vault.id);
      if (password !== null && !RANDOM_PASSWORD.test(password)) vaultIds.push(vault.id);
    }
    return { vaultIds };
  }

  /**
   * Re-keys the vault, then brings the directory row and the account slot up to date. Answers
   * whether the directory holds the new password now (false: this computer keeps it, and the
   * account slot still opens the vault with the account's key; the directory is tried again at
   * the next change or unlock).
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
    await this.o.vaults.rekey(vaultId);
    return { directoryUpdated: await this.directoryHasNewPassword(keys, vault) };
  }

  private async directoryHasNewPassword(keys: UnlockedAccountKeys, vault: Vault): Promise<boolean> {
    await this.o.directory.sync();
    const now = await this.o.vaults.get(vault.id);
    try {
      const { entries } = await this.o.directory.read(keys);
      const listed = entries.get(vault.id)?.record?.repositoryPassword;
      return now !== null && listed !== undefined && sameSecret(listed, now);
    } catch {
      return false;
    }
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}
