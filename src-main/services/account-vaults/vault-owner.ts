/**
 * Which vaults of this computer belong to the unlocked account. Anyone at the locked app can sign in
 * to an account of their own, on a server of their own: the directory sync, account slots, drive
 * envelopes and the profile must then leave this computer's vaults alone, or their passwords and a
 * key slot in each repository would go to that account. A vault's owner is recorded when it is made
 * or joins a directory while unlocked; one without an owner is claimed only by the account stamped
 * on it as its pending owner (never by whoever happens to unlock).
 * An account on the embedded local server owns its vaults as "this computer's server", since that
 * server takes another port whenever its usual one is taken.
 */
import {
  THIS_COMPUTERS_SERVER,
  type BackupConfig,
  type PendingVaultOwner,
  type Vault,
  type VaultOwner,
} from '../../../src-shared/backup-config';
import type { UnlockedAccountKeys } from '../ports';

export type Ownership = 'owned' | 'claimable' | 'foreign';

type OwnerKeys = Pick<UnlockedAccountKeys, 'serverUrl' | 'username' | 'accountUid' | 'serverIsLocal'>;

export function ownerOf(keys: Pick<OwnerKeys, 'serverUrl' | 'accountUid' | 'serverIsLocal'>): VaultOwner {
  const server = keys.serverIsLocal ? THIS_COMPUTERS_SERVER : new URL(keys.serverUrl).origin;
  return { server, accountUid: keys.accountUid };
}

export function ownership(vault: Vault, keys: OwnerKeys): Ownership {
  const server = originOrNull(keys.serverUrl);
  if (vault.owner) {
    const sameServer =
      vault.owner.server === THIS_COMPUTERS_SERVER
        ? keys.serverIsLocal
        : originOrNull(vault.owner.server) === server;
    return sameServer && vault.owner.accountUid === keys.accountUid ? 'owned' : 'foreign';
  }
  // Account storage names its account in its own address.
  if (vault.type === 'account') {
    const same = originOrNull(vault.serverUrl) === server && vault.username === keys.username;
    return same ? 'claimable' : 'foreign';
  }
  const pending = vault.pendingOwner;
  if (!pending) return 'foreign';
  const sameServer =
    pending.server === THIS_COMPUTERS_SERVER ? keys.serverIsLocal : originOrNull(pending.server) === server;
  return sameServer && pending.username === keys.username ? 'claimable' : 'foreign';
}

/** The pending owner of a vault made now by the session's account, whose key is not available. */
export function pendingOwnerOf(account: {
  serverUrl: string;
  username: string;
  serverIsLocal: boolean;
}): PendingVaultOwner {
  const server = account.serverIsLocal ? THIS_COMPUTERS_SERVER : new URL(account.serverUrl).origin;
  return { server, username: account.username };
}

/**
 * Stamps each folder vault with neither an owner nor a pending owner (written by a version before
 * owners) with the account this computer remembers, at start-up: from then on only that account
 * may claim it, whoever unlocks meanwhile. Nothing is stamped while no account is remembered.
 */
export function stampUnownedVaults(config: BackupConfig, remembered: PendingVaultOwner | null): boolean {
  if (!remembered) return false;
  let changed = false;
  for (const v of config.vaults) {
    if (v.type !== 'local' || v.owner || v.pendingOwner) continue;
    v.pendingOwner = { ...remembered };
    changed = true;
  }
  return changed;
}

/** The vaults the unlocked account may act on (its own, and those it may claim now). */
export function vaultsOf(vaults: Vault[], keys: OwnerKeys): Vault[] {
  return vaults.filter((v) => ownership(v, keys) !== 'foreign');
}

function originOrNull(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
