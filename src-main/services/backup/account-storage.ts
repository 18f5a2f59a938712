/**
 * Account-storage vaults reach their repository on the account server with this device's token
 * (the one the lock service keeps in the keychain), so scheduled backups run while the app is
 * locked. A vault belongs to the server and account it was made with: when the app now signs in
 * elsewhere, its jobs refuse to run and say so, rather than write to (or fail against) another
 * account. The token goes only to the job process, never to a log or the renderer.
 */
import { THIS_COMPUTERS_SERVER, type AccountVault } from '../../../src-shared/backup-config';
import type { DeviceStorageUsage } from '../../../src-shared/http-api';
import type { AccountStorageUsage } from '../../../src-shared/ipc-contract';
import type { RepoLocation } from '../../../src-shared/job-protocol';
import { ServiceError } from '../service-error';
import { accountRepositoryUrl } from '../../../src-shared/repo-location';

export interface SignedInAccount {
  /** The server's origin. */
  serverUrl: string;
  username: string;
  /** The embedded local server, at whatever port it has now. */
  isLocal?: boolean;
}

/** What the lock service knows about the account this installation signs in to. */
export interface DeviceAccount {
  /** The remembered account (locked or not); null before the first unlock here. */
  signedInAccount(): Promise<SignedInAccount | null>;
  /** This device's token for that account, or null when this computer holds none. */
  deviceToken(account: SignedInAccount): Promise<string | null>;
}

export interface AccountStorageAccessOptions {
  device: DeviceAccount;
  /** The account server's device-scoped storage figures (AccountClient.deviceStorage). */
  usage(serverUrl: string, deviceToken: string): Promise<DeviceStorageUsage>;
}

export class AccountStorageAccess {
  private readonly device: DeviceAccount;

  constructor(private readonly o: AccountStorageAccessOptions) {
    this.device = o.device;
  }

  /** The account a new account-storage vault is made on, with the token to reach it. */
  async current(): Promise<SignedInAccount & { token: string }> {
    const account = await this.device.signedInAccount();
    if (!account) {
      throw new ServiceError(
        'conflict',
        'Strongroom has not signed in to an account server yet: unlock it first.',
      );
    }
    return { ...account, token: await this.token(account) };
  }

  /** Where the vault's repository is, with this device's token; refuses another server or account. */
  async locationFor(vault: AccountVault): Promise<RepoLocation> {
    const account = await this.device.signedInAccount();
    const vaultServer = serverOf(vault, account);
    if (!account || account.serverUrl !== vaultServer || account.username !== vault.username.toLowerCase()) {
      const now = account ? `${account.username} on ${account.serverUrl}` : 'no account';
      throw new ServiceError(
        'conflict',
        `The vault "${vault.name}" is account storage of ${vault.username} on ${vaultServer}, but Strongroom ` +
          `now signs in as ${now}. Sign in as ${vault.username} on ${vaultServer} to use it.`,
      );
    }
    return {
      kind: 'account',
      url: accountRepositoryUrl(vaultServer, vault.username, vault.repository),
      token: await this.token(account),
    };
  }

  /**
   * How much of the account's storage is used, and its quota, as the server counts them, with the
   * server's alerts about files deleted from this vault's repository (the account's others are
   * other vaults', or no vault's here).
   */
  async usage(vault: AccountVault): Promise<AccountStorageUsage> {
    const location = await this.locationFor(vault);
    if (location.kind !== 'account') throw new Error('unreachable: account vaults have account locations');
    const serverUrl = serverOf(vault, await this.device.signedInAccount());
    const figures = await this.o.usage(serverUrl, location.token);
    return {
      serverUrl,
      usedBytes: figures.usedBytes,
      quotaBytes: figures.quotaBytes,
      graceDays: figures.graceDays,
      deletionAlerts: figures.deletionAlerts.filter((a) => a.repository === vault.repository),
      panelStorageUrl: `${serverUrl}/#/storage`,
    };
  }

  private async token(account: SignedInAccount): Promise<string> {
    const token = await this.device.deviceToken(account).catch(() => null);
    if (!token) {
      throw new ServiceError(
        'conflict',
        `This computer holds no device token for ${account.username} on ${account.serverUrl}, so it cannot ` +
          'reach the account storage. Unlock Strongroom (sign in) to get one; backups to it run after that.',
      );
    }
    return token;
  }
}

/** The vault's server: account storage of the embedded local server follows it to its port of now. */
function serverOf(vault: AccountVault, account: SignedInAccount | null): string {
  const local = vault.owner?.server === THIS_COMPUTERS_SERVER && account?.isLocal === true;
  return local ? account.serverUrl : new URL(vault.serverUrl).origin;
}
