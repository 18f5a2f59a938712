/**
 * Launching the real Strongroom app with Playwright's `_electron`, each run on its own data
 * directory. Whether an Electron binary is installed is found out WITHOUT loading the `electron`
 * package (which would try to download one): node_modules/electron/path.txt names the binary
 * under node_modules/electron/dist, written only when the download succeeded.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron as electron, test, type ElectronApplication, type Page } from '@playwright/test';
import { putOffAccountKit } from '../desktop/journey-test';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export type ElectronBinary = { path: string; missing?: undefined } | { path?: undefined; missing: string };

export function findElectronBinary(): ElectronBinary {
  const pkg = path.join(ROOT, 'node_modules', 'electron');
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const pathTxt = path.join(pkg, 'path.txt');
  if (!fs.existsSync(pathTxt)) {
    return {
      missing: 'node_modules/electron/path.txt does not exist (the Electron download never happened)',
    };
  }
  const relative = fs.readFileSync(pathTxt, 'utf8').trim();
  const binary = path.join(override ?? path.join(pkg, 'dist'), relative);
  if (!fs.existsSync(binary)) return { missing: `${path.relative(ROOT, binary)} does not exist` };
  return { path: binary };
}

/** Electron needs a display; on a headless Linux machine run the project under xvfb-run. */
function displayMissing(): string | null {
  return process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY
    ? 'Electron is installed but there is no display: run `xvfb-run npx playwright test --project electron`'
    : null;
}

const SKIP_REASON = (missing: string) =>
  `Electron binary not installed on this machine (cannot be downloaded here): ${missing}`;

/**
 * The Electron binary for a spec file, called at the file's top: where it cannot run (no binary,
 * no display), every test of the file is skipped with the reason, also printed on the console
 * (the list reporter shows skips without their reason).
 */
export function electronOrSkip(): string {
  const binary = findElectronBinary();
  const reason = binary.path === undefined ? SKIP_REASON(binary.missing) : displayMissing();
  if (reason !== null) {
    console.log(`[electron project] skipped: ${reason}`);
    test.skip(true, reason);
  }
  return binary.path ?? '';
}

/**
 * Builds the renderer when it is not built yet (npm test builds it just before), and the main
 * process and preload every time: a second with esbuild, and a stale dist/electron would test old
 * code.
 */
export function ensureBuilt(): void {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'renderer', 'desktop', 'index.html'))) {
    execFileSync('npm', ['run', '--silent', 'build:renderer'], { cwd: ROOT, stdio: 'inherit' });
  }
  execFileSync('node', ['scripts/build-electron.mjs'], { cwd: ROOT, stdio: 'inherit' });
}

export interface RunningApp {
  app: ElectronApplication;
  window: Page;
}

export async function launchApp(
  binary: string,
  /** Without serverUrl the app starts its embedded local account server (a first run). */
  opts: { dataDir: string; serverUrl?: string },
): Promise<RunningApp> {
  const app = await electron.launch({
    executablePath: binary,
    // Root cannot use Chromium's setuid sandbox (CI containers); everywhere else it stays on.
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), ROOT],
    env: {
      ...(process.env as Record<string, string>),
      STRONGROOM_DATA_DIR: opts.dataDir,
      ...(opts.serverUrl ? { STRONGROOM_SERVER_URL: opts.serverUrl } : {}),
      ELECTRON_ENABLE_LOGGING: '1',
    },
    timeout: 30_000,
  });
  const window = await app.firstWindow();
  await putOffAccountKit(window);
  return { app, window };
}

/** Resolves when the app's process has gone (it quits when its window closes). */
export function exited(app: ElectronApplication): Promise<void> {
  return new Promise((resolve) => {
    if (app.process().exitCode !== null) resolve();
    else app.process().once('exit', () => resolve());
  });
}

export function lockStateOnDisk(dataDir: string): { locked: boolean; reason: string | null } {
  return JSON.parse(fs.readFileSync(path.join(dataDir, 'strongroom.json'), 'utf8')).lock;
}
