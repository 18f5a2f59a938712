/**
 * Restore before any storage vault exists: it says so and offers "Add storage vault", which opens
 * the form to add one.
 */
import { expect, test } from './journey-test';
import { startTestAccountServer } from '../../support/account-server';
import { openSection, screenshot, unlock } from './backup-journey-helpers';
import { freshDataDir, removeDataDir, startHarness } from './harness-process';

test('Restore with no storage vault offers to add one', async ({ page }) => {
  const server = await startTestAccountServer();
  const dataDir = freshDataDir();
  const harness = await startHarness({ dataDir, serverUrl: server.url });
  try {
    await server.createUser('ines', 'correct horse battery');
    await page.goto(harness.url);
    await unlock(page, 'ines', 'correct horse battery');
    await openSection(page, 'Restore');
    const empty = page.getByRole('region', { name: 'Nothing to restore yet' });
    await expect(empty).toContainText('No storage vault has been added, so there are no backups to restore.');
    // Only this account's backups here: no other computer, so no offer of theirs.
    await expect(empty).not.toContainText('other computers');
    await screenshot(page, '70-restore-no-vault');
    await empty.getByRole('button', { name: 'Add storage vault' }).click();
    await expect(page.getByRole('heading', { name: 'Add storage vault', level: 1 })).toBeVisible();
  } finally {
    await harness.stop();
    await server.close();
    removeDataDir(dataDir);
  }
});
