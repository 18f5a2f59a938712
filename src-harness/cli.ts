/**
 * `npm run harness -- [--data-dir DIR] [--server URL] [--port N] [--device-name NAME]`
 *
 * The desktop app in a browser, for people and for Playwright (tests/e2e/desktop): the REAL
 * main-process services in Node (lock service, account client, settings on electron-store, device
 * token in the OS keychain through keytar, or in memory where keytar did not build, the embedded
 * account server); only Electron's own
 * modules are replaced (electron-store's `import 'electron'` resolves to an empty stand-in).
 *
 * Flags
 *   --data-dir DIR  all state in one place: DIR/settings/strongroom.json (settings, lock state,
 *                   remembered server and username, the backup configuration), DIR/jobs.sqlite
 *                   (job history and logs) and DIR/server/ (the local account server's SQLite
 *                   database and key). Default: $XDG_DATA_HOME/strongroom-harness
 *                   (~/.local/share/strongroom-harness). A fresh DIR = a fresh install.
 *   --server URL    use this account server instead of starting the local one (it becomes the
 *                   default server on the unlock screen).
 *   --port N        the harness's port on 127.0.0.1 (default 0: a free port).
 *   --device-name NAME  what this computer is called at device sign-in (default: the host name
 *                   with " (harness)"), so two harnesses on one machine are told apart.
 *   --test-clock    TESTS ONLY: time can be skipped forward by writing "skip-clock MS" lines to the
 *                   harness's stdin (it answers "clock skipped MS"), so the idle lock is tested
 *                   without waiting minutes. The same clock drives the backup scheduler:
 *                   skipping past a protected item's next run (its card's nextRunAt) fires it,
 *                   locked or not. Nothing but the clock changes.
 *
 * What it prints (stdout, one line each, in this order):
 *   local account server at http://127.0.0.1:NNNN     (only without --server; its panel has "Create account")
 *   note: keytar … will not outlive this process      (only where keytar did not build: the device
 *                                                     token is then kept in memory)
 *   data dir /path
 *   harness ready at http://127.0.0.1:PORT/?token=…   (LAST line: open exactly this URL)
 *
 * How the page works: `/` is dist/renderer/desktop/index.html (built by `npm run build:renderer`;
 * built here through Vite's API when missing) with one extra classic script, /harness-bridge.js,
 * that defines `window.api` (the contract's DesktopApi) over a WebSocket to /bridge?token=… (the
 * token is taken from the page URL; wrong token or another Origin is refused). Calls made before
 * the socket opens are queued.
 *
 * The page plays the window:
 *   - Closing the page (tab closed, navigated away, reloaded) closes its socket = closing the
 *     window: the harness locks (reason 'close', written to the lock state). A reload therefore
 *     comes back on the unlock screen.
 *   - A newer page (same URL opened again) takes over; the older one is closed as below.
 *   - Lock… (lock:lockAndClose): the harness locks (reason 'manual'), answers the call, then tells
 *     the page to close: the bridge replaces the page with ./closed.html, a static page whose
 *     heading is "Strongroom is closed" (no script, no app). Opening the printed URL again shows
 *     the unlock screen.
 *   - Idle / suspend locks: the bridge gets the onLocked event, then the page reloads (unlock screen).
 * Backups (the same services as the app): jobs run in a forked job process (the engine), whether
 * the page is open, closed or locked; their events reach the page only while unlocked. There are
 * no native dialogs: dialog:choosePath answers { supported: false } and forms take typed paths.
 * The harness itself keeps running until Ctrl-C (it locks before exiting).
 */
import fs from 'node:fs';
import { register } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { SkippableClock } from './skippable-clock';

// Before anything imports electron-store: `electron` -> the stand-in.
register('./electron-hooks.mjs', import.meta.url);

function defaultDataDir(): string {
  const base = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'strongroom-harness');
}

function fail(message: string): never {
  console.error(`harness: ${message}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: {
    'data-dir'?: string;
    server?: string;
    port?: string;
    'device-name'?: string;
    'test-clock'?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        'data-dir': { type: 'string' },
        server: { type: 'string' },
        port: { type: 'string' },
        'device-name': { type: 'string' },
        'test-clock': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(
      `${(error as Error).message}\nusage: npm run harness -- [--data-dir DIR] [--server URL] [--port N] [--device-name NAME] [--test-clock]`,
    );
  }
  if (values.help) {
    console.log(
      'usage: npm run harness -- [--data-dir DIR] [--server URL] [--port N] [--device-name NAME] [--test-clock]',
    );
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail('--port must be a whole number from 0 to 65535');
  let serverUrl: string | undefined;
  if (values.server !== undefined) {
    try {
      const url = new URL(values.server);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
      serverUrl = url.origin;
    } catch {
      fail('--server must be an http:// or https:// URL');
    }
  }
  const dataDir = path.resolve(values['data-dir'] ?? defaultDataDir());

  const { startHarness, DEFAULT_RENDERER_DIR, PROJECT_ROOT } = await import('./harness');
  if (!fs.existsSync(path.join(DEFAULT_RENDERER_DIR, 'desktop', 'index.html'))) {
    console.log('building the renderer (dist/renderer is missing)…');
    const { build } = await import('vite');
    await build({ configFile: path.join(PROJECT_ROOT, 'vite.config.ts'), logLevel: 'warn' });
  }
  const { EmbeddedAccountServer } = await import('../src-main/adapters/embedded-account-server');
  const localServer = serverUrl
    ? null
    : new EmbeddedAccountServer({ dataDir: path.join(dataDir, 'server'), rendererDir: DEFAULT_RENDERER_DIR });
  if (localServer) console.log(`local account server at ${await localServer.ensureStarted()}`);

  const clock = values['test-clock'] ? new SkippableClock() : undefined;
  const harness = await startHarness({
    dataDir,
    port,
    localServer,
    ...(serverUrl ? { serverUrl } : {}),
    ...(clock ? { clock } : {}),
    ...(values['device-name'] ? { deviceName: values['device-name'] } : {}),
  });
  if (clock) listenForClockSkips(clock);
  console.log(`data dir ${dataDir}`);
  console.log(`harness ready at ${harness.url}`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    harness.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** --test-clock: "skip-clock MS" lines on stdin move the clock forward. */
function listenForClockSkips(clock: SkippableClock): void {
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const match = /^skip-clock (\d{1,10})$/.exec(line.trim());
    if (!match) {
      console.error(`harness: ignored stdin line (expected "skip-clock MS")`);
      return;
    }
    clock.skip(Number(match[1]));
    console.log(`clock skipped ${match[1]}`);
  });
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
