/**
 * Account storage as a person meets it, through the harness against a real account server (which
 * also serves the web panel): a vault of type "Strongroom account storage", backups to it with a
 * retention policy keeping the last one (so the device deletes the first backup), the repository,
 * the deletion and the job reports seen in the panel's Storage page, the deleted backup restored
 * from "Recently deleted", and that backup back in the app's Restore list.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Page } from '@playwright/test';
import { expect, test } from './journey-test';
import { startTestAccountServer } from '../../support/account-server';
import {
  ACCOUNT_PASSWORD,
  addTypedPath,
  historyRows,
  itemCard,
  makeWorkspace,
  openSection,
  screenshot,
  unlock,
  waitForHistory,
} from './backup-journey-helpers';
import { freshDataDir, removeDataDir, startHarness } from './harness-process';

test.setTimeout(420_000);

/** Restore → the item → its list of backups (read again from the vault each time). */
async function restoreList(page: Page) {
  await openSection(page, 'Restore');
  const items = page.getByRole('list', { name: 'Protected items' });
  const back = page.getByRole('main').getByRole('button', { name: 'Back', exact: true });
  // The wizard remembers its step: from the list of backups, Back returns to the items.
  await expect(items.or(back)).toBeVisible();
  if (await back.isVisible()) await back.click();
  await items.getByRole('button', { name: /Documents/ }).click();
  const list = page.getByRole('list', { name: 'Backups, newest first' });
  await expect(list).toBeVisible({ timeout: 60_000 }); // read from the server by the job process
  return list.getByRole('button');
}

test('account storage: create, back up, delete by retention, restore from the panel, see it again', async ({
  page,
  context,
}) => {
  const server = await startTestAccountServer();
  const dataDir = freshDataDir();
  const work = makeWorkspace(8);
  const harness = await startHarness({ dataDir, serverUrl: server.url });
  try {
    await server.createUser('ada', ACCOUNT_PASSWORD);
    await page.goto(harness.url);
    await unlock(page, 'ada');

    // Backups → Storage vaults → Add storage vault → Strongroom account storage.
    await page.getByRole('button', { name: 'Storage vaults' }).click();
    await page.getByRole('button', { name: 'Add storage vault' }).click();
    const form = page.getByRole('form', { name: 'Add storage vault' });
    await form.getByLabel('Vault name').fill('Account storage');
    await form.getByRole('radio', { name: 'Strongroom account storage' }).check();
    await expect(form).toContainText(
      `On the account server you sign in to (${server.url}), in ada's storage.`,
    );
    await expect(form).toContainText('the server never sees it, nor your files');
    await form.getByLabel('Repository name').fill('-laptop');
    await form.getByRole('button', { name: 'Add storage vault' }).click();
    await expect(form.getByRole('alert')).toContainText('Repository name: 1 to 64 letters');
    await expect(form.getByLabel('Repository name')).toHaveAttribute('aria-invalid', 'true');
    await form.getByLabel('Repository name').fill('laptop');
    await screenshot(page, '40-vault-form-account-storage');
    await form.getByRole('button', { name: 'Add storage vault' }).click();
    await expect(page.getByRole('heading', { name: 'Save the recovery kit' })).toBeVisible({
      timeout: 60_000,
    });
    await expect(page.getByRole('region', { name: 'Save the recovery kit' })).toContainText(
      'the account server cannot read it, nor your files',
    );
    await page.getByRole('button', { name: 'Not now' }).click();
    const vault = page.getByRole('article', { name: 'Account storage' });
    await expect(vault).toContainText('Strongroom account storage');
    await expect(vault).toContainText(`Repository "laptop" of ada on ${server.url}`);
    await expect(vault).toContainText(/Account storage used\s*[\d.]+ (B|kB|KB|KiB)/);

    // A protected item keeping only the last backup.
    await openSection(page, 'Backups');
    await page.getByRole('button', { name: 'Add protected item' }).click();
    const item = page.getByRole('form', { name: 'Add protected item' });
    await item.getByLabel('Name', { exact: true }).fill('Documents');
    await addTypedPath(page, item, work.source);
    await item.getByRole('radio', { name: 'Manually, with Back up now' }).check();
    await item.getByRole('radio', { name: 'Keep some' }).check();
    await item.getByLabel('Keep the last').fill('1');
    for (const period of ['Daily', 'Weekly', 'Monthly'])
      await item.getByLabel(period, { exact: true }).fill('');
    await item.getByRole('button', { name: 'Add protected item' }).click();
    const card = itemCard(page, 'Documents');
    await expect(card).toBeVisible();

    // Two backups; the clean-up after the second removes the first (a DELETE by this device).
    await card.getByRole('button', { name: 'Back up now' }).click();
    await waitForHistory(page, /Backup\s+Documents.*Success/s, 1, 180_000);
    fs.writeFileSync(path.join(work.source, 'notes.txt'), 'second version of my notes\n');
    await openSection(page, 'Backups');
    await card.getByRole('button', { name: 'Back up now' }).click();
    await waitForHistory(page, /Backup\s+Documents.*Success/s, 2, 180_000);
    // The clean-up is a phase of each backup's own row, not a row of its own.
    expect((await historyRows(page)).filter((r) => /Clean-up/.test(r))).toEqual([]);
    await expect(await restoreList(page)).toHaveCount(1, { timeout: 60_000 });

    // The panel, served by the same account server: the repository, the deletion, the reports.
    const panel = await context.newPage();
    await panel.goto(server.url);
    await panel.getByLabel('Username').fill('ada');
    await panel.getByLabel('Password').fill(ACCOUNT_PASSWORD);
    await panel.getByRole('button', { name: 'Sign in' }).click();
    await panel.getByRole('link', { name: 'Storage' }).click();
    const repo = panel.getByRole('region', { name: 'laptop' });
    await expect(repo).toBeVisible();
    // The clean-up's deletion, in words: the first backup is named from its job report's id.
    const deleted = repo.getByRole('list', { name: 'Deletions from laptop' });
    await expect(deleted).toContainText('1 backup record');
    await expect(deleted.getByRole('list', { name: 'Backups deleted' })).toContainText(
      /Backup of Documents from .+ on /,
    );
    const reports = panel.getByRole('region', { name: 'Backup jobs reported by devices' });
    await expect(reports).toContainText('Documents');
    // The clean-up is part of each backup's report, as it is part of its row in the app.
    await expect(reports).toContainText('backup');
    await expect(reports).not.toContainText('prune');
    await expect(reports).toContainText('succeeded');
    await screenshot(panel, '41-panel-storage-account-vault');

    await repo.getByRole('button', { name: 'Restore deleted files' }).click();
    await expect(repo.getByRole('status')).toHaveText(/\d+ files? restored\./);

    // Back in the app, the first backup is in the Restore list again.
    await page.bringToFront();
    await expect
      .poll(async () => (await restoreList(page)).count(), { timeout: 60_000, intervals: [1000, 2000] })
      .toBe(2);
    await screenshot(page, '42-restore-list-after-panel-restore');
  } finally {
    await harness.stop();
    await server.close();
    removeDataDir(dataDir);
    work.remove();
  }
});
