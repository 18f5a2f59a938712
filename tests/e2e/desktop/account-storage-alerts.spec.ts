/**
 * A deletion alert as a person meets it: a key file of an account-storage vault deleted on the
 * server (here with another device token of the account, as a stolen one would), and the Backups page and the vault's
 * card saying so in words of vaults and backups, with the web panel's address to restore it.
 */
import { expect, test } from './journey-test';
import { startTestAccountServer } from '../../support/account-server';
import { openSection, screenshot, unlock } from './backup-journey-helpers';
import { freshDataDir, removeDataDir, startHarness } from './harness-process';

test.setTimeout(180_000);

test('a key file deleted on the server shows as a warning with the way to restore it', async ({ page }) => {
  const server = await startTestAccountServer();
  const dataDir = freshDataDir();
  const harness = await startHarness({ dataDir, serverUrl: server.url });
  try {
    await server.createUser('ada', 'correct horse battery');
    await page.goto(harness.url);
    await unlock(page, 'ada', 'correct horse battery');

    await page.getByRole('button', { name: 'Storage vaults' }).click();
    await page.getByRole('button', { name: 'Add storage vault' }).click();
    const form = page.getByRole('form', { name: 'Add storage vault' });
    await form.getByLabel('Vault name').fill('Cloud');
    await form.getByRole('radio', { name: 'Strongroom account storage' }).check();
    await form.getByLabel('Repository name').fill('laptop');
    await form.getByRole('button', { name: 'Add storage vault' }).click();
    await page.getByRole('button', { name: 'Not now' }).click({ timeout: 60_000 });

    // Someone else, with a device token of the account, deletes a key file of the vault.
    const services = server.server.services;
    const account = services.accounts.byUsername('ada')!;
    const device = services.sessions.createDevice(account.id, 'stolen');
    const auth = { authorization: `Bearer ${device.token}` };
    const base = `${server.url}/storage/ada/laptop/keys/`;
    const keys = (await (
      await fetch(base, { headers: { ...auth, accept: 'application/vnd.x.restic.rest.v2' } })
    ).json()) as { name: string }[];
    expect((await fetch(base + keys[0]!.name, { method: 'DELETE', headers: auth })).status).toBe(200);

    await openSection(page, 'Backups');
    const warning = page
      .getByRole('alert')
      .filter({ hasText: 'Files of "Cloud" were deleted on the server' });
    await expect(warning).toContainText(/its key|a key \(\d+ left\)/);
    await expect(warning).toContainText('by the device "stolen"');
    await expect(warning).toContainText('restore them in the web panel’s Storage page within 29 days');
    await expect(warning).toContainText(`${server.url}/#/storage`);
    await expect(warning.getByRole('button', { name: 'Copy the address' })).toBeVisible();
    await expect(warning).toContainText('Until they are back, backups to this vault may fail.');
    await expect(warning).not.toContainText(/snapshot|pack|index|B of its/i);
    await screenshot(page, '43-deletion-alert-backups');

    await page.getByRole('button', { name: 'Storage vaults' }).click();
    await expect(page.getByRole('article', { name: 'Cloud' }).getByRole('alert')).toContainText(
      'Files of "Cloud" were deleted on the server',
    );
  } finally {
    await harness.stop();
    await server.close();
    removeDataDir(dataDir);
  }
});
