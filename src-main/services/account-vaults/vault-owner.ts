/**
 * Which vaults of this computer belong to the unlocked account. Anyone at the locked app can sign in
 * to an account of their own, on a server of their own: the directory sync, account slots, drive
 * envelopes and the profile must then leave this computer's vaults alone, or their passwords and a
 * key slot in each repository would go to that account. A vault's owner is recorded when it is made
 * or joins a directory while unlocked; one made before owners existed is claimed only by the account
 * this computer signed in to before this unlock (never by a first unlock, which knew no account).
 * An account on the embedded local server owns its vaults as "this computer's server", since that
 * server takes another port whenever its usual one is taken.
 */
import { THIS_COMPUTERS_SERVER, type Vault, type VaultOwner } from '../../../src-shared/backup-config';
import type { UnlockedAccountKeys } from '../ports';

/** The account this computer remembered before the current unlock replaced it (the lock service). */
export type PreviousAccount = (serverUrl: string, username: string) => boolean;

export type Ownership = 'owned' | 'claimable' | 'foreign';

type OwnerKeys = Pick<UnlockedAccountKeys, 'serverUrl' | 'username' | 'accountUid' | 'serverIsLocal'>;

export function ownerOf(keys: Pick<OwnerKeys, 'serverUrl' | 'accountUid' | 'serverIsLocal'>): VaultOwner {
  const server = keys.serverIsLocal ? THIS_COMPUTERS_SERVER : new URL(keys.serverUrl).origin;
  return { server, accountUid: keys.accountUid };
}

export function ownership(
  vault: Vault,
  keys: OwnerKeys,
  rememberedBefore: PreviousAccount | undefined,
): Ownership {
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
  return rememberedBefore?.(keys.serverUrl, keys.username) ? 'claimable' : 'foreign';
}

/** The vaults the unlocked account may act on (its own, and those it may claim now). */
export function vaultsOf(
  vaults: Vault[],
  keys: OwnerKeys,
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
