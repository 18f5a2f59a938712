/**
 * The account server ends the app's session while it is open (here: an administrator resets the
 * password, which ends every session and device token of the account). The next account call
 * locks the app in place and the person lands on the unlock screen, told why (the password was
 * changed), instead of on a setting that can only fail.
 */
import { type Page } from '@playwright/test';
import { expect, test } from './journey-test';
import { startTestAccountServer } from '../../support/account-server';
import { freshDataDir, removeDataDir, startHarness } from './harness-process';

/** The app opens on Backups after unlocking; Account is at the bottom left of the side menu. */
async function openAccount(page: Page) {
  await page.getByRole('navigation', { name: 'Main menu' }).getByRole('button', { name: 'Account' }).click();
}

test('a session the server ended locks the app and asks to unlock again', async ({ page }) => {
  const server = await startTestAccountServer();
  const dataDir = freshDataDir();
  const harness = await startHarness({ dataDir, serverUrl: server.url });
  try {
    await server.createUser('gus', 'correct horse battery');
    await page.goto(harness.url);
    await page.getByLabel('Username').fill('gus');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await openAccount(page);
    await page.getByRole('button', { name: 'Change account settings' }).click();
    await page.getByRole('tab', { name: 'Two-factor authentication' }).click();

    await server.changePassword('gus', 'a brand new password');
    // click, not check(): the answer locks the app and main reloads the page, so the box never gets
    // ticked; wait for that reload so the password typed below is not typed into the page it replaces.
    const reloaded = page.waitForEvent('load');
    await page.getByRole('checkbox', { name: 'Two-factor authentication (TOTP)' }).click();
    await reloaded;

    await expect(page.getByRole('heading', { name: 'Unlock Strongroom' })).toBeVisible();
    await expect(page.getByRole('status')).toHaveText(
      'The password of your account was changed (on the web panel or by the server’s administrator), so this computer was signed out. Unlock with the new password.',
    );
    await expect(page.getByRole('navigation')).toHaveCount(0);

    await page.getByLabel('Password').fill('a brand new password');
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await openAccount(page);
    await expect(page.getByRole('button', { name: 'Change account settings' })).toBeVisible();
  } finally {
    await harness.stop();
    await server.close();
    removeDataDir(dataDir);
  }
});
