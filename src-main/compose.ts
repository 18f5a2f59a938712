/**
 * The services and the dispatch gate, built from their ports. Shared by the Electron composition
 * root (index.ts) and the browser harness, so both run exactly the same services.
 */
import path from 'node:path';
import type { SecretStoreKind } from '../src-shared/ipc-contract';
import { createDispatch, type Dispatch } from './ipc/dispatch';
import { createHandlers } from './ipc/handlers';
import { AccountClient } from './services/account-client';
import { AccountService } from './services/account-service';
import { AccountStorageAccess } from './services/backup/account-storage';
import { BackgroundPresence } from './services/backup/background-presence';
import { BackupConfigStore } from './services/backup/backup-config-store';
import { THIS_COMPUTERS_SERVER, type PendingVaultOwner } from '../src-shared/backup-config';
import { BackupNotifier } from './services/backup/backup-notifier';
import { BackupScheduler } from './services/backup/backup-scheduler';
import { BackupService } from './services/backup/backup-service';
import { JobHistoryService } from './services/backup/job-history-service';
import { RecoveryKitService } from './services/backup/recovery-kit';
import { RestoreService } from './services/backup/restore-service';
import type { EngineRunner } from './services/backup/engine-runner';
import { JobHistoryStore } from './services/backup/job-history-store';
import { JobQueue } from './services/backup/job-queue';
import { JobReportOutbox } from './services/backup/job-report-outbox';
import { JobReporter } from './services/backup/job-reporter';
import { ProtectedItemService } from './services/backup/protected-item-service';
import { VaultService } from './services/backup/vault-service';
import { RepositorySessions, type SessionProcessStarter } from './services/backup/repository-sessions';
import { CatalogueWorkerThread, type CatalogueWorkerOptions } from './catalogue/catalogue-worker-thread';
import { Argon2WorkerThread, type Argon2WorkerOptions } from './adapters/argon2-worker-thread';
import { AccountKeyMemory } from './services/account/account-key-memory';
import { AccountKeyService } from './services/account/account-key-service';
import { catalogueFileFor } from './catalogue/catalogue-file';
import { CatalogueService } from './catalogue/catalogue-service';
import { ComputerProfileService } from './services/account-vaults/computer-profile-service';
import { DirectoryState } from './services/account-vaults/directory-state';
import { VaultDirectoryService } from './services/account-vaults/vault-directory-service';
import { VaultRekey } from './services/account-vaults/vault-rekey';
import { DriveOpener } from './services/account-vaults/drive-opener';
import {
  ownerOf,
  ownership,
  pendingOwnerOf,
  stampUnownedVaults,
} from './services/account-vaults/vault-owner';
import { ServerMove } from './services/account-vaults/server-move';
import { LockService, type Logger } from './services/lock-service';
import type {
  AppShell,
  Clock,
  Dialogs,
  LocalAccountServer,
  LoginItem,
  Notifier,
  PowerEvents,
  PowerSource,
  RendererEvents,
  SecretStore,
  SettingsStore,
  TrayIcon,
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
  /** Default: one with this installation's kept computer id, deriving in the Argon2id worker thread. */
  client?: AccountClient;
  /** The worker thread that runs Argon2id (and a legacy account's scrypt); default: from the TypeScript sources. */
  argon2Worker?: Argon2WorkerOptions;
  /** The app's data directory: the job history is <dataDir>/jobs.sqlite. */
  dataDir: string;
  /** Runs engine requests in the job process. */
  runner: EngineRunner;
  /**
   * Starts the processes of repository sessions, which answer the restore wizard's queries (one per
   * vault in use, the repository kept open); without it, each query gets a process of its own.
   */
  sessions?: { processes: SessionProcessStarter; idleMs?: number };
  /** The worker thread that answers catalogue queries; default: from the TypeScript sources. */
  catalogueWorker?: CatalogueWorkerOptions;
  /** Job events to the renderer; sent only while unlocked. */
  events?: RendererEvents;
  notifier?: Notifier;
  dialogs?: Dialogs;
  powerSource?: PowerSource;
  tray?: TrayIcon;
  loginItem?: LoginItem;
  /** "Open Strongroom" from the tray. */
  openWindow?: () => void;
  /** "Quit Strongroom" from the tray, once confirmed. */
  quit?: () => void;
}

export interface Services {
  settings: SettingsService;
  lock: LockService;
  account: AccountService;
  client: AccountClient;
  /** The account master key while unlocked (the AccountKeyHolder of the directory and profile services). */
  keys: AccountKeyService;
  /** The Argon2id worker thread the default client derives in. */
  argon2: Argon2WorkerThread;
  config: BackupConfigStore;
  history: JobHistoryStore;
  queue: JobQueue;
  vaults: VaultService;
  items: ProtectedItemService;
  backup: BackupService;
  restore: RestoreService;
  scheduler: BackupScheduler;
  presence: BackgroundPresence;
  catalogue: CatalogueService;
  /** The open repository sessions, when `sessions` was given. */
  sessions: RepositorySessions | null;
  /** The account's vault directory: every vault's sealed row and account slot; Restore files, Connect the drive. */
  directory: VaultDirectoryService;
  /** Computer profiles: account:computers and takeOver. */
  profiles: ComputerProfileService;
  dispatch: Dispatch;
  /** Stops timers and closes the job history (quit). Running jobs are cancelled. */
  dispose(): void;
}

/** Where there are no native dialogs (the harness): the form takes a typed path, checked by main. */
export const noDialogs: Dialogs = {
  choosePath: () => Promise.resolve({ supported: false, paths: [] }),
  confirmQuit: () => Promise.resolve(true),
  showInFolder: () => Promise.resolve(false),
};

export function composeServices(ports: Ports): Services {
  // As the lock service decides it: the embedded server is the local one unless another is the default.
  const isLocalServer = (serverUrl: string): boolean => {
    const local = ports.localServer?.url();
    return !ports.defaultServerUrl && !!local && new URL(local).origin === new URL(serverUrl).origin;
  };
  const memory = new AccountKeyMemory(ports.store, isLocalServer);
  const argon2 = new Argon2WorkerThread(ports.argon2Worker);
  const client =
    ports.client ??
    new AccountClient({
      computerId: memory.computerId(),
      argon2: argon2.run,
      legacyProof: argon2.legacyProof,
      schemes: memory,
    });
  const settings = new SettingsService(ports.store);
  const keys = new AccountKeyService({
    client,
    memory,
    settings,
    secrets: ports.secrets,
    clock: ports.clock,
    ...(ports.log ? { log: ports.log } : {}),
  });
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
    keys,
    mayRemember: (account) => !config.get().vaults.some((v) => ownership(v, account) === 'foreign'),
  });
  const account = new AccountService(lock, client, keys);
  // The AMK is zeroed and a pending kit's recovery key forgotten when the app locks.
  lock.onLock(() => keys.forget());
  const warn = (m: string) => (ports.log ?? console).warn(m);

  const config = new BackupConfigStore(ports.store);
  stampUnownedVaultsAtStart(config, rememberedOwner(settings, ports, isLocalServer), warn);
  const jobsFile = path.join(ports.dataDir, 'jobs.sqlite');
  const history = new JobHistoryStore(jobsFile, () => ports.clock.now());
  const outbox = new JobReportOutbox(jobsFile);
  const reporter = new JobReporter({
    outbox,
    device: lock,
    send: (serverUrl, token, report) => client.reportJob(serverUrl, token, report),
    clock: ports.clock,
    log: warn,
  });
  const sessions = ports.sessions
    ? new RepositorySessions({
        processes: ports.sessions.processes,
        runner: ports.runner,
        dataDir: ports.dataDir,
        ...(ports.sessions.idleMs !== undefined ? { idleMs: ports.sessions.idleMs } : {}),
      })
    : null;
  const vaults = new VaultService({
    config,
    secrets: ports.secrets,
    runner: ports.runner,
    ...(sessions ? { sessions } : {}),
    clock: ports.clock,
    accountStorage: new AccountStorageAccess({
      device: lock,
      usage: (serverUrl, token) => client.deviceStorage(serverUrl, token),
    }),
    accountKeepsPasswords: () => keys.current() !== null,
    owner: () => {
      const k = keys.current();
      return k ? ownerOf(k) : null;
    },
    pendingOwner: () => {
      const s = lock.sessionAccount();
      return s ? pendingOwnerOf(s) : rememberedOwner(settings, ports, isLocalServer);
    },
  });
  const queue = new JobQueue({
    history,
    runner: ports.runner,
    clock: ports.clock,
    passwords: vaults,
    log: warn,
  });
  // The scheduler starts backups through the backup service, which asks the scheduler for next runs.
  const scheduler = new BackupScheduler({
    config,
    history,
    clock: ports.clock,
    target: { run: (item, trigger) => backup.run(item, trigger), skip: (i, t, m) => backup.skip(i, t, m) },
    ...(ports.power ? { power: ports.power } : {}),
    ...(ports.powerSource ? { powerSource: ports.powerSource } : {}),
    log: warn,
  });
  const items = new ProtectedItemService(config, ports.clock, scheduler);
  const backup: BackupService = new BackupService({
    config,
    vaults,
    items,
    queue,
    history,
    clock: ports.clock,
    scheduler,
    hostName: ports.deviceName,
    catalogueFile: (vaultId) => catalogueFileFor(ports.dataDir, vaultId),
  });
  const restore = new RestoreService({
    config,
    vaults,
    queue,
    // The backups list and the restore tree: a vault's session answers them.
    runner: sessions ?? ports.runner,
  });
  const jobs = new JobHistoryService(queue, history);
  const recoveryKits = new RecoveryKitService({
    vaults,
    clock: ports.clock,
    verifyAccountPassword: (password) =>
      lock.withSession((s) => client.verifyPassword(s.serverUrl, s.sessionToken, s.username, password)),
    // Without the key (not available) the owner cannot be told; the password check still applies.
    belongsToAnother: (vault) => {
      const k = keys.current();
      return k !== null && ownership(vault, k) === 'foreign';
    },
  });

  const catalogue = new CatalogueService({
    dataDir: ports.dataDir,
    config,
    vaults,
    queue,
    history,
    reads: new CatalogueWorkerThread(ports.catalogueWorker),
    log: warn,
  });

  const directoryState = new DirectoryState(ports.store);
  const directory = new VaultDirectoryService({
    keys,
    client,
    config,
    vaults,
    runner: ports.runner,
    state: directoryState,
    hostName: ports.deviceName,
    serverIsLocal: (serverUrl) => {
      const local = ports.localServer?.url();
      return !!local && new URL(local).origin === new URL(serverUrl).origin;
    },
    catalogue,
    log: warn,
  });
  const profiles = new ComputerProfileService({
    keys,
    client,
    config,
    directory,
    vaults,
    state: directoryState,
    clock: ports.clock,
    computerName: ports.deviceName,
    platform: process.platform,
    lastSuccessAt: (itemId) => history.lastSuccessAt(itemId),
    onJobEnded: (listener) => queue.onEnded((job) => listener(job)),
    itemView: (item) => backup.itemView(item),
    log: warn,
  });
  // The unlock offers "This account has backups from N computers" from the directory.
  keys.setRestoreOffer(directory);

  const dialogs = ports.dialogs ?? noDialogs;
  const presence = new BackgroundPresence({
    config,
    queue,
    history,
    ...(ports.tray ? { tray: ports.tray } : {}),
    ...(ports.loginItem ? { loginItem: ports.loginItem } : {}),
    dialogs,
    open: ports.openWindow ?? (() => undefined),
    quit: ports.quit ?? (() => undefined),
    lockNow: () => lock.lockNow(),
  });
  const notifier = ports.notifier
    ? new BackupNotifier({
        notifier: ports.notifier,
        config,
        history,
        clock: ports.clock,
        deletionAlerts: async (vaultId) => (await vaults.storageUsage(vaultId)).deletionAlerts,
      })
    : null;

  // Vault passwords entered since the unlock are forgotten at lock; jobs keep running.
  lock.onLock(() => vaults.forgetEnteredPasswords());
  if (sessions) {
    // A locked app keeps no repository open: every session process ends.
    lock.onLock(() => void sessions.endAll());
    // A vault removed or moved: its session (which holds its key) ends.
    config.onChange(() => {
      if (sessions.openCount > 0) void vaults.places().then((places) => sessions.keepOnly(places));
    });
  }
  // Vaults never catalogued get their catalogue once a person is here to search it.
  lock.onUnlock(() => void catalogue.catalogueNew());
  vaults.onPasswordsChanged(() => queue.passwordsChanged());
  // The renderer hears about jobs only while unlocked (a locked page must learn nothing).
  queue.onChanged((job) => {
    if (!lock.isLocked()) ports.events?.send('onJobChanged', job);
    notifier?.jobChanged(job);
    presence.refresh();
  });
  queue.onProgress((progress) => {
    if (!lock.isLocked()) ports.events?.send('onJobProgress', progress);
    presence.progressChanged(progress);
  });
  config.onChange(() => presence.refresh());
  // Each job that ran is reported to the account server (figures only), in the background.
  queue.onEnded((job, outcome) => reporter.jobEnded(job, outcome));
  // Reports held back by a refused token go as soon as an unlock brings a fresh one.
  lock.onUnlock(() => void reporter.flush());

  const dispatch = createDispatch({
    handlers: createHandlers({
      lock,
      account,
      settings,
      secretStore: ports.secretStoreKind,
      backup,
      restore,
      jobs,
      recoveryKits,
      vaults,
      items,
      catalogue,
      directory,
      profiles,
      serverMove: new ServerMove({
        keys,
        memory,
        config,
        afterMove: async ({ from, to, username }) => {
          lock.rememberSession();
          await lock.forgetMovedDeviceToken(from, to, username);
          await keys.forgetMovedDeviceKey(from, username);
          return directory.sync();
        },
      }),
      dialogs,
      vaultRekey: new VaultRekey({
        keys,
        vaults,
        directory,
        activeVaultIds: () => queue.active().map((job) => job.vaultId),
      }),
      driveOpener: new DriveOpener({
        vaults,
        runner: ports.runner,
        keys,
        catalogue,
        log: warn,
        now: () => ports.clock.now(),
      }),
    }),
    isLocked: () => lock.isLocked(),
    ...(ports.log ? { log: (m: string) => ports.log!.warn(m) } : {}),
  });

  scheduler.start();
  catalogue.start();
  directory.start();
  profiles.start();
  notifier?.start();
  presence.refresh();
  void reporter.flush(); // reports a previous run could not send

  let disposed = false;
  return {
    settings,
    lock,
    account,
    client,
    keys,
    argon2,
    config,
    history,
    queue,
    vaults,
    items,
    backup,
    restore,
    scheduler,
    presence,
    catalogue,
    sessions,
    directory,
    profiles,
    dispatch,
    dispose() {
      if (disposed) return;
      disposed = true;
      scheduler.stop();
      notifier?.stop();
      queue.shutdown();
      void sessions?.endAll();
      reporter.stop();
      catalogue.dispose();
      directory.dispose();
      profiles.dispose();
      keys.forget();
      void argon2.dispose();
      lock.dispose();
      outbox.close();
      history.close();
    },
  };
}

/**
 * The account this computer remembers (the last unlock's), as a pending owner: vaults written
 * before owners get it at start-up, so that no other account can claim them by unlocking here.
 */
function rememberedOwner(
  settings: SettingsService,
  ports: Ports,
  isLocalServer: (serverUrl: string) => boolean,
): PendingVaultOwner | null {
  const { serverUrl, username } = settings.remembered();
  if (!username) return null;
  // Remembered as "the default": the server named at start-up, else the embedded one (any port).
  const server = serverUrl || ports.defaultServerUrl || null;
  if (server === null) return { server: THIS_COMPUTERS_SERVER, username };
  return pendingOwnerOf({ serverUrl: server, username, serverIsLocal: isLocalServer(server) });
}

function stampUnownedVaultsAtStart(
  config: BackupConfigStore,
  remembered: PendingVaultOwner | null,
  warn: (message: string) => void,
): void {
  if (!remembered) return;
  try {
    if (config.get().vaults.some((v) => v.type === 'local' && !v.owner && !v.pendingOwner)) {
      config.update((c) => void stampUnownedVaults(c, remembered));
    }
  } catch (error) {
    warn(`vaults without an owner were not stamped (${error instanceof Error ? error.name : 'error'})`);
  }
}
