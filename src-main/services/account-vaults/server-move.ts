/**
 * "This account's server moved." An account, its vaults and its account storage belong to the
 * account, not to an address: when a full sign-in at a new address opened the same account key
 * this computer remembers for the old one (AccountKeyService finds it), the person is asked, and
 * only when they accept are the account's vaults (their owner, and account storage's address) and
 * the key memory moved to the new address. Declined, nothing changes, and the decline is remembered
 * for that address and key id (not asked at every unlock) until the person asks for it again.
 */
import { THIS_COMPUTERS_SERVER, type Vault } from '../../../src-shared/backup-config';
import type { AccountKeyView } from '../../../src-shared/ipc-contract';
import type { AccountKeyMemory } from '../account/account-key-memory';
import type { AccountKeyService } from '../account/account-key-service';
import type { BackupConfigStore } from '../backup/backup-config-store';
import type { UnlockedAccountKeys } from '../ports';
import { ServiceError } from '../service-error';

export interface ServerMoveOptions {
  keys: Pick<
    AccountKeyService,
    'current' | 'serverMoveOffer' | 'endServerMoveOffer' | 'askServerMoveAgain' | 'view'
  >;
  memory: Pick<AccountKeyMemory, 'moveServer'>;
  config: Pick<BackupConfigStore, 'update'>;
  /**
   * Makes the new address the default, forgets this computer's device credentials kept for the old
   * one, and brings the moved vaults' directory rows and slots up to date (VaultDirectoryService.sync).
   */
  afterMove(move: { from: string; to: string; username: string }): Promise<void>;
}

export class ServerMove {
  constructor(private readonly o: ServerMoveOptions) {}

  async answer(accept: boolean): Promise<AccountKeyView> {
    const offer = this.o.keys.serverMoveOffer();
    const keys = this.o.keys.current();
    if (!offer || !keys) {
      throw new ServiceError('conflict', "No move of this account's server is waiting for an answer.");
    }
    this.o.keys.endServerMoveOffer(!accept);
    if (accept) {
      this.o.config.update((c) => {
        for (const v of c.vaults) moveVault(v, offer.from, offer.to, keys);
      });
      this.o.memory.moveServer(offer.from, offer.to, keys.username);
      await this.o.afterMove({ ...offer, username: keys.username });
    }
    return this.o.keys.view();
  }

  /** A declined move, offered again (Storage vaults: "Ask again"). */
  async askAgain(): Promise<AccountKeyView> {
    this.o.keys.askServerMoveAgain();
    return this.o.keys.view();
  }
}

/** Moves one vault of this account from the old address to the new one; another's stays as it is. */
function moveVault(v: Vault, from: string, to: string, keys: UnlockedAccountKeys): void {
  const ownedThere =
    v.owner !== undefined &&
    v.owner.server !== THIS_COMPUTERS_SERVER &&
    origin(v.owner.server) === from &&
    v.owner.accountUid === keys.accountUid;
  // Account storage names its account in its address; one made before owners has no owner yet.
  const storageThere =
    v.type === 'account' &&
    origin(v.serverUrl) === from &&
    v.username.toLowerCase() === keys.username &&
    (v.owner === undefined || ownedThere);
  if (ownedThere) v.owner = { server: to, accountUid: keys.accountUid };
  if (storageThere && v.type === 'account') v.serverUrl = to;
}

function origin(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
