/**
 * The desktop journeys in the real Electron app: unlock with password and TOTP, a wrong code
 * refused, throttling shown, Account → Change account settings → Account → Lock… closing the app,
 * and the next launch showing only the unlock screen. Skipped, with the reason, where no Electron
 * binary is installed (this project's CI machines cannot download it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { startTestAccountServer, totpCode, type TestAccountServer } from '../../support/account-server';
import {
  electronOrSkip,
  ensureBuilt,
  exited,
  launchApp,
  lockStateOnDisk,
  type RunningApp,
} from './electron-app';

/** The app opens on Backups after unlocking; Account is at the bottom left of the side menu. */
async function openAccount(page: Page) {
  await page.getByRole('navigation', { name: 'Main menu' }).getByRole('button', { name: 'Account' }).click();
}

const PASSWORD = 'correct horse battery';
const electronBinary = electronOrSkip();

let server: TestAccountServer;
let dataDir: string;
let running: RunningApp | null = null;

test.beforeAll(() => ensureBuilt());
test.beforeEach(async () => {
  server = await startTestAccountServer();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-electron-e2e-'));
});
test.afterEach(async () => {
  if (running && running.app.process().exitCode === null) await running.app.close();
  running = null;
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function launch(): Promise<Page> {
  running = await launchApp(electronBinary, { dataDir, serverUrl: server.url });
  return running.window;
}

async function expectOnlyUnlockScreen(page: Page) {
  await expect(page.getByRole('heading', { name: 'Unlock Strongroom' })).toBeVisible();
  await expect(page.getByRole('navigation')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Change account settings' })).toHaveCount(0);
}

async function unlock(page: Page, username: string, password: string, code?: string) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  if (code !== undefined) await page.getByLabel('Two-factor code (TOTP)').fill(code);
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
}

test('starts locked; unlocks with password and TOTP; a wrong code is refused', async () => {
  await server.createUser('alice', PASSWORD);
  const secret = await server.enableTotp('alice');
  const page = await launch();
  await expectOnlyUnlockScreen(page);
  // The renderer has window.api and nothing of Node or ipcRenderer.
  expect(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe(
    'undefined',
  );
  expect(await page.evaluate(() => Object.keys(window.api).includes('authUnlock'))).toBe(true);

  const right = totpCode(secret);
  const wrong = String((Number(right) + 500_000) % 1_000_000).padStart(6, '0');
  await unlock(page, 'alice', PASSWORD, wrong);
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page.getByLabel('Password')).toHaveValue('');
  await expectOnlyUnlockScreen(page);

  await unlock(page, 'alice', PASSWORD, right);
  await openAccount(page);
  await expect(page.getByRole('heading', { name: 'Account', level: 1 })).toBeVisible();
});

test('shows throttling and keeps Unlock disabled meanwhile', async () => {
  await server.createUser('erin', PASSWORD);
  const page = await launch();
  for (let i = 0; i < 8; i++) {
    await unlock(page, 'erin', 'wrong password');
    const alert = page.getByRole('alert');
    await expect(alert).toBeVisible();
    if (/Too many attempts/.test((await alert.textContent()) ?? '')) break;
    await expect(page.getByRole('button', { name: 'Unlock', exact: true })).toBeEnabled({ timeout: 20_000 });
  }
  await expect(page.getByRole('alert')).toContainText(/Too many attempts/);
  await expect(page.getByRole('button', { name: 'Unlock', exact: true })).toBeDisabled();
});

test('Account → Change account settings → Account → Lock… closes the app; the next launch is locked', async () => {
  await server.createUser('bob', PASSWORD);
  const page = await launch();
  await unlock(page, 'bob', PASSWORD);
  await page.getByRole('navigation', { name: 'Main menu' }).getByRole('button', { name: 'Account' }).click();
  await page.getByRole('button', { name: 'Change account settings' }).click();
  await page.getByRole('tab', { name: 'Account' }).click();
  await page.getByRole('button', { name: 'Lock…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Lock Strongroom and close it?' });
  const gone = exited(running!.app);
  // The window may be gone before Playwright hears back from the click: the exit is what counts.
  await dialog
    .getByRole('button', { name: 'Lock and close' })
    .click()
    .catch(() => undefined);
  await gone; // the window closed and, with no scheduled work, the app quit
  expect(lockStateOnDisk(dataDir)).toMatchObject({ locked: true, reason: 'manual' });

  const again = await launch();
  await expectOnlyUnlockScreen(again);
  await expect(again.getByLabel('Username')).toHaveValue('bob');
  expect(await again.evaluate(() => window.api.accountGet())).toMatchObject({
    ok: false,
    error: { code: 'locked' },
  });
});

test('closing the window writes the lock state and quits', async () => {
  await server.createUser('carol', PASSWORD);
  const page = await launch();
  await unlock(page, 'carol', PASSWORD);
  await openAccount(page);
  await expect(page.getByRole('heading', { name: 'Account', level: 1 })).toBeVisible();
  const gone = exited(running!.app);
  await running!.app
    .evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.close())
    .catch(() => undefined); // the app may quit before it answers
  await gone;
  expect(lockStateOnDisk(dataDir)).toMatchObject({ locked: true, reason: 'close' });
});
