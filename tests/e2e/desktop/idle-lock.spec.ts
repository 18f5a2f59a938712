/**
 * The idle lock as a person meets it: with "Lock after inactivity" at its shortest (1 minute) and
 * no input, the app locks by itself, drops the account from the window and says why. The harness
 * runs with --test-clock, so the minute is skipped rather than waited for; the decision to lock
 * is the real lock service's, driven by the setting the person chose in the page.
 */
import { type Page } from '@playwright/test';
import { expect, test } from './journey-test';
import { startTestAccountServer } from '../../support/account-server';
import { freshDataDir, removeDataDir, startHarness } from './harness-process';

/** The app opens on Backups after unlocking; Account is at the bottom left of the side menu. */
async function openAccount(page: Page) {
  await page.getByRole('navigation', { name: 'Main menu' }).getByRole('button', { name: 'Account' }).click();
}

test('locks after a minute without input and says why on the unlock screen', async ({ page }) => {
  const server = await startTestAccountServer();
  const dataDir = freshDataDir();
  const harness = await startHarness({ dataDir, serverUrl: server.url, testClock: true });
  try {
    await server.createUser('hugo', 'correct horse battery');
    await page.goto(harness.url);
    await page.getByLabel('Username').fill('hugo');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await openAccount(page);
    await page.getByRole('button', { name: 'Change account settings' }).click();
    await page.getByRole('tab', { name: 'Auto-lock' }).click();

    // The tab also says where the device token is kept: the OS keychain, or memory where keytar
    // did not build (the harness then said so when it started).
    const keytarMissing = harness.output().includes('will not outlive this process');
    await expect(page.getByRole('tabpanel')).toContainText(
      keytarMissing
        ? 'is kept in memory only, so it does not outlive this run of Strongroom.'
        : 'is kept in the OS keychain.',
    );

    await page.getByLabel('Lock after inactivity').selectOption({ label: '1 minute' });
    await expect(page.getByRole('status')).toHaveText('Strongroom now locks after 1 minute without use.');

    // No input from here on: 30 s is not yet a minute. The skip has run every timer it made due by
    // the time the harness answers; main's lock state, asked over the same ordered bridge after it,
    // is the condition (a lock would also have sent onLocked and a reload first).
    await harness.skipClock(30_000);
    expect(await page.evaluate(() => window.api.lockStatus())).toMatchObject({
      ok: true,
      value: { locked: false },
    });
    await expect(page.getByRole('tab', { name: 'Auto-lock' })).toBeVisible();

    // ...31 s more is. The lock comes from main (onLocked, then a reload), not from the page.
    await harness.skipClock(31_000);
    await expect(page.getByRole('heading', { name: 'Unlock Strongroom' })).toBeVisible();
    await expect(page.getByRole('status')).toHaveText('Strongroom locked itself after a period without use.');
    await expect(page.getByRole('navigation')).toHaveCount(0);
    await expect(page.getByLabel('Username')).toHaveValue('hugo');
  } finally {
    await harness.stop();
    await server.close();
    removeDataDir(dataDir);
  }
});
