/**
 * File-first restore (issue 9) as a person uses it, through the harness against the real services,
 * the real catalogue and engine: one file is changed, deleted and recreated between four backups;
 * Restore's search finds it with three versions and the gap; the middle version is restored to
 * another folder (its bytes are what was backed up then); the first is saved as a copy under a
 * chosen name; "What changed" between two backups lists it, and opens to its versions; a lost
 * catalogue is noted and rebuilt.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Page } from '@playwright/test';
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

test.setTimeout(420_000);

const V1 = 'Quarterly report, first draft\n';
const V2 = 'Quarterly report, second draft with the figures\n';
const V3 = 'Quarterly report, started again\n';

async function backUp(page: Page, count: number) {
  await openSection(page, 'Backups');
  await itemCard(page, 'Documents').getByRole('button', { name: 'Back up now' }).click();
  await waitForHistory(page, /Backup\s+Documents.*Success/s, count, 180_000);
}

test('finds a file in every backup, restores its middle version, saves a copy, and shows what changed', async ({
  page,
}) => {
  const server = await startTestAccountServer();
  const dataDir = freshDataDir();
  const work = makeWorkspace(0);
  const report = path.join(work.source, 'report.txt');
  const harness = await startHarness({ dataDir, serverUrl: server.url });
  try {
    await server.createUser('fern', ACCOUNT_PASSWORD);
    await page.goto(harness.url);
    await unlock(page, 'fern');
    await addVault(page, work.vault);
    await addItem(page, 'Documents', work.source, async (form) => {
      await form.getByRole('radio', { name: 'Manually, with Back up now' }).check();
    });

    // An accented name, written composed (NFC) and, in a subfolder, decomposed (NFD).
    const composed = path.join(work.source, 'Résumé.txt'.normalize('NFC'));
    const decomposed = path.join(work.source, 'old', 'Résumé.txt'.normalize('NFD'));
    fs.writeFileSync(composed, 'cv');
    fs.mkdirSync(path.dirname(decomposed));
    fs.writeFileSync(decomposed, 'old cv');

    // Four backups: the first draft, the second, without the file, and the file started again.
    fs.writeFileSync(report, V1);
    await backUp(page, 1);
    fs.writeFileSync(report, V2);
    await backUp(page, 2);
    fs.rmSync(report);
    await backUp(page, 3);
    fs.writeFileSync(report, V3);
    await backUp(page, 4);

    // Search its name: one match with three versions (the catalogue follows each backup by itself).
    await openSection(page, 'Restore');
    const field = page.getByRole('searchbox', { name: 'Find a file or folder in your backups' });
    await field.fill('REPORT');
    const matches = page.getByRole('list', { name: 'Matches' });
    const match = matches.getByRole('button', { name: new RegExp(`${report}.*3 versions`) });
    await expect(match).toBeVisible({ timeout: 120_000 });
    await expect(page.getByRole('status').filter({ hasText: '1 match for “REPORT”' })).toBeVisible();
    await screenshot(page, '40-find-matches');

    // Accents and case do not matter: "resume" finds both.
    await field.fill('resume');
    await expect(page.getByRole('status').filter({ hasText: '2 matches for “resume”' })).toBeVisible();
    await expect(matches.getByRole('button', { name: new RegExp(composed) })).toBeVisible();
    await expect(matches.getByRole('button', { name: new RegExp(decomposed) })).toBeVisible();

    // No match: said in words.
    await field.fill('no-such-file-anywhere');
    await expect(page.getByText('Nothing in your backups matches “no-such-file-anywhere”.')).toBeVisible();
    await field.fill('report');
    await match.click();

    // Three versions, newest first, and the gap while it was deleted.
    await expect(page.getByRole('heading', { name: report, level: 2 })).toBeFocused();
    const versions = page.getByRole('list', { name: 'Versions, newest first' });
    const rows = versions.getByRole('listitem').filter({ has: page.getByRole('heading', { level: 3 }) });
    await expect(rows).toHaveCount(3);
    await expect(rows.nth(0).getByRole('heading')).toHaveText('Version 3');
    await expect(versions.getByText(/^Not in backups from .+ until .+$/)).toHaveCount(1);
    const middle = versions.getByRole('listitem', { name: 'Version 2' });
    await expect(middle).toContainText('In 1 backup');
    await expect(middle).toContainText(`${Buffer.byteLength(V2)} B`);
    await screenshot(page, '41-find-versions');

    // Restore the middle version to another folder, with the wizard's choices and progress.
    await middle.getByRole('button', { name: 'Restore this version' }).click();
    await expect(page.getByRole('heading', { name: 'Where to restore' })).toBeVisible();
    await page.getByRole('radio', { name: 'To another folder' }).check();
    const restoreDir = path.join(work.root, 'restored');
    await page.getByLabel('Restore into', { exact: true }).fill(restoreDir);
    await screenshot(page, '42-find-restore-where');
    await page.getByRole('main').getByRole('button', { name: 'Restore', exact: true }).click();
    const result = page.getByRole('status').filter({ hasText: 'Restore success.' });
    await expect(result).toContainText('Restored 1 file', { timeout: 120_000 });
    expect(fs.readFileSync(path.join(restoreDir, 'Documents', 'report.txt'), 'utf8')).toBe(V2);
    await screenshot(page, '43-find-restore-result');

    // Back at its versions: save the first draft as a copy under a chosen name.
    await page.getByRole('button', { name: 'Back to the versions' }).click();
    const first = versions.getByRole('listitem', { name: 'Version 1' });
    await first.getByRole('button', { name: 'Save a copy as…' }).click();
    await expect(page.getByRole('radio', { name: 'Save a copy as…' })).toBeChecked();
    const copy = path.join(work.root, 'first draft.txt');
    await page.getByLabel('Save the copy as', { exact: true }).fill(copy);
    await page.getByRole('button', { name: 'Save the copy', exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Save a copy: success.' })).toContainText(copy, {
      timeout: 120_000,
    });
    expect(fs.readFileSync(copy, 'utf8')).toBe(V1);
    await screenshot(page, '44-find-save-copy');

    // What changed: between the last two backups the file came back; between the first two it changed.
    await page.getByRole('button', { name: 'Back to the versions' }).click();
    await page.getByRole('button', { name: 'Back to the search' }).click();
    await page.getByRole('button', { name: 'What changed between two backups…' }).click();
    await page.getByLabel('Backups of').selectOption({ label: 'Documents (in Backup drive)' });
    await expect(page.getByLabel('From backup').locator('option')).toHaveCount(4, { timeout: 60_000 });
    await page.getByRole('button', { name: 'Show what changed' }).click();
    const changes = page.getByRole('region', { name: 'Changes' });
    await expect(changes.getByRole('list', { name: 'Added (1)' })).toContainText(report);
    // Options are newest first: the oldest backup, then the one after it.
    await page.getByLabel('From backup').selectOption({ index: 3 });
    await page.getByLabel('To backup').selectOption({ index: 2 });
    await page.getByRole('button', { name: 'Show what changed' }).click();
    const modified = changes.getByRole('list', { name: 'Modified (1)' });
    await expect(modified).toContainText(`${Buffer.byteLength(V1)} B → ${Buffer.byteLength(V2)} B`);
    await screenshot(page, '45-what-changed');
    await modified.getByRole('button', { name: new RegExp(report) }).click();
    await expect(
      page.getByRole('list', { name: 'Versions, newest first' }).getByRole('listitem', { name: 'Version 2' }),
    ).toBeVisible();
    await page.getByRole('button', { name: 'Back to what changed' }).click();
    await expect(modified).toBeVisible();

    // The catalogue is lost (a new computer, a cleaned data folder): the page says so, and
    // Rebuild catalogue brings the same answers back, with its progress as a job.
    await page.getByRole('button', { name: 'Back to the search' }).click();
    await expect(field).toBeFocused();
    const catalogues = fs
      .readdirSync(dataDir, { recursive: true, encoding: 'utf8' })
      .filter((f) => /(^|\/)catalogue-[a-z0-9-]+\.sqlite$/.test(f));
    expect(catalogues).toHaveLength(1);
    fs.rmSync(path.join(dataDir, catalogues[0]!));
    await openSection(page, 'Backups');
    await openSection(page, 'Restore');
    const notes = page.getByRole('list', { name: 'Search indexes' });
    await expect(notes).toContainText('The search index of “Backup drive” has not been built yet');
    await screenshot(page, '46-catalogue-missing');
    await notes.getByRole('button', { name: 'Rebuild search index' }).click();
    await expect(notes).toBeHidden({ timeout: 120_000 });
    await expect(match).toBeVisible();
    await field.fill('report.txt');
    await expect(match).toBeVisible();
  } finally {
    // What the harness printed (its services' warnings), beside the trace when the journey fails.
    await test.info().attach('harness output', { body: harness.output(), contentType: 'text/plain' });
    await harness.stop();
    await server.close();
    removeDataDir(dataDir);
    work.remove();
  }
});
