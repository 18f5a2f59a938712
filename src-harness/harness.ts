/**
 * The browser harness: the real main-process services (lock, account client, settings, keytar
 * where it built and memory otherwise, electron-store, the embedded account server) in plain Node, the desktop renderer served on
 * loopback, and the contract bridged over one WebSocket guarded by a random token. The page plays
 * the window: its WebSocket closing counts as the window closing, so the harness locks.
 *
 * Import this only after src-harness/electron-hooks.mjs is registered (cli.ts does it): electron-
 * store imports `electron`, which must resolve to the stand-in in plain Node.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { channels, events, type LockReason } from '../src-shared/ipc-contract';
import { ElectronStoreSettings } from '../src-main/adapters/electron-store-settings';
import { ForkedEngineRunner } from '../src-main/adapters/forked-engine-runner';
import { InMemorySecretStore } from '../src-main/adapters/in-memory-secret-store';
import {
  KeytarSecretStore,
  loadKeytar,
  type KeytarAvailability,
} from '../src-main/adapters/keytar-secret-store';
import { composeServices, noDialogs, type Services } from '../src-main/compose';
import type { EngineRunner } from '../src-main/services/backup/engine-runner';
import type { SessionProcessStarter } from '../src-main/services/backup/repository-sessions';
import { SECRET_SERVICE_NAME } from '../src-main/services/lock-service';
import { systemClock, type AppShell, type Clock, type LocalAccountServer } from '../src-main/services/ports';

const here = path.dirname(fileURLToPath(import.meta.url));
export const PROJECT_ROOT = path.resolve(here, '..');
export const DEFAULT_RENDERER_DIR = path.join(PROJECT_ROOT, 'dist', 'renderer');

export interface HarnessOptions {
  /** All state: settings + lock state + backup configuration (settings/), job history (jobs.sqlite), the local account server's data (server/). */
  dataDir: string;
  /** An account server to use instead of starting the local one. */
  serverUrl?: string;
  /** The harness's own port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** dist/renderer (holding desktop/index.html and assets/). */
  rendererDir?: string;
  /** Starts the embedded account server; required unless serverUrl is given. */
  localServer?: LocalAccountServer | null;
  /** Drives the idle lock and the backup scheduler (the --test-clock's skippable clock in journeys). */
  clock?: Clock;
  /** Runs the engine; default: a forked job process per request. */
  runner?: EngineRunner;
  /** Starts the repository sessions' processes; default: forked job processes. */
  sessions?: SessionProcessStarter;
  log?: (line: string) => void;
  /** What this computer is called at device sign-in; default: the host name with " (harness)". */
  deviceName?: string;
  /** keytar as this machine has it (default: loaded now); tests pass a missing one. */
  keytar?: KeytarAvailability;
}

export interface Harness {
  /** http://127.0.0.1:PORT/?token=... : the page to open. */
  url: string;
  origin: string;
  services: Services;
  localServer: LocalAccountServer | null;
  close(): Promise<void>;
}

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const log = options.log ?? ((line: string) => console.log(line));
  const rendererDir = path.resolve(options.rendererDir ?? DEFAULT_RENDERER_DIR);
  const indexHtml = path.join(rendererDir, 'desktop', 'index.html');
  if (!fs.existsSync(indexHtml)) {
    throw new Error(
      `The desktop renderer is not built (${indexHtml} is missing): run npm run build:renderer`,
    );
  }
  const dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });

  const token = crypto.randomBytes(32).toString('base64url');
  const tokenDigest = digest(token);
  const bridgeJs = fs
    .readFileSync(path.join(here, 'bridge.js'), 'utf8')
    .replace('/*CHANNELS*/ []', JSON.stringify(Object.keys(channels)))
    .replace('/*EVENTS*/ {}', JSON.stringify(events));
  const closedHtml = fs.readFileSync(path.join(here, 'closed.html'));

  // The page currently playing the window; only it may call.
  let current: WebSocket | null = null;
  const send = (ws: WebSocket | null, message: unknown) => {
    if (ws && ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  const shell: AppShell = {
    showLocked(reason: LockReason) {
      send(current, { type: 'event', name: 'onLocked', payload: { reason } });
      send(current, { type: 'reload' });
    },
    close() {
      const ws = current;
      send(ws, { type: 'close' });
      ws?.close(1000, 'closed');
    },
  };

  const localServer = options.serverUrl ? null : (options.localServer ?? null);
  if (!options.serverUrl && !localServer) throw new Error('startHarness needs serverUrl or localServer');
  // The OS keychain where keytar built. Otherwise memory: the harness has no Electron safeStorage,
  // and a device token must never be written to disk unencrypted.
  const keytar = options.keytar ?? loadKeytar();
  if (!keytar.ok)
    log(
      `note: ${keytar.reason}: secrets (the device token) are kept in memory and will not outlive this process`,
    );
  const services = composeServices({
    dataDir,
    runner: options.runner ?? new ForkedEngineRunner(),
    sessions: { processes: options.sessions ?? new ForkedEngineRunner() },
    // Job events reach the page only while unlocked (compose checks); no native dialogs here.
    events: { send: (name, payload) => send(current, { type: 'event', name, payload }) },
    dialogs: noDialogs,
    store: new ElectronStoreSettings({ cwd: path.join(dataDir, 'settings') }),
    secrets: keytar.ok
      ? new KeytarSecretStore(keytar.keytar, SECRET_SERVICE_NAME)
      : new InMemorySecretStore(),
    secretStoreKind: keytar.ok ? 'keychain' : 'memory',
    clock: options.clock ?? systemClock,
    shell,
    localServer,
    ...(options.serverUrl ? { defaultServerUrl: options.serverUrl } : {}),
    deviceName: options.deviceName ?? `${os.hostname()} (harness)`,
    log: { warn: (m) => log(`warning: ${m}`) },
  });

  let origin = '';
  const server = http.createServer((req, res) => {
    if (!hostOk(req.headers.host, origin)) return refuse(res, 421, 'Misdirected request');
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Method not allowed');
    const pathname = safePathname(req.url);
    if (pathname === null) return refuse(res, 400, 'Bad request');
    if (pathname === '/' || pathname === '/index.html') {
      const html = fs
        .readFileSync(indexHtml, 'utf8')
        // A classic script before the app's module scripts: window.api exists when the app starts.
        .replace(/<script\b/, '<script src="./harness-bridge.js"></script>\n    <script');
      return reply(res, 200, '.html', html);
    }
    if (pathname === '/harness-bridge.js') return reply(res, 200, '.js', bridgeJs);
    if (pathname === '/closed.html') return reply(res, 200, '.html', closedHtml);
    if (pathname === '/favicon.ico') return refuse(res, 204, '');
    const file = path.join(rendererDir, pathname);
    if (!file.startsWith(rendererDir + path.sep) || !isFile(file)) return refuse(res, 404, 'Not found');
    return reply(res, 200, path.extname(file), fs.readFileSync(file));
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });
  server.on('upgrade', (req, socket: Duplex, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const given = url.searchParams.get('token') ?? '';
    const ok =
      url.pathname === '/bridge' &&
      hostOk(req.headers.host, origin) &&
      req.headers.origin === origin &&
      crypto.timingSafeEqual(digest(given), tokenDigest);
    if (!ok) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws));
  });

  function attach(ws: WebSocket): void {
    // One window: a newer page takes over, and the older one is closed like a window.
    const previous = current;
    current = ws;
    if (previous) {
      send(previous, { type: 'close' });
      previous.close(1000, 'replaced');
      services.lock.lockForClose();
    }
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let message: { id?: unknown; channel?: unknown; input?: unknown };
      try {
        message = JSON.parse(data.toString()) as typeof message;
      } catch {
        return;
      }
      if (typeof message !== 'object' || message === null) return;
      const { id, channel, input } = message;
      if (typeof id !== 'number' || typeof channel !== 'string') return;
      void services.dispatch(channel, input, ws === current).then((result) => {
        if (result !== null) send(ws, { type: 'result', id, result });
      });
    });
    ws.on('close', () => {
      if (current !== ws) return;
      current = null;
      // Closing the page is closing the window: the lock state is written now.
      services.lock.lockForClose();
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  origin = `http://127.0.0.1:${port}`;

  let closed = false;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    services,
    localServer,
    async close() {
      if (closed) return;
      closed = true;
      services.lock.lockForClose();
      services.dispose();
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await localServer?.stop();
    },
  };
}

function digest(value: string): Buffer {
  // Equal-length inputs for timingSafeEqual whatever was given.
  return crypto.createHash('sha256').update(value).digest();
}

/** Guards against DNS rebinding: only requests addressed to our own loopback host:port. */
function hostOk(host: string | undefined, origin: string): boolean {
  return origin !== '' && host !== undefined && `http://${host}` === origin;
}

function safePathname(raw: string | undefined): string | null {
  try {
    const pathname = decodeURIComponent(new URL(raw ?? '/', 'http://127.0.0.1').pathname);
    if (pathname.includes('\0') || pathname.split('/').includes('..')) return null;
    return pathname;
  } catch {
    return null;
  }
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function headers(ext: string): Record<string, string> {
  return {
    'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cache-control': 'no-store',
  };
}

function reply(res: http.ServerResponse, status: number, ext: string, body: string | Buffer): void {
  res.writeHead(status, headers(ext));
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function refuse(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  res.end(text);
}
