/**
 * Composition root of the Electron app: adapters -> services -> IPC -> window. Nothing else.
 * Layout at run time: dist/electron/main.js (this, bundled), dist/electron/preload.cjs,
 * dist/renderer/desktop/index.html.
 */
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  Menu,
  Notification,
  Tray,
  app,
  dialog,
  ipcMain,
  nativeImage,
  powerMonitor,
  safeStorage,
  shell,
  utilityProcess,
  type BrowserWindow,
} from 'electron';
import { ElectronDialogs } from './adapters/electron-dialogs';
import { ElectronLoginItem, startedHidden } from './adapters/electron-login-item';
import { ElectronNotifier } from './adapters/electron-notifier';
import {
  ElectronAppShell,
  ElectronPowerEvents,
  ElectronPowerSource,
  ElectronRendererEvents,
} from './adapters/electron-shell';
import { ElectronTrayIcon } from './adapters/electron-tray';
import { bundledCatalogueWorkerPath } from './catalogue/catalogue-worker-thread';
import { bundledArgon2WorkerPath } from './adapters/argon2-worker-thread';
import { UtilityProcessEngineRunner, bundledJobProcessPath } from './adapters/utility-process-engine-runner';
import type { SecretStoreKind } from '../src-shared/ipc-contract';
import { ElectronStoreSettings } from './adapters/electron-store-settings';
import { EmbeddedAccountServer } from './adapters/embedded-account-server';
import { InMemorySecretStore } from './adapters/in-memory-secret-store';
import { KeytarSecretStore, loadKeytar } from './adapters/keytar-secret-store';
import { SafeStorageSecretStore } from './adapters/safe-storage-secret-store';
import { composeServices } from './compose';
import { ownUrlChecker, registerIpc } from './ipc/register';
import { SECRET_SERVICE_NAME } from './services/lock-service';
import { systemClock, type SecretStore } from './services/ports';
import { applySessionPolicy, createMainWindow, focusWindow } from './window';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.join(here, '..', 'renderer');
const indexHtmlPath = path.join(rendererDir, 'desktop', 'index.html');
const preloadPath = path.join(here, 'preload.cjs');
/** The embedded server's usual port (the account server's default), so its panel keeps its address. */
const LOCAL_SERVER_PORT = 8437;

// Development only: the Vite dev server, never in a packaged app.
const devServerUrl = !app.isPackaged ? process.env.STRONGROOM_DEV_SERVER_URL : undefined;
const isDev = !app.isPackaged && process.env.NODE_ENV === 'development';

// An account server chosen for this run (tests, managed installs): the default on the unlock screen
// instead of the embedded one, which then never starts.
const serverUrlFromEnv = parseServerUrl(process.env.STRONGROOM_SERVER_URL);

// Tests and side-by-side installs: a whole separate data directory (settings, lock state, server).
// Otherwise "<appData>/Strongroom" both packaged and from `npm start` (where Electron would name it
// after package.json's lower-case name). Before the single-instance lock, which is per directory.
app.setPath(
  'userData',
  process.env.STRONGROOM_DATA_DIR
    ? path.resolve(process.env.STRONGROOM_DATA_DIR)
    : path.join(app.getPath('appData'), 'Strongroom'),
);

let window: BrowserWindow | null = null;

if (!app.requestSingleInstanceLock()) {
  // Another Strongroom runs with this data directory: it focuses its window (second-instance).
  app.quit();
} else {
  app
    .whenReady()
    .then(main)
    .catch((error: unknown) => {
      console.error('Strongroom could not start:', error);
      app.exit(1);
    });
}

async function main(): Promise<void> {
  const userData = app.getPath('userData');
  const secrets = await chooseSecretStore(userData);
  const localServer = new EmbeddedAccountServer({
    dataDir: path.join(userData, 'server'),
    rendererDir,
    preferredPort: LOCAL_SERVER_PORT,
  });
  const jobProcesses = new UtilityProcessEngineRunner(
    (modulePath, args, options) => utilityProcess.fork(modulePath, args, options),
    bundledJobProcessPath(import.meta.url),
  );
  const services = composeServices({
    store: new ElectronStoreSettings({ cwd: userData }),
    secrets: secrets.store,
    secretStoreKind: secrets.kind,
    clock: systemClock,
    shell: new ElectronAppShell(() => window),
    power: new ElectronPowerEvents(powerMonitor),
    localServer: serverUrlFromEnv ? null : localServer,
    ...(serverUrlFromEnv ? { defaultServerUrl: serverUrlFromEnv } : {}),
    deviceName: os.hostname(),
    dataDir: userData,
    runner: jobProcesses,
    sessions: { processes: jobProcesses },
    catalogueWorker: { entry: bundledCatalogueWorkerPath(import.meta.url) },
    // Run from its sources (the composition root's tests), main finds no bundle beside it: the
    // worker then runs from the sources too, through tsx.
    argon2Worker: fs.existsSync(bundledArgon2WorkerPath(import.meta.url))
      ? { entry: bundledArgon2WorkerPath(import.meta.url) }
      : {},
    events: new ElectronRendererEvents(() => window),
    notifier: new ElectronNotifier(Notification),
    dialogs: new ElectronDialogs(dialog, shell, () => window),
    powerSource: new ElectronPowerSource(powerMonitor),
    tray: new ElectronTrayIcon({
      createTray: (image) => new Tray(image),
      image: (png) => nativeImage.createFromBuffer(png),
      buildMenu: (template) => Menu.buildFromTemplate(template),
    }),
    loginItem: new ElectronLoginItem(app),
    openWindow: () => openWindow(),
    quit: () => app.quit(),
  });
  const { lock } = services;

  const isOwnUrl = ownUrlChecker({
    indexHtmlUrl: pathToFileURL(indexHtmlPath).href,
    ...(devServerUrl ? { devServerUrl } : {}),
  });
  applySessionPolicy(isDev, isOwnUrl);
  registerIpc(ipcMain, services.dispatch, {
    webContents: () => (window && !window.isDestroyed() ? window.webContents : null),
    isOwnUrl,
  });

  /** The one window: created when needed (a start at sign-in has none until "Open Strongroom"). */
  function openWindow(): void {
    if (window && !window.isDestroyed()) {
      focusWindow(window);
      return;
    }
    const win = createMainWindow({
      preloadPath,
      indexHtmlPath,
      ...(devServerUrl ? { devServerUrl } : {}),
      isDev,
      // Synchronous: the lock state is on disk before the window goes away.
      onClose: () => lock.lockForClose(),
      onLockNow: () => lock.lockNow(),
    });
    window = win;
    services.presence.windowOpened();
    win.on('closed', () => {
      if (window === win) window = null;
    });
    // Windows log-off/shutdown ends the session without always closing windows first.
    win.on('session-end', () => {
      services.presence.allowQuit();
      lock.lockForClose();
    });
  }

  app.on('second-instance', () => openWindow());
  // macOS: a click on the Dock icon while Strongroom runs in the tray with no window.
  app.on('activate', () => openWindow());
  powerMonitor.on('shutdown', () => {
    services.presence.allowQuit();
    lock.lockForClose();
  });
  // The app menu's Quit and Cmd+Q ask first while a job runs, as the tray's Quit does.
  app.on('before-quit', (event) => {
    if (!services.presence.beforeQuit()) {
      event.preventDefault();
      return;
    }
    lock.lockForClose();
  });

  // Closing the window locks (its close handler). With a schedule, Strongroom keeps running in the
  // tray so backups happen on time; without one, closing quits, on every platform, once a running
  // job has finished.
  app.on('window-all-closed', () => services.presence.lastWindowClosed());

  let serverStopped = false;
  app.on('will-quit', (event) => {
    if (serverStopped) return;
    event.preventDefault();
    serverStopped = true;
    services.dispose();
    // Close the embedded server's database cleanly, but never hang the quit on it.
    const timeout = new Promise((resolve) => setTimeout(resolve, 2000));
    void Promise.race([localServer.stop(), timeout]).finally(() => app.quit());
  });

  // Started at sign-in: in the tray, locked, the scheduler running; no window until asked for.
  if (!(startedHidden(process.argv) && services.presence.hasSchedule())) openWindow();

  // Start the embedded server early when it is the one in use, so the unlock screen shows it.
  void lock.status().catch(() => undefined);
}

/**
 * The device token's store: the OS keychain through keytar where it built; else Electron's
 * safeStorage (a file in userData encrypted with the OS's key); else, with no OS key to encrypt
 * with, memory only (never a secret on disk that anyone could decrypt).
 */
async function chooseSecretStore(userData: string): Promise<{ store: SecretStore; kind: SecretStoreKind }> {
  const keytar = loadKeytar();
  if (keytar.ok)
    return { store: new KeytarSecretStore(keytar.keytar, SECRET_SERVICE_NAME), kind: 'keychain' };
  const safe = new SafeStorageSecretStore({ safeStorage, file: path.join(userData, 'secrets.json') });
  const unprotected = await safe.unprotectedReason();
  if (unprotected === null) {
    console.warn(`${keytar.reason}: the device token is kept with Electron's safeStorage instead`);
    return { store: safe, kind: 'safe-storage' };
  }
  console.warn(`${keytar.reason}, and ${unprotected}: the device token is kept in memory only`);
  return { store: new InMemorySecretStore(), kind: 'memory' };
}

function parseServerUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  } catch {
    // fall through
  }
  console.error(`Ignoring STRONGROOM_SERVER_URL: not an http(s) URL`);
  return undefined;
}
