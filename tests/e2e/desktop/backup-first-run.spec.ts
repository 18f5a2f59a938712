/**
 * The first run as a person meets it, through the harness against the real services and engine:
 * Create account in the app → the guide (folders, vault, recovery kit, schedule) → Back up now →
 * progress seen → History shows Success with the file count → a file changes → back up again →
 * Restore the first backup's version of that file to another folder: its bytes are the first version.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import {
  ACCOUNT_PASSWORD,
  VAULT_PASSWORD,
  addTypedPath,
  fillNewVault,
  findRestored,
  itemCard,
  makeWorkspace,
  openSection,
  waitForHistory,
} from './backup-journey-helpers';
import { freshDataDir, removeDataDir, startHarness } from './harness-process';

test.setTimeout(300_000);

test('first run: create account, guide, back up, see it in History, restore an older version', async ({
  page,
}) => {
  const dataDir = freshDataDir();
  const work = makeWorkspace(160);
  const harness = await startHarness({ dataDir });
  try {
    await page.goto(harness.url);

    // Create account, in the app.
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByRole('heading', { name: 'Create account' })).toBeVisible();
    await page.getByLabel('Username').fill('nora');
    await page.getByLabel('Password', { exact: true }).fill(ACCOUNT_PASSWORD);
    await page.getByLabel('Repeat password').fill('something else');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByRole('alert')).toHaveText(
      'The two passwords are not the same. Type the password again.',
    );
    await page.getByLabel('Repeat password').fill(ACCOUNT_PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();

    // The guide: choose folders.
    await expect(page.getByRole('heading', { name: 'Set up your first backup' })).toBeVisible();
    await page.getByLabel('Name', { exact: true }).fill('Documents');
    await addTypedPath(page, page.locator('main'), work.source);
    await page.getByRole('button', { name: 'Next' }).click();

    // Create the vault, then save its recovery kit (the account password again).
    await expect(page.getByRole('heading', { name: 'Create the vault' })).toBeVisible();
    await fillNewVault(page, work.vault, 'Create the vault');
    const offer = page.getByRole('region', { name: 'Save the recovery kit' });
    await expect(offer).toContainText('Without the vault password nobody can restore these backups', {
      timeout: 30_000,
    });
    await offer.getByRole('button', { name: 'Save recovery kit…' }).click();
    const kitDialog = page.getByRole('dialog', { name: /Save the recovery kit of/ });
    await kitDialog.getByLabel('Account password').fill(ACCOUNT_PASSWORD);
    const kitPath = path.join(work.root, 'recovery-kit.txt');
    await kitDialog.getByLabel('Save as', { exact: true }).fill(kitPath);
    await kitDialog.getByRole('button', { name: 'Save recovery kit' }).click();
    await expect(offer.getByRole('status')).toContainText(`Recovery kit saved to ${kitPath}`);
    expect(fs.readFileSync(kitPath, 'utf8')).toContain(VAULT_PASSWORD);
    await offer.getByRole('button', { name: 'Continue' }).click();

    // Pick a schedule (every day at 02:30 is offered), then Back up now.
    await expect(page.getByRole('heading', { name: 'Pick a schedule' })).toBeVisible();
    await expect(page.getByRole('radio', { name: 'Every day' })).toBeChecked();
    await expect(page.getByText('Every day at 02:30.')).toBeVisible();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Back up now' }).click();

    // The Backups page shows it running, with progress, then its result.
    const card = itemCard(page, 'Documents');
    await expect(card.getByRole('progressbar', { name: 'Backup progress of Documents' })).toBeVisible();
    await expect(card.getByText(/ of [\d.]+ MB, [\d,]+ of [\d,]+ files/)).toBeVisible({ timeout: 60_000 });
    await expect(card.getByRole('button', { name: 'Cancel' })).toBeVisible();
    await expect(card.getByText('Success')).toBeVisible({ timeout: 180_000 });
    await expect(card).toContainText(`${work.fileCount} files`);

    // History: Success with the file count.
    await waitForHistory(page, new RegExp(`Backup\\s+Documents.*Success\\s+${work.fileCount}\\b`, 's'));

    // A file changes; back up again.
    fs.writeFileSync(path.join(work.source, 'notes.txt'), 'second version, rewritten\n');
    await openSection(page, 'Backups');
    await card.getByRole('button', { name: 'Back up now' }).click();
    await waitForHistory(page, /Backup\s+Documents.*Success/s, 2, 180_000);

    // Restore the first backup's notes.txt to another folder.
    await openSection(page, 'Restore');
    await page
      .getByRole('list', { name: 'Protected items' })
      .getByRole('button', { name: /Documents/ })
      .click();
    const backups = page.getByRole('list', { name: 'Backups, newest first' }).getByRole('button');
    await expect(backups).toHaveCount(2, { timeout: 60_000 });
    await backups.nth(1).click();
    await page.getByRole('radio', { name: 'Only the files and folders I select' }).check();
    await page.getByRole('checkbox', { name: 'Select notes.txt' }).check({ timeout: 60_000 });
    await expect(page.getByText('1 selected')).toBeVisible();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('radio', { name: 'To another folder' }).check();
    const restoreDir = path.join(work.root, 'restored');
    await page.getByLabel('Restore into', { exact: true }).fill(restoreDir);
    await page.getByRole('radio', { name: /^Skip it/ }).check();
    await page.getByRole('main').getByRole('button', { name: 'Restore', exact: true }).click();
    const result = page.getByRole('status').filter({ hasText: 'Restore success.' });
    await expect(result).toContainText(`1 file restored`, { timeout: 120_000 });
    await expect(result).toContainText(restoreDir);
    await expect(page.getByRole('button', { name: 'Show in folder' })).toBeVisible();

    const restored = findRestored(restoreDir, 'notes.txt');
    expect(restored).not.toBeNull();
    expect(fs.readFileSync(restored!, 'utf8')).toBe('first version of my notes\n');

    // The restore is a job in the History too.
    await waitForHistory(page, /Restore\s+Documents.*Success/s);
  } finally {
    await harness.stop();
    removeDataDir(dataDir);
    work.remove();
  }
});
