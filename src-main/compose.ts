/**
 * The services and the dispatch gate, built from their ports. Shared by the Electron composition
 * root (index.ts) and the browser harness, so both run exactly the same services.
 */
import type { SecretStoreKind } from '../src-shared/ipc-contract';
import { createDispatch, type Dispatch } from './ipc/dispatch';
import { createHandlers } from './ipc/handlers';
import { AccountClient } from './services/account-client';
import { AccountService } from './services/account-service';
import { LockService, type Logger } from './services/lock-service';
import type {
  AppShell,
  Clock,
  LocalAccountServer,
  PowerEvents,
  SecretStore,
  SettingsStore,
} from './services/ports';
import { SettingsService } from './services/settings-service';

export interface Ports {
  store: SettingsStore;
  secrets: SecretStore;
  /** What backs `secrets`, shown in the settings. */
  secretStoreKind: SecretStoreKind;
  clock: Clock;
  shell: AppShell;
  power?: PowerEvents;
  localServer: LocalAccountServer | null;
  defaultServerUrl?: string;
  deviceName: string;
  log?: Logger;
  client?: AccountClient;
}

export interface Services {
  settings: SettingsService;
  lock: LockService;
  account: AccountService;
  client: AccountClient;
  dispatch: Dispatch;
}

export function composeServices(ports: Ports): Services {
  const client = ports.client ?? new AccountClient();
  const settings = new SettingsService(ports.store);
  const lock = new LockService({
    store: ports.store,
    settings,
    client,
    secrets: ports.secrets,
    clock: ports.clock,
    shell: ports.shell,
    ...(ports.power ? { power: ports.power } : {}),
    localServer: ports.localServer,
    ...(ports.defaultServerUrl ? { defaultServerUrl: ports.defaultServerUrl } : {}),
    deviceName: ports.deviceName,
    ...(ports.log ? { log: ports.log } : {}),
  });
  const account = new AccountService(lock, client);
  const dispatch = createDispatch({
    handlers: createHandlers({ lock, account, settings, secretStore: ports.secretStoreKind }),
    isLocked: () => lock.isLocked(),
    ...(ports.log ? { log: (m: string) => ports.log!.warn(m) } : {}),
  });
  return { settings, lock, account, client, dispatch };
}
