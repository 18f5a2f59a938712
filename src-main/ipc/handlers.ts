/** Every channel of the contract, bound to the service that answers it. */
import type { AccountService } from '../services/account-service';
import type { BackupService } from '../services/backup/backup-service';
import type { JobHistoryService } from '../services/backup/job-history-service';
import type { RecoveryKitService } from '../services/backup/recovery-kit';
import type { RestoreService } from '../services/backup/restore-service';
import type { ProtectedItemService } from '../services/backup/protected-item-service';
import type { VaultService } from '../services/backup/vault-service';
import type { CatalogueService } from '../catalogue/catalogue-service';
import type { ComputerProfileService } from '../services/account-vaults/computer-profile-service';
import type { VaultDirectoryService } from '../services/account-vaults/vault-directory-service';
import type { VaultRekey } from '../services/account-vaults/vault-rekey';
import type { DriveOpener } from '../services/account-vaults/drive-opener';
import type { ServerMove } from '../services/account-vaults/server-move';
import type { Dialogs } from '../services/ports';
import type { LockService } from '../services/lock-service';
import type { SecretStoreKind } from '../../src-shared/ipc-contract';
import type { SettingsService } from '../services/settings-service';
import type { Handlers } from './dispatch';

export interface HandlerServices {
  lock: LockService;
  account: AccountService;
  settings: SettingsService;
  /** Which store keeps the device token, shown with the settings. */
  secretStore: SecretStoreKind;
  backup: BackupService;
  restore: RestoreService;
  jobs: JobHistoryService;
  recoveryKits: RecoveryKitService;
  vaults: VaultService;
  items: ProtectedItemService;
  catalogue: CatalogueService;
  directory: VaultDirectoryService;
  profiles: ComputerProfileService;
  serverMove: ServerMove;
  dialogs: Dialogs;
  /** "Replace this vault's password with a random key". */
  vaultRekey: VaultRekey;
  /** "Open a drive with a recovery key". */
  driveOpener: DriveOpener;
  /** Runs after the answer to lock:lockAndClose has been sent, so the renderer sees it first. */
  defer?: (fn: () => void) => void;
}

export function createHandlers({
  lock,
  account,
  settings,
  secretStore,
  backup,
  restore,
  jobs,
  recoveryKits,
  vaults,
  items,
  catalogue,
  directory,
  profiles,
  serverMove,
  dialogs,
  vaultRekey,
  driveOpener,
  defer = (fn) => setTimeout(fn, 0),
}: HandlerServices): Handlers {
  return {
    'lock:status': () => lock.status(),
    'auth:unlock': (input) => lock.unlock(input),
    'lock:lockAndClose': () => {
      // Lock now (the state is written before we answer); close once the answer is out.
      lock.lock('manual');
      defer(() => lock.lockAndClose());
      return null;
    },
    'lock:lockNow': () => {
      lock.lockNow();
      return null;
    },
    'account:get': () => account.get(),
    'account:keepDeviceKeyAgain': () => account.keepDeviceKeyAgain(),
    'totp:begin': () => account.totpBegin(),
    'totp:confirm': (input) => account.totpConfirm(input),
    'totp:disable': (input) => account.totpDisable(input),
    'totp:regenerateRecoveryCodes': (input) => account.regenerateRecoveryCodes(input),
    'settings:get': () => ({ ...settings.get(), secretStore }),
    'settings:set': (input) => ({ ...settings.set(input), secretStore }),
    'activity:ping': () => {
      lock.activity();
      return null;
    },
    'auth:createAccount': (input) => lock.createAccount(input),

    'backup:overview': () => backup.overview(),
    'backup:setPreferences': (input) => backup.setPreferences(input),
    'vault:create': (input) => vaults.create(input),
    'vault:rename': (input) => vaults.rename(input.vaultId, input.name),
    'vault:remove': async (input) => {
      await vaults.remove(input.vaultId);
      return null;
    },
    'vault:enterPassword': (input) => vaults.enterPassword(input.vaultId, input.password),
    'vault:verify': (input) => backup.verify(input.vaultId, input.readData),
    'vault:storageUsage': (input) => vaults.storageUsage(input.vaultId),
    'vault:saveRecoveryKit': (input) => recoveryKits.saveRecoveryKit(input),
    'vault:rekeyOffers': () => lock.withSession(() => vaultRekey.offers()),
    // Replacing a vault's password needs the account password (and code) again, so a page script
    // cannot do it with the unlocked session alone.
    'vault:rekey': ({ vaultId, password, totp, recoveryCode }) =>
      lock.withSession(async () => {
        await account.reauthenticate({ password, totp, recoveryCode });
        return vaultRekey.rekey(vaultId);
      }),
    'vault:openDrive': ({ path, recoveryKey, accountPassword }) =>
      driveOpener.open(
        path,
        recoveryKey !== undefined ? { recoveryKey } : { accountPassword: accountPassword! },
      ),
    'item:save': (input) => backup.itemView(items.save(input)),
    'item:remove': (input) => {
      items.remove(input.itemId);
      return null;
    },
    'item:checkPaths': (input) => items.checkPaths(input.paths),
    'job:backupNow': (input) => backup.backupNow(input.itemId),
    'job:cancel': (input) => jobs.cancel(input.jobId),
    'job:list': (input) => jobs.list(input),
    'job:get': (input) => jobs.get(input.jobId),
    'restore:snapshots': (input) => restore.snapshots(input.vaultId, input.itemId),
    'restore:browse': (input) => restore.browse(input.vaultId, input.snapshotId, input.path),
    'restore:start': (input) => restore.restore(input),
    'catalogue:search': (input) => catalogue.search(input),
    'catalogue:versions': (input) => catalogue.versions(input),
    'catalogue:diff': (input) => catalogue.diff(input),
    'catalogue:status': () => catalogue.status(),
    'catalogue:update': (input) => catalogue.update(input.vaultId, input.rebuild),
    'dialog:choosePath': (input) => dialogs.choosePath(input),
    'shell:showInFolder': async (input) => ({ shown: await dialogs.showInFolder(input.path) }),

    'accountKey:status': () => account.keyStatus(),
    'accountKit:get': () => account.kit(),
    'accountKit:showAgain': (input) => account.showKitAgain(input),
    'accountKit:save': (input) => account.saveKit(input.destinationPath),
    'accountKit:confirmSaved': () => account.confirmKitSaved(),
    'accountKit:new': (input) => account.newKit(input),
    'account:reauthenticate': (input) => account.reauthenticate(input),
    'account:changePassword': (input) => account.changePassword(input),
    'auth:forgotPassword': (input) => lock.forgotPassword(input),
    'account:answerServerMove': ({ accept, password, totp, recoveryCode }) =>
      lock.withSession(async () => {
        if (accept) await account.reauthenticate({ password: password ?? '', totp, recoveryCode });
        return serverMove.answer(accept);
      }),
    'account:computers': () => profiles.computers(),
    'account:addVaults': (input) => directory.addVaults(input.vaultIds),
    'account:connectDrive': (input) => directory.connectDrive(input.vaultId, input.path),
    // Ending another computer (its device, its wrap, its vaults re-keyed) needs the password and
    // the code again, so a page script cannot do it with the unlocked session alone.
    'account:takeOver': ({ password, totp, recoveryCode, ...takeOver }) =>
      profiles.takeOver(
        takeOver,
        password === undefined ? undefined : () => account.reauthenticate({ password, totp, recoveryCode }),
      ),
    'account:startFresh': (input) => account.startFresh(input),
    'account:lockedVaults': () => lock.withSession(() => directory.lockedVaults()),
    'account:askServerMoveAgain': () => lock.withSession(() => serverMove.askAgain()),
    'account:openLockedVaults': (input) => lock.withSession(() => directory.openLocked(input.recoveryKey)),
  };
}
