/**
 * What the backup journeys do as a person would, through the page only: folders to protect on a
 * temporary disk, a vault, a protected item, and reading the History. Shared by the harness
 * journeys (tests/e2e/desktop/backup-*.spec.ts) and the Electron ones.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, type Locator, type Page } from '@playwright/test';

/** Each page as the journeys pass it, for a person to look at (not compared: layouts change). */
export const SCREENS_DIR = path.join(os.tmpdir(), 'strongroom-desktop-screens');
export async function screenshot(page: Page, name: string) {
  fs.mkdirSync(SCREENS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENS_DIR, `${name}.png`) });
}

export const ACCOUNT_PASSWORD = 'correct horse battery';

export interface Workspace {
  root: string;
  /** The folder to protect. */
  source: string;
  /** Where the vault goes (made by vault:create; its parent exists). */
  vault: string;
  remove(): void;
}

/**
 * A folder to protect: a small text file people change, plus `bigMiB` of random (incompressible)
 * data in 4 MiB files, so a backup lasts long enough to be watched.
 */
export function makeWorkspace(bigMiB: number): Workspace & { fileCount: number } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-e2e-files-'));
  const source = path.join(root, 'Documents');
  fs.mkdirSync(path.join(source, 'big'), { recursive: true });
  fs.writeFileSync(path.join(source, 'notes.txt'), 'first version of my notes\n');
  const chunk = 4;
  let files = 1;
  for (let i = 0; i * chunk < bigMiB; i++) {
    fs.writeFileSync(
      path.join(source, 'big', `part-${String(i).padStart(3, '0')}.bin`),
      randomBytes(chunk << 20),
    );
    files++;
  }
  return {
    root,
    source,
    vault: path.join(root, 'vault'),
    fileCount: files,
    remove: () => fs.rmSync(root, { recursive: true, force: true, maxRetries: 5 }),
  };
}

export const mainMenu = (page: Page) => page.getByRole('navigation', { name: 'Main menu' });
export async function openSection(page: Page, name: 'Backups' | 'Restore' | 'History' | 'Account') {
  await mainMenu(page).getByRole('button', { name, exact: true }).click();
}

export async function unlock(page: Page, username: string, password = ACCOUNT_PASSWORD) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Backups', level: 1 })).toBeVisible();
}

/**
 * A typed path: the form offers it beside "Add folder or file…" (the system picker in Electron,
 * which a test cannot drive; the harness has none), and main checks it again.
 */
export async function addTypedPath(page: Page, scope: Locator, value: string) {
  await scope.getByLabel('Full path of a folder or file').fill(value);
  await scope.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(scope.getByText(value, { exact: true })).toBeVisible();
}

/**
 * Fills the "Add storage vault" form for a new vault and submits it with `submit`. Nothing is
 * typed for its password: main makes a random one and the account keeps it.
 */
export async function fillNewVault(page: Page, folder: string, submit: string, keepPassword = true) {
  await page.getByLabel('Folder', { exact: true }).fill(folder);
  await expect(page.getByLabel('Vault password', { exact: true })).toHaveCount(0);
  await expect(page.getByText('there is no vault password to type or remember')).toBeVisible();
  const keep = page.getByLabel(
    'Keep the password on this computer so scheduled backups run while Strongroom is locked',
  );
  await expect(keep).toBeChecked();
  if (!keepPassword) await keep.uncheck();
  await page.getByRole('button', { name: submit, exact: true }).click();
}

/** Backups → Storage vaults → Add storage vault → a new vault, the recovery kit offer declined. */
export async function addVault(page: Page, folder: string) {
  await openSection(page, 'Backups');
  await page.getByRole('button', { name: 'Storage vaults' }).click();
  await page.getByRole('button', { name: 'Add storage vault' }).click();
  await fillNewVault(page, folder, 'Add storage vault');
  await expect(page.getByRole('heading', { name: 'Save the recovery kit' })).toBeVisible({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Not now' }).click();
  await expect(page.getByRole('heading', { name: 'Storage vaults', level: 1 })).toBeVisible();
}

/** Backups → Add protected item, with the schedule chosen by `schedule`. */
export async function addItem(
  page: Page,
  name: string,
  folder: string,
  schedule: (form: Locator) => Promise<void>,
) {
  await openSection(page, 'Backups');
  await page.getByRole('button', { name: 'Add protected item' }).click();
  const form = page.getByRole('form', { name: 'Add protected item' });
  await form.getByLabel('Name', { exact: true }).fill(name);
  await addTypedPath(page, form, folder);
  await schedule(form);
  await form.getByRole('button', { name: 'Add protected item' }).click();
  await expect(itemCard(page, name)).toBeVisible();
}

export const itemCard = (page: Page, name: string) => page.getByRole('article', { name });

/** The History's rows (newest first) as text, one string per row. */
export async function historyRows(page: Page): Promise<string[]> {
  return page.locator('table.jobs tbody tr').allInnerTexts();
}

/** Opens History and waits until `count` rows match `pattern`. */
export async function waitForHistory(page: Page, pattern: RegExp, count = 1, timeout = 120_000) {
  await openSection(page, 'History');
  await expect
    .poll(
      // The page reads History when it opens and then follows onJobChanged.
      async () => (await historyRows(page)).filter((r) => pattern.test(r)).length,
      { timeout, intervals: [500, 1000, 2000] },
    )
    .toBeGreaterThanOrEqual(count);
}

/** Finds a restored file under `root` whatever folders the restore kept above it. */
export function findRestored(root: string, name: string): string | null {
  for (const entry of fs.readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name === name) return path.join(entry.parentPath, entry.name);
  }
  return null;
}

/** Account → Change account settings → Account → Lock… → Lock and close. */
export async function lockAndCloseDialog(page: Page) {
  await openSection(page, 'Account');
  await page.getByRole('button', { name: 'Change account settings' }).click();
  await page.getByRole('tab', { name: 'Account' }).click();
  await page.getByRole('button', { name: 'Lock…' }).click();
  await page
    .getByRole('dialog', { name: 'Lock Strongroom and close it?' })
    .getByRole('button', { name: 'Lock and close' })
    // The window may be gone before the click is acknowledged (Electron): what follows checks.
    .click()
    .catch(() => undefined);
}

/** Lock… in the harness: the page is replaced by the "closed" page. */
export async function lockAndClose(page: Page) {
  await lockAndCloseDialog(page);
  await page.waitForURL(/closed\.html/);
}

/** The harness's lock state on disk (settings/strongroom.json). */
export function harnessLockState(dataDir: string): { locked: boolean; lockedAt: string | null } {
  return JSON.parse(fs.readFileSync(path.join(dataDir, 'settings', 'strongroom.json'), 'utf8')).lock;
}

/**
 * The first run on the embedded local server, from the unlock screen: Create account in the app →
 * the guide (folders, vault, recovery kit, schedule) → Back up now → progress → History: Success
 * with the file count → a file changes → back up again → restore the first version of that file
 * to another folder, whose bytes are the first version's.
 */
export async function firstRunJourney(page: Page, work: Workspace & { fileCount: number }) {
  // Create account, in the app.
  await expect(page.getByRole('button', { name: 'Create account' })).toBeVisible();
  await screenshot(page, '01-unlock-first-run');
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
  await screenshot(page, '02-create-account');
  await page.getByRole('button', { name: 'Create account' }).click();

  // The guide: choose folders. Next with none says so, and the words go once a folder is added; a
  // folder that is not on this computer is said at this step, not two steps later.
  await expect(page.getByRole('heading', { name: 'Set up your first backup' })).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill('Documents');
  await page.getByRole('button', { name: 'Next' }).click();
  const foldersAlert = page.locator('main').getByRole('alert');
  await expect(foldersAlert).toHaveText('Choose at least one folder or file.');
  const missing = path.join(work.root, 'does-not-exist');
  await addTypedPath(page, page.locator('main'), missing);
  await expect(foldersAlert).toHaveCount(0);
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(foldersAlert).toHaveText(`${missing} does not exist on this computer. Check the path.`);
  await expect(page.getByRole('heading', { name: 'Choose folders' })).toBeVisible();
  await page.getByRole('button', { name: `Remove ${missing}` }).click();
  await addTypedPath(page, page.locator('main'), work.source);
  await expect(foldersAlert).toHaveCount(0);
  await screenshot(page, '03-guide-folders');
  await page.getByRole('button', { name: 'Next' }).click();

  // Create the vault, then save its recovery kit (the account password again).
  await expect(page.getByRole('heading', { name: 'Create the vault' })).toBeVisible();
  await fillNewVault(page, work.vault, 'Create the vault');
  const offer = page.getByRole('region', { name: 'Save the recovery kit' });
  await expect(offer).toContainText('Your account keeps this vault’s password', {
    timeout: 30_000,
  });
  await screenshot(page, '04-guide-recovery-kit-offer');
  await offer.getByRole('button', { name: 'Save recovery kit…' }).click();
  const kitDialog = page.getByRole('dialog', { name: /Save the recovery kit of/ });
  await kitDialog.getByLabel('Account password').fill(ACCOUNT_PASSWORD);
  const kitPath = path.join(work.root, 'recovery-kit.txt');
  await kitDialog.getByLabel('Save as', { exact: true }).fill(kitPath);
  await screenshot(page, '05-recovery-kit-dialog');
  await kitDialog.getByRole('button', { name: 'Save recovery kit' }).click();
  await expect(offer.getByRole('status')).toContainText(`Recovery kit saved to ${kitPath}`);
  // The kit holds the random password main made, which the page never saw.
  expect(fs.readFileSync(kitPath, 'utf8')).toMatch(/password/i);
  await offer.getByRole('button', { name: 'Continue' }).click();

  // Pick a schedule (every day at 02:30 is offered, said as en-US writes it), then Back up now.
  await expect(page.getByRole('heading', { name: 'Pick a schedule' })).toBeVisible();
  await expect(page.getByRole('radio', { name: 'Every day' })).toBeChecked();
  await expect(page.getByText(/^Every day at 2:30\sAM\.$/)).toBeVisible();
  // The defaults applied are shown, and can be changed here.
  await expect(page.getByRole('checkbox', { name: /^Caches/ })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: /^node_modules/ })).not.toBeChecked();
  await expect(page.getByRole('radio', { name: 'Keep some' })).toBeChecked();
  await page.getByRole('checkbox', { name: /^Trash/ }).uncheck();
  await page.getByRole('button', { name: 'Next' }).click();
  // The last step says what will happen, and when.
  const summary = page.getByRole('region', { name: 'What happens next' });
  await expect(summary).toContainText(/Schedule: Every day at 2:30\sAM \(next: (Today|Tomorrow) 2:30\sAM\)/);
  await expect(summary).toContainText('Left out: Caches and Temporary files.');
  await expect(summary).toContainText(
    'Old backups: Keep the last 10, 7 daily, 4 weekly and 12 monthly backups; older ones are removed',
  );
  await screenshot(page, '05b-guide-summary');
  await page.getByRole('button', { name: 'Back up now' }).click();

  // The Backups page shows it running, with progress, then its result.
  const card = itemCard(page, 'Documents');
  await expect(card.getByRole('progressbar', { name: 'Backup progress of Documents' })).toBeVisible();
  await expect(card.getByText(/ of [\d.]+ MB, [\d,]+ of [\d,]+ files/)).toBeVisible({ timeout: 60_000 });
  await expect(card.getByRole('button', { name: 'Cancel' })).toBeVisible();
  await screenshot(page, '06-backups-running');
  await expect(card.getByText('Success')).toBeVisible({ timeout: 180_000 });
  await expect(card).toContainText(`${work.fileCount} files`);
  await screenshot(page, '07-backups-done');

  // History: Success with the file count.
  await waitForHistory(page, new RegExp(`Backup\\s+Documents.*Success\\s+${work.fileCount}\\b`, 's'));
  await screenshot(page, '08-history');
  await page
    .getByRole('button', { name: /^Backup Documents → .*: Success$/ })
    .first()
    .click();
  await expect(page.getByRole('heading', { name: 'Log' })).toBeVisible();
  await screenshot(page, '09-history-job');

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
  await screenshot(page, '10-restore-backups');
  await backups.nth(1).click();
  await page.getByRole('radio', { name: 'Only the files and folders I select' }).check();
  await page.getByRole('checkbox', { name: 'Select notes.txt' }).check({ timeout: 60_000 });
  await expect(page.getByText('1 selected')).toBeVisible();
  await screenshot(page, '11-restore-files');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('radio', { name: 'To another folder' }).check();
  const restoreDir = path.join(work.root, 'restored');
  await page.getByLabel('Restore into', { exact: true }).fill(restoreDir);
  await page.getByRole('radio', { name: /^Skip it/ }).check();
  await screenshot(page, '12-restore-where');
  await page.getByRole('main').getByRole('button', { name: 'Restore', exact: true }).click();
  const result = page.getByRole('status').filter({ hasText: 'Restore success.' });
  // Into a folder named after the item, relative to the item's folder.
  const into = path.join(restoreDir, 'Documents');
  await expect(result).toContainText(`Restored 1 file`, { timeout: 120_000 });
  await expect(result).toContainText(`to ${into}.`);
  await expect(page.getByRole('button', { name: 'Show in folder' })).toBeVisible();
  await screenshot(page, '13-restore-result');

  expect(fs.readFileSync(path.join(into, 'notes.txt'), 'utf8')).toBe('first version of my notes\n');

  // The restore is a job in the History too, from the vault to the item.
  await waitForHistory(page, /Restore\s+\S.*→\s*Documents.*Success/s);
}
