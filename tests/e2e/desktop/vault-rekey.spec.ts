/**
 * Storage vaults as a person with a vault from before the account kept keys meets it: the vault
 * made with a typed password is offered a random key, the dialog says the old password and the old
 * vault kit stop opening it, and afterwards the typed password no longer opens the repository.
 * "Open a drive with a recovery key" refuses a folder without the account's keys, with words, and
 * adds nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { LocalFolderStorage, Repository } from '../../../src-engine/index';
import { formatRecoveryKey, newRecoveryKey } from '../../../src-shared/account-crypto';
import { startTestAccountServer } from '../../support/account-server';
import { kitDialog } from './account-key-helpers';
import { screenshot, unlock } from './backup-journey-helpers';
import { freshDataDir, removeDataDir, startHarness } from './harness-process';

test.setTimeout(180_000);

const TYPED = 'the vault password I chose in 2024';

test('offers a random key for a vault with a typed password, and the typed one stops opening it', async ({
  page,
}) => {
  const server = await startTestAccountServer();
  const dataDir = freshDataDir();
  const harness = await startHarness({ dataDir, serverUrl: server.url });
  const drive = path.join(dataDir, 'old-drive');
  const other = path.join(dataDir, 'plain-repo');
  try {
    await Repository.init(new LocalFolderStorage(drive), TYPED);
    await Repository.init(new LocalFolderStorage(other), 'another typed password');
    await server.createUser('ada', 'correct horse battery');
    await page.goto(harness.url);
    await unlock(page, 'ada', 'correct horse battery');
    await kitDialog(page).getByRole('button', { name: 'I have saved it' }).click();

    await page.getByRole('button', { name: 'Storage vaults' }).click();
    await page.getByRole('button', { name: 'Add storage vault' }).click();
    const form = page.getByRole('form', { name: 'Add storage vault' });
    await form.getByLabel('Vault name').fill('Old drive');
    await form.getByRole('textbox', { name: 'Folder' }).fill(drive);
    await form.getByRole('radio', { name: 'Open the vault already in this folder' }).check();
    await form.getByLabel('Vault password').fill(TYPED);
    await form.getByRole('button', { name: 'Add storage vault' }).click();
    await page.getByRole('button', { name: 'Not now' }).click({ timeout: 60_000 });

    const card = page.getByRole('article', { name: 'Old drive' });
    const offer = card.getByRole('note', { name: 'A random key for Old drive' });
    await expect(offer).toBeVisible({ timeout: 30_000 });
    await offer.getByRole('button', { name: 'Replace this vault’s password with a random key…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Replace the password of Old drive?' });
    await expect(confirm).toContainText('will no longer open it');
    await screenshot(page, '75-vault-rekey');
    await confirm.getByLabel('Your account password', { exact: true }).fill('correct horse battery');
    await confirm.getByRole('button', { name: 'Replace with a random key' }).click();
    await expect(card.getByRole('status')).toContainText('now has a random key', { timeout: 60_000 });
    await expect(offer).toBeHidden();
    await expect(Repository.open(new LocalFolderStorage(drive), TYPED)).rejects.toThrow();

    // A folder that holds no account keys: said plainly, nothing added.
    await page.getByRole('button', { name: 'Open a drive with a recovery key…' }).click();
    const open = page.getByRole('dialog', { name: 'Open a drive with a recovery key' });
    await open.getByRole('textbox', { name: 'Vault folder on the drive' }).fill(other);
    // A well-formed recovery key (its checksum right) that opens nothing here.
    await open
      .getByRole('textbox', { name: 'Account recovery key' })
      .fill(await formatRecoveryKey(newRecoveryKey()));
    await open.getByRole('button', { name: 'Open the drive' }).click();
    await expect(open.getByRole('alert')).toContainText('holds no copy of an account’s keys', {
      timeout: 60_000,
    });
    await screenshot(page, '76-open-drive');
    await open.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('article')).toHaveCount(1);
    expect(fs.readdirSync(path.join(other, 'keys'))).toHaveLength(1);
  } finally {
    await harness.stop();
    await server.close();
    removeDataDir(dataDir);
  }
});
