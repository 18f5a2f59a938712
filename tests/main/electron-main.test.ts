/**
 * The Electron composition root (src-main/index.ts) and window (src-main/window.ts) without
 * Electron: `electron` is replaced by recording fakes, everything else is real (services,
 * electron-store on a temp dir, an account server on loopback). Proves the window's security
 * baseline, the IPC sender check in place, and the lock state written by the close handler.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadKeytar } from '../../src-main/adapters/keytar-secret-store';
import { channels } from '../../src-shared/ipc-contract';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';

const fake = vi.hoisted(() => {
  // Hoisted above the imports, so it loads node:events itself (only the type comes from the import).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { EventEmitter: Emitter } = require('node:events') as { EventEmitter: typeof EventEmitter };
  const state = {
    handlers: new Map<string, (event: unknown, input?: unknown) => Promise<unknown>>(),
    windows: [] as FakeWindow[],
    quits: 0,
    userData: '',
    permissionRequest: null as
      null | ((c: unknown, p: string, cb: (ok: boolean) => void, d: { requestingUrl: string }) => void),
    permissionCheck: null as
      null | ((c: unknown, p: string, origin: string, d: { requestingUrl?: string }) => boolean),
    willDownload: null as null | ((event: { preventDefault(): void }, item: { getURL(): string }) => void),
    headers: null as null | ((details: unknown, cb: (r: unknown) => void) => void),
    trays: [] as FakeTray[],
    notifications: [] as { title: string; body: string }[],
    loginItem: false,
    messageBoxAnswer: 1,
    messageBoxes: 0,
    appMenu: [] as { label?: string; submenu?: unknown }[],
  };
  class FakeTray extends Emitter {
    menu: { label?: string; click?: () => void }[] = [];
    tooltip = '';
    destroyed = false;
    constructor() {
      super();
      state.trays.push(this);
    }
    setToolTip(t: string) {
      this.tooltip = t;
    }
    setContextMenu(m: { label?: string; click?: () => void }[]) {
      this.menu = m;
    }
    destroy() {
      this.destroyed = true;
    }
  }
  class FakeNotification {
    static isSupported = () => true;
    constructor(private readonly options: { title: string; body: string }) {}
    show() {
      state.notifications.push(this.options);
    }
  }
  class FakeContents extends Emitter {
    mainFrame = { url: '' };
    sent: unknown[][] = [];
    reloads = 0;
    openHandler: (() => unknown) | null = null;
    setWindowOpenHandler(h: () => unknown) {
      this.openHandler = h;
    }
    send(...args: unknown[]) {
      this.sent.push(args);
    }
    reloadIgnoringCache() {
      this.reloads++;
    }
  }
  class FakeWindow extends Emitter {
    webContents = new FakeContents();
    destroyed = false;
    focused = 0;
    constructor(readonly options: Record<string, unknown>) {
      super();
      state.windows.push(this);
    }
    loadFile(file: string) {
      this.webContents.mainFrame.url = new URL(`file://${file}`).href;
      return Promise.resolve();
    }
    loadURL(url: string) {
      this.webContents.mainFrame.url = url;
      return Promise.resolve();
    }
    isDestroyed() {
      return this.destroyed;
    }
    close() {
      this.emit('close', { preventDefault() {} });
      this.destroyed = true;
      this.emit('closed');
      appEvents.emit('window-all-closed');
    }
    show() {}
    focus() {
      this.focused++;
    }
    isMinimized() {
      return false;
    }
    restore() {}
  }
  const appEvents = new Emitter();
  const app = {
    isPackaged: true,
    requestSingleInstanceLock: () => true,
    whenReady: () => Promise.resolve(),
    getPath: (name: string) => (name === 'userData' ? state.userData : os.tmpdir()),
    getVersion: () => '0.0.0-test',
    setPath: (_: string, p: string) => (state.userData = p),
    on: (e: string, l: (...a: unknown[]) => void) => appEvents.on(e, l),
    quit: () => {
      state.quits++;
    },
    exit: () => undefined,
    getLoginItemSettings: () => ({ openAtLogin: state.loginItem }),
    setLoginItemSettings: (s: { openAtLogin: boolean }) => (state.loginItem = s.openAtLogin),
  };
  const electron = {
    app,
    ipcMain: {
      on: () => undefined,
      handle: (c: string, h: (event: unknown, input?: unknown) => Promise<unknown>) =>
        state.handlers.set(c, h),
      removeHandler: (c: string) => state.handlers.delete(c),
    },
    powerMonitor: Object.assign(new Emitter(), { isOnBatteryPower: () => false }),
    // Used only where keytar did not build: an OS key store that "encrypts" reversibly.
    safeStorage: {
      isAsyncEncryptionAvailable: () => Promise.resolve(true),
      encryptStringAsync: (text: string) => Promise.resolve(Buffer.from(`sealed:${text}`).reverse()),
      decryptStringAsync: (data: Buffer) =>
        Promise.resolve({ result: Buffer.from(data).reverse().toString().slice(7), shouldReEncrypt: false }),
      getSelectedStorageBackend: () => 'gnome_libsecret',
    },
    BrowserWindow: FakeWindow,
    Tray: FakeTray,
    Notification: FakeNotification,
    nativeImage: { createFromBuffer: (b: Buffer) => ({ png: b }) },
    dialog: {
      showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
      showSaveDialog: async () => ({ canceled: true }),
      showMessageBox: async () => {
        state.messageBoxes++;
        return { response: state.messageBoxAnswer };
      },
    },
    shell: { showItemInFolder: () => undefined },
    utilityProcess: {
      fork: () => {
        throw new Error('no utility process in this test');
      },
    },
    Menu: {
      setApplicationMenu: (m: typeof state.appMenu) => (state.appMenu = m),
      buildFromTemplate: (t: unknown) => t,
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: typeof state.permissionRequest) => (state.permissionRequest = h),
        setPermissionCheckHandler: (h: typeof state.permissionCheck) => (state.permissionCheck = h),
        on: (event: string, h: typeof state.willDownload) => {
          if (event === 'will-download') state.willDownload = h;
        },
        webRequest: {
          onHeadersReceived: (h: (details: unknown, cb: (r: unknown) => void) => void) => (state.headers = h),
        },
      },
    },
  };
  return { state, electron, appEvents, FakeWindow };
});

vi.mock('electron', () => ({ ...fake.electron, default: fake.electron }));

const PASSWORD = 'correct horse battery';
let server: TestAccountServer;
let dataDir: string;
type Win = InstanceType<typeof fake.FakeWindow>;
let win: Win;

beforeAll(async () => {
  server = await startTestAccountServer();
  await server.createUser('alice', PASSWORD);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-electron-main-'));
  process.env.STRONGROOM_DATA_DIR = dataDir;
  // A vault already configured (creating one needs the job process, which this fake cannot run).
  fs.writeFileSync(
    path.join(dataDir, 'strongroom.json'),
    JSON.stringify({
      backup: {
        version: 1,
        vaults: [
          {
            id: 'vault-000001',
            type: 'local',
            name: 'USB',
            path: dataDir,
            repositoryId: 'ab'.repeat(16),
            passwordStored: true,
            createdAt: '2026-01-01T00:00:00.000Z',
          },
        ],
        items: [],
        preferences: { notifyOnSuccess: false, staleWarningDays: 3, startAtLogin: null },
      },
    }),
  );
  process.env.STRONGROOM_SERVER_URL = server.url;
  await import('../../src-main/index');
  await vi.waitFor(() => expect(fake.state.windows).toHaveLength(1));
  win = fake.state.windows[0]!;
});
afterAll(async () => {
  delete process.env.STRONGROOM_DATA_DIR;
  delete process.env.STRONGROOM_SERVER_URL;
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const fromWindow = () => ({ sender: win.webContents, senderFrame: win.webContents.mainFrame });
const call = (channel: string, input?: unknown, event: unknown = fromWindow()) =>
  fake.state.handlers.get(channel)!(event, input);

describe('the Electron main process (with Electron faked)', () => {
  it('opens one window with the security baseline and our page from disk', () => {
    const prefs = win.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      webviewTag: false,
      devTools: false,
    });
    expect(String(prefs.preload)).toMatch(/preload\.cjs$/);
    expect(win.webContents.mainFrame.url).toMatch(/^file:\/\/.*\/renderer\/desktop\/index\.html$/);
  });

  it('denies navigation, new windows and permissions, and sends a CSP without inline script', () => {
    let prevented = false;
    win.webContents.emit(
      'will-navigate',
      { preventDefault: () => (prevented = true) },
      'https://evil.example',
    );
    expect(prevented).toBe(true);
    expect(win.webContents.openHandler!()).toEqual({ action: 'deny' });
    const own = win.webContents.mainFrame.url;
    const request = (permission: string, requestingUrl: string) => {
      let granted: boolean | null = null;
      fake.state.permissionRequest!(null, permission, (ok) => (granted = ok), { requestingUrl });
      return granted;
    };
    expect(request('camera', own)).toBe(false);
    expect(request('notifications', own)).toBe(false);
    expect(request('clipboard-read', own)).toBe(false);
    expect(fake.state.permissionCheck!(null, 'geolocation', 'file:///', { requestingUrl: own })).toBe(false);
    let answered: { responseHeaders: Record<string, string[]> } | null = null;
    fake.state.headers!({ responseHeaders: {} }, (r) => (answered = r as typeof answered));
    const csp = answered!.responseHeaders['Content-Security-Policy']![0]!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('lets our page write to the clipboard (the Copy buttons), and nothing else', () => {
    const own = win.webContents.mainFrame.url;
    let granted: boolean | null = null;
    fake.state.permissionRequest!(null, 'clipboard-sanitized-write', (ok) => (granted = ok), {
      requestingUrl: own,
    });
    expect(granted).toBe(true);
    fake.state.permissionRequest!(null, 'clipboard-sanitized-write', (ok) => (granted = ok), {
      requestingUrl: 'https://evil.example/',
    });
    expect(granted).toBe(false);
    expect(
      fake.state.permissionCheck!(null, 'clipboard-sanitized-write', 'file:///', { requestingUrl: own }),
    ).toBe(true);
    expect(
      fake.state.permissionCheck!(null, 'clipboard-sanitized-write', 'https://evil.example', {
        requestingUrl: 'https://evil.example/',
      }),
    ).toBe(false);
  });

  it('saves only downloads the page made itself (the recovery codes file)', () => {
    const download = (url: string) => {
      let prevented = false;
      fake.state.willDownload!({ preventDefault: () => (prevented = true) }, { getURL: () => url });
      return !prevented;
    };
    expect(download('blob:file:///8b0e4c1e-6f0c-4c1b-9d55-2f1c0e0e0e0e')).toBe(true);
    expect(download('https://evil.example/payload.exe')).toBe(false);
    expect(download('file:///etc/passwd')).toBe(false);
  });

  it('a page cannot keep the window open with beforeunload', () => {
    let prevented = false;
    win.webContents.emit('will-prevent-unload', { preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
  });

  it('registers every channel and answers only our window', async () => {
    expect([...fake.state.handlers.keys()].sort()).toEqual(Object.keys(channels).sort());
    await expect(call('lock:status')).resolves.toMatchObject({
      ok: true,
      value: { locked: true, serverUrl: server.url },
    });
    const stranger = { sender: new EventEmitter(), senderFrame: { url: win.webContents.mainFrame.url } };
    await expect(call('lock:status', undefined, stranger)).resolves.toBeNull();
  });

  it('a second launch focuses the window', () => {
    fake.appEvents.emit('second-instance');
    expect(win.focused).toBe(1);
  });

  it('keeps the device token in the OS keychain where keytar built, else with safeStorage, and says which', async () => {
    await expect(call('auth:unlock', { username: 'alice', password: PASSWORD })).resolves.toMatchObject({
      ok: true,
    });
    const expected = loadKeytar().ok ? 'keychain' : 'safe-storage';
    await expect(call('settings:get')).resolves.toMatchObject({ ok: true, value: { secretStore: expected } });
    const file = path.join(dataDir, 'secrets.json');
    if (expected === 'safe-storage') {
      await vi.waitFor(() => expect(fs.existsSync(file)).toBe(true));
      expect(Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).secrets)).toEqual([`${server.url}/alice`]);
    } else {
      expect(fs.existsSync(file)).toBe(false);
    }
    // Locked again: a sign-in is refused while unlocked.
    await expect(call('lock:lockNow')).resolves.toEqual({ ok: true, value: null });
  });

  it('Lock… writes "manual" before it answers, then closes the window through its close handler', async () => {
    await expect(call('auth:unlock', { username: 'alice', password: PASSWORD })).resolves.toMatchObject({
      ok: true,
    });
    const file = path.join(dataDir, 'strongroom.json');
    const closeCalls: string[] = [];
    // Record the close without destroying the one window (the next test closes it for real); the
    // close event still runs the real handler.
    const realClose = win.close.bind(win);
    win.close = () => {
      closeCalls.push(JSON.parse(fs.readFileSync(file, 'utf8')).lock.reason);
      win.emit('close', { preventDefault() {} });
    };
    try {
      await expect(call('lock:lockAndClose')).resolves.toEqual({ ok: true, value: null });
      expect(JSON.parse(fs.readFileSync(file, 'utf8')).lock).toMatchObject({
        locked: true,
        reason: 'manual',
      });
      await vi.waitFor(() => expect(closeCalls).toEqual(['manual']));
      expect(JSON.parse(fs.readFileSync(file, 'utf8')).lock).toMatchObject({
        locked: true,
        reason: 'manual',
      });
      await expect(call('account:get')).resolves.toMatchObject({ ok: false, error: { code: 'locked' } });
    } finally {
      win.close = realClose;
    }
  });

  it('Lock now in the app menu (Ctrl+L shown, handled by the page) locks in place: the window stays on the unlock screen', async () => {
    await expect(call('auth:unlock', { username: 'alice', password: PASSWORD })).resolves.toMatchObject({
      ok: true,
    });
    const items = fake.state.appMenu.flatMap(
      (m) =>
        (m.submenu ?? []) as {
          label?: string;
          accelerator?: string;
          registerAccelerator?: boolean;
          click?: () => void;
        }[],
    );
    const lockNow = items.find((i) => i.label === 'Lock now')!;
    expect(lockNow).toMatchObject({ accelerator: 'CmdOrCtrl+L', registerAccelerator: false });
    const sentBefore = win.webContents.sent.length;
    lockNow.click!();
    const file = path.join(dataDir, 'strongroom.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).lock).toMatchObject({
      locked: true,
      reason: 'manual-in-place',
    });
    expect(win.webContents.sent.slice(sentBefore)).toEqual([['event:locked', { reason: 'manual-in-place' }]]);
    expect(win.destroyed).toBe(false);
    await expect(call('account:get')).resolves.toMatchObject({ ok: false, error: { code: 'locked' } });

    // The page's Ctrl+L asks the same of main through the contract.
    await call('auth:unlock', { username: 'alice', password: PASSWORD });
    await expect(call('lock:lockNow')).resolves.toEqual({ ok: true, value: null });
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).lock).toMatchObject({
      locked: true,
      reason: 'manual-in-place',
    });
    expect(win.destroyed).toBe(false);
  });

  it('closing the window writes the locked state synchronously, then quits', async () => {
    await expect(call('auth:unlock', { username: 'alice', password: PASSWORD })).resolves.toMatchObject({
      ok: true,
    });
    await expect(call('account:get')).resolves.toMatchObject({ ok: true, value: { username: 'alice' } });
    const file = path.join(dataDir, 'strongroom.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).lock.locked).toBe(false);
    win.close();
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).lock).toMatchObject({ locked: true, reason: 'close' });
    expect(fake.state.quits).toBeGreaterThanOrEqual(1);
  });

  it('with a schedule, closing the window keeps Strongroom in the tray (locked); the tray opens and quits it', async () => {
    fake.appEvents.emit('second-instance'); // no window since the last close: a new one opens
    await vi.waitFor(() => expect(fake.state.windows).toHaveLength(2));
    const win2 = fake.state.windows[1]!;
    const from2 = () => ({ sender: win2.webContents, senderFrame: win2.webContents.mainFrame });
    const call2 = (channel: string, input?: unknown) => fake.state.handlers.get(channel)!(from2(), input);
    await expect(call2('auth:unlock', { username: 'alice', password: PASSWORD })).resolves.toMatchObject({
      ok: true,
    });
    expect(fake.state.trays).toHaveLength(0);
    const saved = await call2('item:save', {
      name: 'Documents',
      paths: [dataDir],
      excludes: [],
      excludePresets: [],
      vaultId: 'vault-000001',
      schedule: { kind: 'daily', at: '02:00' },
      retention: { mode: 'keep-all' },
      conditions: { catchUpMissed: true, skipOnBattery: false },
    });
    expect(saved).toMatchObject({ ok: true });
    const tray = fake.state.trays[0]!;
    expect(tray.tooltip).toBe('Strongroom: No backup yet');
    expect(tray.menu.map((m) => m.label)).toEqual([
      'No backup yet',
      undefined,
      'Open Strongroom',
      'Lock now',
      'Quit Strongroom',
    ]);
    // The tray's Lock now locks in place, as the app menu's does.
    tray.menu.find((m) => m.label === 'Lock now')!.click!();
    await expect(call2('account:get')).resolves.toMatchObject({ ok: false, error: { code: 'locked' } });
    expect(win2.webContents.sent.at(-1)).toEqual(['event:locked', { reason: 'manual-in-place' }]);
    await expect(call2('auth:unlock', { username: 'alice', password: PASSWORD })).resolves.toMatchObject({
      ok: true,
    });
    // "Start Strongroom when I sign in": on by default once a schedule exists.
    expect(fake.state.loginItem).toBe(true);

    const quitsBefore = fake.state.quits;
    win2.close();
    const file = path.join(dataDir, 'strongroom.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).lock).toMatchObject({ locked: true, reason: 'close' });
    expect(fake.state.quits).toBe(quitsBefore);
    expect(tray.destroyed).toBe(false);

    tray.menu.find((m) => m.label === 'Open Strongroom')!.click!();
    expect(fake.state.windows).toHaveLength(3);
    tray.menu.find((m) => m.label === 'Quit Strongroom')!.click!();
    await vi.waitFor(() => expect(fake.state.quits).toBe(quitsBefore + 1));
    expect(fake.state.messageBoxes).toBe(0); // nothing running: no question
  });
});
