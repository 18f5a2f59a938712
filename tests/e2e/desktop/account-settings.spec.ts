/**
 * The rest of the account settings through the harness, against a real account server: a
 * recovery code at the unlock screen, new recovery codes, turning two-factor authentication off,
 * and the auto-lock settings surviving a lock.
 */
import { type Page } from '@playwright/test';
import { expect, test } from './journey-test';
import { startTestAccountServer, totpCode, type TestAccountServer } from '../../support/account-server';
import { freshDataDir, removeDataDir, startHarness, type RunningHarness } from './harness-process';

/** The app opens on Backups after unlocking; Account is at the bottom left of the side menu. */
async function openAccount(page: Page) {
  await page.getByRole('navigation', { name: 'Main menu' }).getByRole('button', { name: 'Account' }).click();
}

const PASSWORD = 'correct horse battery';

let server: TestAccountServer;
let harness: RunningHarness;
let dataDir: string;

test.beforeEach(async () => {
  server = await startTestAccountServer();
  dataDir = freshDataDir();
  harness = await startHarness({ dataDir, serverUrl: server.url });
});

test.afterEach(async () => {
  await harness.stop();
  await server.close();
  removeDataDir(dataDir);
});

async function openSettingsTab(page: Page, tab: string) {
  await openAccount(page);
  await page.getByRole('button', { name: 'Change account settings' }).click();
  await page.getByRole('tab', { name: tab }).click();
  await expect(page.getByRole('tab', { name: tab })).toHaveAttribute('aria-selected', 'true');
}

test('unlocks with a recovery code, makes new recovery codes, and turns two-factor authentication off', async ({
  page,
}) => {
  await server.createUser('frank', PASSWORD);
  const { secret, recoveryCodes } = await server.enableTotpWithRecoveryCodes('frank');

  await page.goto(harness.url);
  await page.getByLabel('Username').fill('frank');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Use a recovery code' }).click();
  await page.getByLabel('Recovery code').fill(recoveryCodes[0]!);
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await openAccount(page);
  await expect(page.getByRole('heading', { name: 'Account', level: 1 })).toBeVisible();
  await expect(page.getByRole('definition').nth(2)).toContainText('9 recovery codes left');

  await openSettingsTab(page, 'Two-factor authentication');
  await expect(page.getByLabel('Two-factor authentication (TOTP)')).toBeChecked();
  await expect(page.getByText('You have 9 unused recovery codes.')).toBeVisible();

  // New recovery codes need a current code; a wrong one is refused with words a person can act on.
  const now = Date.now();
  const wrong = String((Number(totpCode(secret, now)) + 500_000) % 1_000_000).padStart(6, '0');
  await page.getByLabel('Two-factor code (TOTP)').fill(wrong);
  await page.getByRole('button', { name: 'Make new recovery codes' }).click();
  await expect(page.getByRole('alert')).toContainText('wrong');
  await page.getByLabel('Two-factor code (TOTP)').fill(totpCode(secret, now));
  await page.getByRole('button', { name: 'Make new recovery codes' }).click();
  const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
  await expect(codes).toHaveCount(10);
  const fresh = await codes.allTextContents();
  expect(fresh).not.toContain(recoveryCodes[1]);
  await page.getByRole('button', { name: 'I have stored my recovery codes' }).click();
  await expect(page.getByText('You have 10 unused recovery codes.')).toBeVisible();

  // Turning it off asks for the password and a code (the next step's: the current one is spent).
  await page.getByLabel('Two-factor authentication (TOTP)').uncheck();
  const form = page.getByRole('form', { name: 'Turn off two-factor authentication' });
  await expect(form).toBeVisible();
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByLabel('Two-factor code (TOTP)').fill(totpCode(secret, now + 30_000));
  await form.getByRole('button', { name: 'Turn off two-factor authentication' }).click();
  await expect(
    page.getByRole('status').filter({ hasText: 'Two-factor authentication is off.' }),
  ).toBeVisible();
  await expect(page.getByLabel('Two-factor authentication (TOTP)')).not.toBeChecked();

  await page.getByRole('button', { name: 'Done' }).click();
  await expect(page.getByRole('definition').nth(2)).toContainText('Off');
});

test('keeps the auto-lock settings across a lock', async ({ page, context }) => {
  await server.createUser('gina', PASSWORD);
  await page.goto(harness.url);
  await page.getByLabel('Username').fill('gina');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();

  await openSettingsTab(page, 'Auto-lock');
  const idle = page.getByLabel('Lock after inactivity');
  await expect(idle).toHaveValue('15');
  await expect(idle.getByRole('option')).toHaveText([
    '1 minute',
    '5 minutes',
    '15 minutes',
    '30 minutes',
    '1 hour',
  ]);
  await idle.selectOption({ label: '5 minutes' });
  await expect(page.getByRole('status')).toHaveText('Strongroom now locks after 5 minutes without use.');
  const onSuspend = page.getByLabel('Lock when the computer sleeps or the screen locks');
  await expect(onSuspend).toBeChecked();
  await onSuspend.uncheck();
  await expect(page.getByRole('status')).toContainText('no longer locks when the computer sleeps');

  // Closing the page closes the window (the app locks); the settings are read back after unlocking.
  await page.close();
  const reopened = await context.newPage();
  await reopened.goto(harness.url);
  await reopened.getByLabel('Password').fill(PASSWORD);
  await reopened.getByRole('button', { name: 'Unlock', exact: true }).click();
  await openSettingsTab(reopened, 'Auto-lock');
  await expect(reopened.getByLabel('Lock after inactivity')).toHaveValue('5');
  await expect(reopened.getByLabel('Lock when the computer sleeps or the screen locks')).not.toBeChecked();
});

test('works from the keyboard: Enter unlocks, arrows move between tabs, Escape cancels Lock…', async ({
  page,
}) => {
  await server.createUser('kim', PASSWORD);
  await page.goto(harness.url);
  await page.getByLabel('Username').fill('kim');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Password').press('Enter');
  await expect(page.getByRole('heading', { name: 'Backups', level: 1 })).toBeFocused();
  await openAccount(page);
  await expect(page.getByRole('heading', { name: 'Account', level: 1 })).toBeFocused();

  await openAccount(page);
  await page.getByRole('button', { name: 'Change account settings' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('tab', { name: 'Account' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Two-factor authentication' })).toBeFocused();
  await expect(page.getByRole('tab', { name: 'Two-factor authentication' })).toHaveAttribute(
    'aria-selected',
    'true',
  );
  await page.keyboard.press('End');
  await expect(page.getByRole('tab', { name: 'Auto-lock' })).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Account' })).toHaveAttribute('aria-selected', 'true');

  await page.getByRole('button', { name: 'Lock…' }).focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Lock Strongroom and close it?' });
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  // Still unlocked: cancelling changes nothing.
  await expect(page.getByRole('tabpanel').getByLabel('Username')).toHaveValue('kim');
});
