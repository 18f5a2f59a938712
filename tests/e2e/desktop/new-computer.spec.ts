/**
 * "Your account is your key", the new-computer journey through two harnesses against one account
 * server with two-factor authentication. The first computer unlocks (the account recovery kit is
 * offered at once; saved, its banner goes), backs up to a folder vault and to account storage. The
 * second (another data directory: a fresh install) signs in with username, password and code, is
 * offered those backups, "Restore files" (the folder vault asks for its folder and refuses one
 * that is not it), restores a file from each vault byte for byte, then "Continue … on this
 * computer" takes over the items, asking where a folder that does not exist here is now. Past the
 * server's fresh-session window, "Restore files" asks for the password and a code in place and goes
 * on. No kit and no vault password is used on the second computer.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { startTestAccountServer } from '../../support/account-server';
import { Phone, kitBanner, kitDialog, saveKit, unlockWithCode } from './account-key-helpers';
import {
  ACCOUNT_PASSWORD,
  addTypedPath,
  fillNewVault,
  findRestored,
  itemCard,
  openSection,
  screenshot,
} from './backup-journey-helpers';
import { freshDataDir, removeDataDir, startHarness } from './harness-process';

test.setTimeout(300_000);

const CLI = fileURLToPath(new URL('../../../bin/strongroom-backup.js', import.meta.url));

const DRIVE_WARNING =
  'Anyone with this drive or a copy of it can try to guess your password offline; two-factor does not apply; changing your password later does not protect copies already made.';

async function addItem(page: Page, name: string, folder: string, vaultLabel: RegExp) {
  await openSection(page, 'Backups');
  await page.getByRole('button', { name: 'Add protected item' }).click();
  const form = page.getByRole('form', { name: 'Add protected item' });
  await form.getByLabel('Name', { exact: true }).fill(name);
  await addTypedPath(page, form, folder);
  const select = form.getByLabel('Storage vault');
  const option = select.getByRole('option', { name: vaultLabel });
  await select.selectOption({ label: (await option.textContent())! });
  await form.getByRole('radio', { name: 'Manually, with Back up now' }).check();
  await form.getByRole('button', { name: 'Add protected item' }).click();
  await expect(itemCard(page, name)).toBeVisible();
}

/** Restore → "Vault: <name>" → its newest backup → one file → another folder; returns the file restored. */
async function restoreOneFile(
  page: Page,
  vaultName: string,
  fileName: string,
  into: string,
): Promise<string> {
  await openSection(page, 'Restore');
  // The wizard remembers its step: back to its start, whichever step it shows.
  const vaults = page.getByRole('list', { name: 'Storage vaults' });
  const another = page.getByRole('button', { name: 'Restore something else' });
  const back = page.getByRole('main').getByRole('button', { name: 'Back', exact: true });
  await expect(vaults.or(another).or(back).first()).toBeVisible();
  if (await another.isVisible()) await another.click();
  while (!(await vaults.isVisible())) await back.first().click();
  await vaults.getByRole('button', { name: new RegExp(`^Vault: ${vaultName}`) }).click();
  const backups = page.getByRole('list', { name: 'Backups, newest first' }).getByRole('button');
  await expect(backups.first()).toBeVisible({ timeout: 60_000 });
  await backups.first().click();
  await page.getByRole('radio', { name: 'Only the files and folders I select' }).check();
  await page.getByRole('checkbox', { name: `Select ${fileName}` }).check({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('radio', { name: 'To another folder' }).check();
  await page.getByLabel('Restore into', { exact: true }).fill(into);
  await page.getByRole('radio', { name: /^Skip it/ }).check();
  await page.getByRole('main').getByRole('button', { name: 'Restore', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Restore success.' })).toContainText(
    'Restored 1 file',
    {
      timeout: 120_000,
    },
  );
  const restored = findRestored(into, fileName);
  expect(restored, `${fileName} restored under ${into}`).not.toBeNull();
  return restored!;
}

test('a new computer gets every backup back with username, password and code, then continues them', async ({
  browser,
}) => {
  // The server's clock, moved ahead to pass its fresh-session window (15 minutes).
  let ahead = 0;
  const server = await startTestAccountServer({ clock: { now: () => Date.now() + ahead } });
  const root = fs.mkdtempSync(path.join(freshDataDir(), 'files-'));
  const documents = path.join(root, 'Documents');
  const photos = path.join(root, 'Photos');
  const drive = path.join(root, 'usb', 'strongroom');
  fs.mkdirSync(documents, { recursive: true });
  fs.mkdirSync(photos, { recursive: true });
  fs.mkdirSync(path.dirname(drive), { recursive: true });
  // Bytes that text handling would change, so a byte-for-byte compare means something.
  const notes = Buffer.concat([
    Buffer.from('notes of the first computer\r\n'),
    Buffer.from([0, 255, 10, 13]),
  ]);
  const photo = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));
  fs.writeFileSync(path.join(documents, 'notes.txt'), notes);
  fs.writeFileSync(path.join(photos, 'beach.raw'), photo);

  const firstDir = freshDataDir();
  const secondDir = freshDataDir();
  const first = await startHarness({ dataDir: firstDir, serverUrl: server.url });
  let second: Awaited<ReturnType<typeof startHarness>> | null = null;
  const firstContext = await browser.newContext();
  const secondContext = await browser.newContext();
  try {
    await server.createUser('ada', ACCOUNT_PASSWORD);
    const phone = new Phone(await server.enableTotp('ada'), () => Date.now() + ahead);

    // ---- the first computer -------------------------------------------------------------------
    const page = await firstContext.newPage();
    await page.goto(first.url);
    await unlockWithCode(page, 'ada', await phone.nextCode());
    // The unlock made the account's key: its recovery kit is offered at once.
    const kit = kitDialog(page);
    await expect(kit).toBeVisible();
    await expect(kit).toContainText('this recovery key and a two-factor code are the only way');
    await screenshot(page, '60-account-kit');
    await kit.getByRole('button', { name: 'Later' }).click();
    await expect(kit).toBeHidden();
    // Not saved yet: the banner on Backups says so and opens it again, without the recovery key
    // (main showed it once); "Save recovery kit…" still writes it to the file.
    await expect(kitBanner(page)).toContainText('Your account recovery kit is not saved yet.');
    await kitBanner(page).getByRole('button', { name: 'Show recovery kit' }).click();
    await saveKit(
      kit,
      path.join(root, 'account-kit.txt'),
      { username: 'ada', serverUrl: server.url },
      { keyOnScreen: false },
    );
    await kit.getByRole('button', { name: 'I have saved it' }).click();
    await expect(kit).toBeHidden();
    await expect(kitBanner(page)).toHaveCount(0);

    // A folder vault ("USB backup"): no vault password to type; the drive's password wrap is
    // offered, off by default on a server that is not on this computer, with its price said.
    await openSection(page, 'Backups');
    await page.getByRole('button', { name: 'Storage vaults' }).click();
    await page.getByRole('button', { name: 'Add storage vault' }).click();
    const form = page.getByRole('form', { name: 'Add storage vault' });
    await form.getByLabel('Vault name').fill('USB backup');
    const onDrive = form.getByLabel('Let my password open this drive too');
    await expect(onDrive).not.toBeChecked();
    await expect(form).toContainText(DRIVE_WARNING);
    await onDrive.check();
    await screenshot(page, '61-vault-form-drive-envelope');
    await fillNewVault(page, drive, 'Add storage vault');
    await page.getByRole('button', { name: 'Not now' }).click({ timeout: 60_000 });

    // An account-storage vault.
    await page.getByRole('button', { name: 'Add storage vault' }).click();
    await form.getByLabel('Vault name').fill('Cloud');
    await form.getByRole('radio', { name: 'Strongroom account storage' }).check();
    await form.getByLabel('Repository name').fill('laptop');
    await expect(form.getByLabel('Vault password', { exact: true })).toHaveCount(0);
    await form.getByRole('button', { name: 'Add storage vault' }).click();
    await page.getByRole('button', { name: 'Not now' }).click({ timeout: 60_000 });

    await addItem(page, 'Documents', documents, /^USB backup/);
    await addItem(page, 'Photos', photos, /^Cloud/);
    for (const name of ['Documents', 'Photos']) {
      await itemCard(page, name).getByRole('button', { name: 'Back up now' }).click();
      await expect(itemCard(page, name).getByText('Success')).toBeVisible({ timeout: 120_000 });
    }
    // The first computer is gone (its folders stay: the second computer is on the same disk).
    await first.stop();

    // ---- the second computer: a fresh install ------------------------------------------------
    second = await startHarness({ dataDir: secondDir, serverUrl: server.url });
    const page2 = await secondContext.newPage();
    await page2.goto(second.url);
    await unlockWithCode(page2, 'ada', await phone.nextCode());
    // The kit was saved on the first computer: nothing is pending here.
    await expect(kitDialog(page2)).toBeHidden();
    await expect(kitBanner(page2)).toHaveCount(0);
    const offer = page2.getByRole('region', { name: 'Your backups from other computers' });
    await expect(offer).toContainText(
      /This account has backups from 1 computer: .+ \(last backup (just now|\d+ minutes? ago), 2 vaults\)\./,
      { timeout: 30_000 },
    );
    await screenshot(page2, '62-new-computer-offer');

    // Restore, with no vault here yet, leads to that offer rather than to a dead end.
    await openSection(page2, 'Restore');
    const empty = page2.getByRole('region', { name: 'Nothing to restore yet' });
    await expect(empty).toContainText(/This account has backups from 1 computer/);
    await expect(empty.getByRole('button', { name: 'Add storage vault' })).toBeVisible();
    await empty.getByRole('button', { name: 'See your backups from other computers' }).click();
    await expect(page2.getByRole('heading', { name: 'Backups', level: 1 })).toBeVisible();
    await expect(offer.getByRole('button', { name: 'Restore files' })).toBeVisible();

    // A while later (past the server's fresh-session window), Restore files needs the password
    // and a code again: asked in place, then the action goes on.
    ahead = 16 * 60_000;
    await offer.getByRole('button', { name: 'Restore files' }).click();
    const again = page2.getByRole('dialog', { name: 'Enter your password to go on' });
    await expect(again).toBeVisible({ timeout: 30_000 });
    await again.getByLabel('Password', { exact: true }).fill(ACCOUNT_PASSWORD);
    await again.getByLabel('Two-factor code (TOTP)').fill(await phone.nextCode());
    await screenshot(page2, '63-password-again');
    await again.getByRole('button', { name: 'Continue' }).click();
    await expect(again).toBeHidden({ timeout: 30_000 });

    // Restore files: account storage opens at once; the drive vault asks for its folder.
    const connect = offer.getByRole('region', { name: "Connect the drive that holds 'USB backup'" });
    await expect(connect).toContainText(drive);
    // A folder holding another repository is refused: it never opens under that vault's name.
    const elsewhere = path.join(root, 'another-drive');
    execFileSync(process.execPath, [CLI, '-r', elsewhere, 'init'], {
      env: { ...process.env, STRONGROOM_PASSWORD: 'another repository entirely' },
      stdio: 'ignore',
    });
    await connect.getByLabel('Folder of the vault', { exact: true }).fill(elsewhere);
    await connect.getByRole('button', { name: 'Connect' }).click();
    await expect(connect.getByRole('alert')).toHaveText(
      'That folder holds another vault, not "USB backup".',
      {
        timeout: 30_000,
      },
    );
    await connect.getByLabel('Folder of the vault', { exact: true }).fill(drive);
    await screenshot(page2, '64-connect-drive');
    await connect.getByRole('button', { name: 'Connect' }).click();
    await expect(connect).toHaveCount(0, { timeout: 60_000 });
    await expect(offer.getByRole('status')).toContainText("'USB backup' is connected");

    // A file from each vault, byte for byte.
    const fromDrive = await restoreOneFile(
      page2,
      'USB backup',
      'notes.txt',
      path.join(root, 'restored-drive'),
    );
    expect(fs.readFileSync(fromDrive).equals(notes)).toBe(true);
    const fromCloud = await restoreOneFile(page2, 'Cloud', 'beach.raw', path.join(root, 'restored-cloud'));
    expect(fs.readFileSync(fromCloud).equals(photo)).toBe(true);

    // Continue the first computer's backups here. Photos lives elsewhere on this computer.
    const photosHere = path.join(root, 'Pictures');
    fs.renameSync(photos, photosHere);
    await openSection(page2, 'Backups');
    await offer.getByRole('button', { name: /^Continue .+'s backups on this computer$/ }).click();
    const takeOver = page2.getByRole('dialog', { name: /^Continue .+'s backups on this computer$/ });
    await expect(takeOver).toContainText('protected items (2)');
    await takeOver.getByLabel(/^Stop backups from /).check();
    // Ending the other computer asks the password and a code again.
    await takeOver.getByLabel('Your password', { exact: true }).fill(ACCOUNT_PASSWORD);
    await takeOver.getByLabel('Two-factor code (TOTP)').fill(await phone.nextCode());
    await takeOver.getByRole('button', { name: 'Continue here' }).click();
    await expect(takeOver.getByRole('alert')).toContainText('does not exist on this computer', {
      timeout: 30_000,
    });
    await takeOver.getByLabel(`Folder for ${photos}`, { exact: true }).fill(photosHere);
    await screenshot(page2, '65-take-over-missing-folder');
    await takeOver.getByRole('button', { name: 'Continue here' }).click();
    await expect(takeOver).toBeHidden({ timeout: 60_000 });
    await expect(offer.getByRole('status')).toContainText(
      'backups continue on this computer: 2 protected items',
    );
    await expect(itemCard(page2, 'Documents')).toBeVisible();
    await expect(itemCard(page2, 'Photos')).toContainText(photosHere);
    // And they run here: a backup of the moved folder to account storage.
    await itemCard(page2, 'Photos').getByRole('button', { name: 'Back up now' }).click();
    await expect(itemCard(page2, 'Photos').getByText('Success')).toBeVisible({ timeout: 120_000 });
    await screenshot(page2, '66-taken-over');
  } finally {
    await firstContext.close();
    await secondContext.close();
    await first.stop();
    await second?.stop();
    await server.close();
    removeDataDir(firstDir);
    removeDataDir(secondDir);
    removeDataDir(path.dirname(root));
  }
});
