/**
 * A server started with --require-totp: an account without two-factor authentication unlocks,
 * is told to set it up, and does so from the app with the key for manual entry.
 */
import { expect, test } from './journey-test';
import { startTestAccountServer } from '../../support/account-server';
import { oathtoolCode } from './authenticator';
import { freshDataDir, removeDataDir, startHarness } from './harness-process';

test('a server that requires two-factor authentication leads the person to set it up', async ({ page }) => {
  const server = await startTestAccountServer({ requireTotp: true });
  const dataDir = freshDataDir();
  const harness = await startHarness({ dataDir, serverUrl: server.url });
  try {
    await server.createUser('ivan', 'correct horse battery');
    await page.goto(harness.url);
    await page.getByLabel('Username').fill('ivan');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();

    await expect(page.getByText('Your account server requires two-factor authentication.')).toBeVisible();
    await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    await expect(page.getByRole('tab', { name: 'Two-factor authentication' })).toHaveAttribute(
      'aria-selected',
      'true',
    );

    // Typed by hand into the authenticator: the key for manual entry, in groups of four.
    const key = page.getByLabel('Key for manual entry');
    await expect(key).toHaveValue(/^[A-Z2-7]{4}( [A-Z2-7]{4})+$/);
    const secret = (await key.inputValue()).replace(/\s+/g, '');
    await page.getByLabel('Six-digit code from the app').fill(oathtoolCode(secret));
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem')).toHaveCount(10);
    await page.getByRole('button', { name: 'I have stored my recovery codes' }).click();

    await page.getByRole('button', { name: 'Done' }).click();
    await expect(page.getByRole('definition').nth(2)).toContainText('On');
    await expect(page.getByText('Your account server requires two-factor authentication.')).toHaveCount(0);
    // The unlock got no device token; enrolling registered this device (POST /api/account/devices).
    const devices = server.server.services.db
      .prepare('SELECT name FROM devices WHERE revoked_at IS NULL')
      .all() as { name: string }[];
    expect(devices).toHaveLength(1);
  } finally {
    await harness.stop();
    await server.close();
    removeDataDir(dataDir);
  }
});
