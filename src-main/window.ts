/**
 * The app's one window, with Electron's security baseline: a sandboxed renderer with context
 * isolation and no Node, a CSP without inline script, no navigation, no new windows, no
 * permissions, devtools only in development. Its close handler is where the lock state is
 * written: every way of closing (title bar, Ctrl/Cmd-W, Ctrl/Cmd-Q, the menu, OS log-off) passes
 * through it.
 */
import { BrowserWindow, Menu, session, type MenuItemConstructorOptions } from 'electron';

/** Sent as a header where Electron serves over HTTP (the dev server); the page also carries it in
 * a meta tag, which is what applies under file://. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export interface MainWindowOptions {
  preloadPath: string;
  /** dist/renderer/desktop/index.html */
  indexHtmlPath: string;
  /** Development only: the Vite dev server's URL of the desktop page. */
  devServerUrl?: string;
  isDev: boolean;
  iconPath?: string;
  /** Runs synchronously in the window's close handler. */
  onClose: () => void;
  /** The menu's "Lock now": lock and stay on the unlock screen. */
  onLockNow: () => void;
}

/**
 * The one permission the page needs: writing text to the clipboard (the Copy buttons for the
 * manual TOTP key and the recovery codes call navigator.clipboard.writeText, which Electron puts
 * through these handlers). Never reading the clipboard, and only for our own page.
 */
const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

export function applySessionPolicy(isDev: boolean, isOwnUrl: (url: string) => boolean): void {
  const ses = session.defaultSession;
  // No camera, microphone, notifications, geolocation, clipboard reading...: only what is above.
  ses.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(ALLOWED_PERMISSIONS.has(permission) && isOwnUrl(details.requestingUrl)),
  );
  ses.setPermissionCheckHandler(
    (_contents, permission, requestingOrigin, details) =>
      ALLOWED_PERMISSIONS.has(permission) && isOwnUrl(details.requestingUrl ?? requestingOrigin),
  );
  // The recovery codes' Download (a blob: URL made by the page) is the only download: Electron
  // asks where to save it. Anything else (a URL the page was tricked into) is refused.
  ses.on('will-download', (event, item) => {
    if (!/^(blob|data):/.test(item.getURL())) event.preventDefault();
  });
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [
          isDev
            ? CONTENT_SECURITY_POLICY.replace("connect-src 'self'", "connect-src 'self' ws:")
            : CONTENT_SECURITY_POLICY,
        ],
      },
    });
  });
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1024,
    height: 720,
    minWidth: 720,
    minHeight: 520,
    title: 'Strongroom',
    show: false,
    backgroundColor: '#ffffff',
    ...(options.iconPath ? { icon: options.iconPath } : {}),
    webPreferences: {
      preload: options.preloadPath,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: options.isDev,
    },
  });

  win.once('ready-to-show', () => win.show());
  win.on('close', () => options.onClose());

  const contents = win.webContents;
  // The page never navigates: everything it shows is one document. A reload is not a navigation.
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  // A page's beforeunload must never keep the window (and the app) open: Lock… closes at once.
  contents.on('will-prevent-unload', (event) => event.preventDefault());

  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(options)));

  if (options.devServerUrl) void win.loadURL(options.devServerUrl);
  else void win.loadFile(options.indexHtmlPath);
  return win;
}

function menuTemplate({ isDev, onLockNow }: MainWindowOptions): MenuItemConstructorOptions[] {
  const mac = process.platform === 'darwin';
  // The page handles Ctrl+L / Cmd+L itself (only while unlocked); the menu only shows the keys.
  const lockNow: MenuItemConstructorOptions = {
    label: 'Lock now',
    accelerator: 'CmdOrCtrl+L',
    registerAccelerator: false,
    click: () => onLockNow(),
  };
  return [
    ...(mac ? [{ role: 'appMenu' as const }] : []),
    // Close and Quit both go through the window's close handler, which locks.
    {
      label: 'File',
      submenu: [
        lockNow,
        { type: 'separator' },
        { role: 'close' },
        ...(mac ? [] : [{ role: 'quit' as const }]),
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: isDev
        ? [
            { role: 'reload' },
            { role: 'toggleDevTools' },
            { type: 'separator' },
            { role: 'togglefullscreen' },
          ]
        : [{ role: 'togglefullscreen' }],
    },
    { role: 'windowMenu' },
  ];
}

/** A second launch: bring the running window forward (it shows the unlock screen when locked). */
export function focusWindow(win: BrowserWindow | null): void {
  if (!win || win.isDestroyed()) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}
