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

export const ACCOUNT_PASSWORD = 'correct horse battery';
export const VAULT_PASSWORD = 'tulip-lamp9 orbit velvet';

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

/** A typed path where the app has no picker (the harness): "Add folder or file…" then the field. */
export async function addTypedPath(page: Page, scope: Locator, value: string) {
  const picker = scope.getByRole('button', { name: 'Add folder or file…' });
  if (await picker.isVisible()) await picker.click();
  await scope.getByLabel('Full path of a folder or file').fill(value);
  await scope.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(scope.getByText(value, { exact: true })).toBeVisible();
}

/** Fills the "Add storage vault" form for a new vault and submits it with `submit`. */
export async function fillNewVault(page: Page, folder: string, submit: string, keepPassword = true) {
  await page.getByLabel('Folder', { exact: true }).fill(folder);
  await page.getByLabel('Vault password', { exact: true }).fill(VAULT_PASSWORD);
  await expect(page.getByText(/^(Strong|Very strong)\.$/)).toBeVisible();
  await page.getByLabel('Repeat vault password').fill(VAULT_PASSWORD);
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

/** Account → Change account settings → Account → Lock… → Lock and close: the page is closed. */
export async function lockAndClose(page: Page) {
  await openSection(page, 'Account');
  await page.getByRole('button', { name: 'Change account settings' }).click();
  await page.getByRole('tab', { name: 'Account' }).click();
  await page.getByRole('button', { name: 'Lock…' }).click();
  await page
    .getByRole('dialog', { name: 'Lock Strongroom and close it?' })
    .getByRole('button', { name: 'Lock and close' })
    .click();
  await page.waitForURL(/closed\.html/);
}

/** The harness's lock state on disk (settings/strongroom.json). */
export function harnessLockState(dataDir: string): { locked: boolean; lockedAt: string | null } {
  return JSON.parse(fs.readFileSync(path.join(dataDir, 'settings', 'strongroom.json'), 'utf8')).lock;
}
