/**
 * Where restored files land, as a person sees it: to another folder they go into
 * <folder>/<item name>/, relative to the item's folder, and the result says so; "Restore this
 * version" to the original location with Keep both names the file it wrote beside the one there,
 * and Show in folder shows that file; a folder on a disk too small for the selection stops the restore
 * before anything is written, and the person chooses another folder or restores what fits (a 128 KiB
 * tmpfs, as root where `mount` works).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect, test } from './journey-test';
import { startTestAccountServer } from '../../support/account-server';
import {
  ACCOUNT_PASSWORD,
  addItem,
  addVault,
  itemCard,
  makeWorkspace,
  openSection,
  screenshot,
  unlock,
  waitForHistory,
} from './backup-journey-helpers';
import { freshDataDir, removeDataDir, startHarness } from './harness-process';

test.setTimeout(300_000);

test('restores an item into <folder>/<item name>/, and says which file Keep both wrote beside the one there', async ({
  page,
}) => {
  const server = await startTestAccountServer();
  const dataDir = freshDataDir();
  const work = makeWorkspace(0);
  const invoice = path.join(work.source, 'Facture n° 122.txt');
  const sent = 'Facture 122, as sent\n';
  fs.writeFileSync(invoice, sent);
  // Incompressible, and more than the small disk below holds.
  fs.writeFileSync(path.join(work.source, 'scan.bin'), crypto.randomBytes(300 * 1024));
  const harness = await startHarness({ dataDir, serverUrl: server.url });
  try {
    await server.createUser('iris', ACCOUNT_PASSWORD);
    await page.goto(harness.url);
    await unlock(page, 'iris');
    await addVault(page, work.vault);
    await addItem(page, 'My files', work.source, async (form) => {
      await form.getByRole('radio', { name: 'Manually, with Back up now' }).check();
    });
    await itemCard(page, 'My files').getByRole('button', { name: 'Back up now' }).click();
    await waitForHistory(page, /Backup\s+My files.*Success/s, 1, 180_000);

    // Everything, to another folder: under <folder>/My files/, not under the whole original path.
    await openSection(page, 'Restore');
    await page
      .getByRole('list', { name: 'Protected items' })
      .getByRole('button', { name: /My files/ })
      .click();
    const backups = page.getByRole('list', { name: 'Backups, newest first' }).getByRole('button');
    await backups.first().click({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('radio', { name: 'To another folder' }).check();
    const restoreDir = path.join(work.root, 'Restored');
    await page.getByLabel('Restore into', { exact: true }).fill(restoreDir);
    await expect(page.getByRole('checkbox', { name: 'Keep the full original paths' })).not.toBeChecked();
    await page.getByRole('main').getByRole('button', { name: 'Restore', exact: true }).click();
    const into = path.join(restoreDir, 'My files');
    const result = page.getByRole('status').filter({ hasText: 'Restore success.' });
    await expect(result).toContainText(/Restored \d+ files \(.+\) to /, { timeout: 120_000 });
    await expect(result).toContainText(`to ${into}.`);
    await screenshot(page, '50-restore-into-item-folder');
    expect(fs.readFileSync(path.join(into, 'Facture n° 122.txt'), 'utf8')).toBe(sent);
    expect(fs.existsSync(path.join(restoreDir, work.source.slice(1)))).toBe(false);

    // The file changed since; its backed-up version goes back beside it under a new name.
    fs.writeFileSync(invoice, 'Facture 122, corrected\n');
    await page.getByRole('button', { name: 'Restore something else' }).click();
    await page
      .getByRole('list', { name: 'Protected items' })
      .getByRole('button', { name: /My files/ })
      .click();
    await backups.first().click({ timeout: 60_000 });
    await page.getByRole('radio', { name: 'Only the files and folders I select' }).check();
    await page.getByRole('checkbox', { name: 'Select Facture n° 122.txt' }).check({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('radio', { name: 'To the original location' }).check();
    await expect(page.getByRole('radio', { name: /^Keep both/ })).toBeChecked();
    await page.getByRole('main').getByRole('button', { name: 'Restore', exact: true }).click();
    const beside = path.join(work.source, 'Facture n° 122 (restored).txt');
    await expect(result).toContainText(
      `Restored 1 file (${sent.length} B) to its original location. Restored as “Facture n° 122 (restored).txt” beside the file that was there.`,
      { timeout: 120_000 },
    );
    expect(fs.readFileSync(beside, 'utf8')).toBe(sent);
    expect(fs.readFileSync(invoice, 'utf8')).toBe('Facture 122, corrected\n');
    // The harness has no file manager: it says which file Show in folder was to show.
    await page.getByRole('button', { name: 'Show in folder' }).click();
    await expect(page.getByText(`The restored file is ${beside}.`)).toBeVisible();
    await screenshot(page, '51-restore-kept-both');

    // A folder on a disk too small for everything: nothing is written until the person chooses.
    const small = path.join(work.root, 'small-disk');
    fs.mkdirSync(small);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=128k', 'tmpfs', small], {
      encoding: 'utf8',
    });
    if (mounted.status !== 0) {
      console.log(
        `note: cannot mount a tmpfs here (${mounted.stderr.trim()}): the small-disk steps are skipped`,
      );
      return;
    }
    try {
      await page.getByRole('button', { name: 'Restore something else' }).click();
      await page
        .getByRole('list', { name: 'Protected items' })
        .getByRole('button', { name: /My files/ })
        .click();
      await backups.first().click({ timeout: 60_000 });
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByRole('radio', { name: 'To another folder' }).check();
      await page.getByLabel('Restore into', { exact: true }).fill(small);
      await page.getByRole('main').getByRole('button', { name: 'Restore', exact: true }).click();
      const alert = page.getByRole('alert').filter({ hasText: 'Not enough space.' });
      await expect(alert).toContainText(
        /The files chosen need \d+ KB and .+ has \d+ KB free\. Nothing was restored\./,
        {
          timeout: 120_000,
        },
      );
      await screenshot(page, '52-restore-not-enough-space');
      const into2 = path.join(small, 'My files');
      expect(fs.existsSync(into2) ? fs.readdirSync(into2) : []).toEqual([]);
      // Another folder: back to the destination, the selection kept.
      await page.getByRole('button', { name: 'Choose another folder' }).click();
      await expect(page.getByLabel('Restore into', { exact: true })).toHaveValue(small);
      await page.getByRole('main').getByRole('button', { name: 'Restore', exact: true }).click();
      await expect(alert).toBeVisible({ timeout: 120_000 });
      // What fits: the small file is restored, the large one is named.
      await page.getByRole('button', { name: 'Restore what fits' }).click();
      await expect(page.getByRole('status').filter({ hasText: 'Restore warning.' })).toContainText(
        'could not be restored',
        { timeout: 120_000 },
      );
      await expect(page.getByRole('list', { name: 'Not restored' })).toContainText('scan.bin');
      expect(fs.readFileSync(path.join(small, 'My files', 'Facture n° 122.txt'), 'utf8')).toBe(sent);
    } finally {
      spawnSync('umount', ['-l', small]);
    }
  } finally {
    await test.info().attach('harness output', { body: harness.output(), contentType: 'text/plain' });
    await harness.stop();
    await server.close();
    removeDataDir(dataDir);
    work.remove();
  }
});
