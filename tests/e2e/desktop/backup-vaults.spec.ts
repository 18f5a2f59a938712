/**
 * Storage vaults as a person manages them, against the real services and engine: add one, Verify
 * it reading all data (progress, then its result), rename it, a vault whose password is not kept,
 * and Remove: refused while a protected item uses it, then done, with the backups left on disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from './journey-test';
import { startTestAccountServer } from '../../support/account-server';
import {
  ACCOUNT_PASSWORD,
  addItem,
  addVault,
  fillNewVault,
  itemCard,
  makeWorkspace,
  openSection,
  screenshot,
  unlock,
} from './backup-journey-helpers';
import { freshDataDir, removeDataDir, startHarness } from './harness-process';

test.setTimeout(240_000);

test('adds, verifies, renames and removes a storage vault; removing never deletes the backups', async ({
  page,
}) => {
  const server = await startTestAccountServer();
  const dataDir = freshDataDir();
  const work = makeWorkspace(24);
  const harness = await startHarness({ dataDir, serverUrl: server.url });
  try {
    await server.createUser('vera', ACCOUNT_PASSWORD);
    await page.goto(harness.url);
    await unlock(page, 'vera');
    await expect(page.getByRole('heading', { name: 'Nothing is protected yet' })).toBeVisible();
    await screenshot(page, '20-backups-empty');
    await addVault(page, work.vault);
    await addItem(page, 'Documents', work.source, async (form) => {
      await form.getByRole('radio', { name: 'Manually, with Back up now' }).check();
    });
    await itemCard(page, 'Documents').getByRole('button', { name: 'Back up now' }).click();
    await expect(itemCard(page, 'Documents').getByText('Success')).toBeVisible({ timeout: 120_000 });

    // Verify, reading all data.
    await openSection(page, 'Backups');
    await page.getByRole('button', { name: 'Storage vaults' }).click();
    const vault = page.getByRole('article', { name: 'Backup drive' });
    await expect(vault).toContainText(work.vault);
    await expect(vault).toContainText('Kept on this computer');
    await expect(vault).toContainText('1 protected item');
    // Its number of backups, as the search index counts them once it has caught up.
    await expect(vault.getByRole('definition').filter({ hasText: /^1 backup$/ })).toBeVisible({
      timeout: 60_000,
    });
    await vault.getByRole('button', { name: 'Verify…' }).click();
    const verify = page.getByRole('dialog', { name: 'Verify Backup drive' });
    await verify.getByRole('radio', { name: /^Read all data/ }).check();
    await screenshot(page, '21-vault-verify-dialog');
    await verify.getByRole('button', { name: 'Verify' }).click();
    await expect(vault.getByRole('status').filter({ hasText: 'Verify: Success' })).toBeVisible({
      timeout: 120_000,
    });
    await screenshot(page, '22-vaults');

    // Rename.
    await vault.getByRole('button', { name: 'Rename Backup drive' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename Backup drive' });
    await rename.getByLabel('Vault name').fill('Offsite disk');
    await rename.getByRole('button', { name: 'Rename' }).click();
    const renamed = page.getByRole('article', { name: 'Offsite disk' });
    await expect(renamed).toBeVisible();

    // A second vault whose password stays off this computer.
    await page.getByRole('button', { name: 'Add storage vault' }).click();
    await page.getByLabel('Vault name').fill('Shared drive');
    await page
      .getByLabel('Keep the password on this computer so scheduled backups run while Strongroom is locked')
      .uncheck();
    await expect(
      page.getByText(/Scheduled backups to this vault then wait until you unlock Strongroom/),
    ).toBeVisible();
    await screenshot(page, '23-vault-form-not-kept');
    await page
      .getByLabel('Keep the password on this computer so scheduled backups run while Strongroom is locked')
      .check();
    await fillNewVault(page, path.join(work.root, 'shared'), 'Add storage vault', false);
    await page.getByRole('button', { name: 'Not now' }).click({ timeout: 30_000 });
    await expect(page.getByRole('article', { name: 'Shared drive' })).toContainText(
      /Entered for this session|Not kept on this computer/,
    );

    // Remove: refused while Documents backs up to it; then allowed, and the backups stay.
    await renamed.getByRole('button', { name: 'Remove Offsite disk' }).click();
    const remove = page.getByRole('dialog', { name: 'Remove Offsite disk?' });
    await expect(remove).toContainText('The backups in it are not deleted');
    await remove.getByRole('button', { name: 'Remove' }).click();
    await expect(remove.getByRole('alert')).toBeVisible();
    await remove.getByRole('button', { name: 'Cancel' }).click();

    await openSection(page, 'Backups');
    await itemCard(page, 'Documents').getByRole('button', { name: 'Remove Documents' }).click();
    await page
      .getByRole('dialog', { name: 'Remove Documents?' })
      .getByRole('button', { name: 'Remove' })
      .click();
    await expect(itemCard(page, 'Documents')).toHaveCount(0);

    await page.getByRole('button', { name: 'Storage vaults' }).click();
    await page
      .getByRole('article', { name: 'Offsite disk' })
      .getByRole('button', { name: 'Remove Offsite disk' })
      .click();
    await page
      .getByRole('dialog', { name: 'Remove Offsite disk?' })
      .getByRole('button', { name: 'Remove' })
      .click();
    await expect(page.getByRole('article', { name: 'Offsite disk' })).toHaveCount(0);
    expect(fs.readdirSync(work.vault).length).toBeGreaterThan(0);
  } finally {
    await harness.stop();
    await server.close();
    removeDataDir(dataDir);
    work.remove();
  }
});
