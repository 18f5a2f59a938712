/**
 * Which vaults of this computer belong to the unlocked account. Anyone at the locked app can sign in
 * to an account of their own, on a server of their own: the directory sync, account slots, drive
 * envelopes and the profile must then leave this computer's vaults alone, or their passwords and a
 * key slot in each repository would go to that account. A vault's owner is recorded when it is made
 * or joins a directory while unlocked; one made before owners existed is claimed only by the account
 * this computer signed in to before this unlock (never by a first unlock, which knew no account).
 */
import type { Vault, VaultOwner } from '../../../src-shared/backup-config';
import type { UnlockedAccountKeys } from '../ports';

/** The account this computer remembered before the current unlock replaced it (the lock service). */
export type PreviousAccount = (serverUrl: string, username: string) => boolean;

export type Ownership = 'owned' | 'claimable' | 'foreign';

export function ownerOf(keys: Pick<UnlockedAccountKeys, 'serverUrl' | 'accountUid'>): VaultOwner {
  return { server: new URL(keys.serverUrl).origin, accountUid: keys.accountUid };
}

export function ownership(
  vault: Vault,
  keys: Pick<UnlockedAccountKeys, 'serverUrl' | 'username' | 'accountUid'>,
  rememberedBefore: PreviousAccount | undefined,
): Ownership {
  const server = originOrNull(keys.serverUrl);
  if (vault.owner) {
    const same = originOrNull(vault.owner.server) === server && vault.owner.accountUid === keys.accountUid;
    return same ? 'owned' : 'foreign';
  }
  // Account storage names its account in its own address.
  if (vault.type === 'account') {
    const same = originOrNull(vault.serverUrl) === server && vault.username === keys.username;
    return same ? 'claimable' : 'foreign';
  }
  return rememberedBefore?.(keys.serverUrl, keys.username) ? 'claimable' : 'foreign';
}

/** The vaults the unlocked account may act on (its own, and those it may claim now). */
export function vaultsOf(
  vaults: Vault[],
  keys: Pick<UnlockedAccountKeys, 'serverUrl' | 'username' | 'accountUid'>,
  rememberedBefore: PreviousAccount | undefined,
): Vault[] {
  return vaults.filter((v) => ownership(v, keys, rememberedBefore) !== 'foreign');
}

function originOrNull(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
