/** Every channel of the contract, bound to the service that answers it. */
import type { AccountService } from '../services/account-service';
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
  /** Runs after the answer to lock:lockAndClose has been sent, so the renderer sees it first. */
  defer?: (fn: () => void) => void;
}

export function createHandlers({
  lock,
  account,
  settings,
  secretStore,
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
    'account:get': () => account.get(),
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
  };
}
