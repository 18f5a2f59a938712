/**
 * Backups are not the window's: Lock… while a long backup runs closes the page and locks the app,
 * the job runs on in the harness, and after reopening and unlocking the History shows it finished
 * with Success, after the moment of the lock.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { expect, test } from './journey-test';
import { startTestAccountServer } from '../../support/account-server';
import {
  ACCOUNT_PASSWORD,
  addItem,
  addVault,
  harnessLockState,
  itemCard,
  lockAndClose,
  openSection,
  makeWorkspace,
  unlock,
  waitForHistory,
} from './backup-journey-helpers';
import { freshDataDir, removeDataDir, startHarness } from './harness-process';

test.setTimeout(300_000);

test('a backup started before Lock… finishes while locked, and History says Success after unlocking', async ({
  page,
}) => {
  const server = await startTestAccountServer();
  const dataDir = freshDataDir();
  const work = makeWorkspace(400);
  const harness = await startHarness({ dataDir, serverUrl: server.url });
  try {
    await server.createUser('hugo', ACCOUNT_PASSWORD);
    await page.goto(harness.url);
    await unlock(page, 'hugo');
    await addVault(page, work.vault);
    await addItem(page, 'Projects', work.source, async (form) => {
      await form.getByRole('radio', { name: 'Manually, with Back up now' }).check();
    });

    const card = itemCard(page, 'Projects');
    await expect(card).toContainText('Only when you choose Back up now');
    await card.getByRole('button', { name: 'Back up now' }).click();
    await expect(card.getByRole('progressbar', { name: 'Backup progress of Projects' })).toBeVisible();
    await expect(card.getByText(/ of [\d.]+ MB, [\d,]+ of [\d,]+ files/)).toBeVisible({ timeout: 60_000 });

    // The Lock… dialog says what goes on while locked.
    await openSection(page, 'Account');
    await page.getByRole('button', { name: 'Change account settings' }).click();
    await page.getByRole('tab', { name: 'Account' }).click();
    await page.getByRole('button', { name: 'Lock…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Lock Strongroom and close it?' });
    await expect(dialog).toContainText('The backup of Projects keeps running while Strongroom is locked.');
    await page.screenshot({ path: 'test-results/desktop-screens/lock-while-running.png' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    await lockAndClose(page);
    const lockedAt = harnessLockState(dataDir).lockedAt;
    expect(harnessLockState(dataDir).locked).toBe(true);

    // Reopen: only the unlock screen, then the History after unlocking.
    await page.goto(harness.url);
    await expect(page.getByRole('heading', { name: 'Unlock Strongroom' })).toBeVisible();
    await expect(page.getByRole('navigation')).toHaveCount(0);
    await page.getByLabel('Password').fill(ACCOUNT_PASSWORD);
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await waitForHistory(
      page,
      new RegExp(`Backup\\s+Projects.*Success\\s+${work.fileCount}\\b`, 's'),
      1,
      240_000,
    );

    // It ended after the lock: it ran while the app was locked, with no window open.
    const db = new Database(path.join(dataDir, 'jobs.sqlite'), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare(`SELECT status, ended_at FROM jobs WHERE kind = 'backup'`).get() as {
        status: string;
        ended_at: string;
      };
      expect(row.status).toBe('success');
      expect(Date.parse(row.ended_at)).toBeGreaterThan(Date.parse(lockedAt!));
    } finally {
      db.close();
    }
  } finally {
    await harness.stop();
    await server.close();
    removeDataDir(dataDir);
    work.remove();
  }
});
