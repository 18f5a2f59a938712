/**
 * "Forgot password?" with the recovery key from the account recovery kit, through the harness
 * against an account server with two-factor authentication: the kit saved at the first unlock is
 * the only thing kept; a key with a typo is caught before anything is sent; the right key (typed
 * in lower case with spaces), a code and a new password set the password; the next code unlocks
 * with it, and a new kit is shown at once (its key is not the old one). Afterwards the old password is refused and the new one works.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { startTestAccountServer } from '../../support/account-server';
import { Phone, kitBanner, kitDialog, saveKit, unlockWithCode } from './account-key-helpers';
import { ACCOUNT_PASSWORD, lockAndClose, screenshot } from './backup-journey-helpers';
import { freshDataDir, removeDataDir, startHarness } from './harness-process';

test.setTimeout(180_000);

const NEW_PASSWORD = 'a brand new passphrase';

test('forgot password: the recovery key and a code set a new password, and a new kit is shown', async ({
  page,
}) => {
  const server = await startTestAccountServer();
  const dataDir = freshDataDir();
  const kitDir = freshDataDir();
  const harness = await startHarness({ dataDir, serverUrl: server.url });
  try {
    await server.createUser('grace', ACCOUNT_PASSWORD);
    const { secret, recoveryCodes } = await server.enableTotpWithRecoveryCodes('grace');
    const phone = new Phone(secret);

    await page.goto(harness.url);
    await unlockWithCode(page, 'grace', await phone.nextCode());
    const kit = kitDialog(page);
    await expect(kit).toBeVisible();
    const recoveryKey = await saveKit(kit, path.join(kitDir, 'kit.txt'), {
      username: 'grace',
      serverUrl: server.url,
    });
    await kit.getByRole('button', { name: 'I have saved it' }).click();
    await expect(kitBanner(page)).toHaveCount(0);
    await lockAndClose(page);

    // The password is forgotten. Unlock screen → Forgot password?
    await page.goto(harness.url);
    await page.getByRole('button', { name: 'Forgot password?' }).click();
    const form = page.getByRole('form', { name: 'Forgot password' });
    await expect(form.getByLabel('Username')).toHaveValue('grace');
    const groups = recoveryKey.split(/[- ]/);
    // One group mistyped: the checksum catches it, in main, before anything reaches the server.
    const typo = [...groups];
    typo[5] = typo[5] === '0000' ? '0001' : '0000';
    await form.getByLabel('Recovery key').fill(typo.join(' '));
    await form.getByLabel('Two-factor code (TOTP)').fill('123456');
    await form.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await form.getByLabel('Repeat new password').fill(NEW_PASSWORD);
    await form.getByRole('button', { name: 'Set new password' }).click();
    await expect(form.getByRole('alert')).toContainText('typo');

    // Typed as a person might: lower case, spaces; regrouped when the field is left.
    await form.getByLabel('Recovery key').fill(groups.join('  ').toLowerCase());
    await form.getByLabel('Username').focus();
    await expect(form.getByLabel('Recovery key')).toHaveValue(groups.join(' '));
    await form.getByLabel('Two-factor code (TOTP)').fill(await phone.nextCode());
    await form.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await form.getByLabel('Repeat new password').fill('not the same');
    await form.getByRole('button', { name: 'Set new password' }).click();
    await expect(form.getByRole('alert')).toHaveText(
      'The two new passwords are not the same. Type the new password again.',
    );
    await form.getByLabel('Repeat new password').fill(NEW_PASSWORD);
    await screenshot(page, '70-forgot-password');
    await form.getByRole('button', { name: 'Set new password' }).click();

    // The code was spent on the reset: the unlock with the new password takes the next one,
    // without typing the new password again.
    const next = page.getByRole('form', { name: 'Unlock with the new password' });
    await expect(next.getByRole('status')).toContainText('Your new password is set.', { timeout: 30_000 });
    await next.getByLabel('Two-factor code (TOTP)').fill(await phone.nextCode());
    await next.getByRole('button', { name: 'Unlock', exact: true }).click();

    // Unlocked, and the new recovery kit is shown at once: the old key is replaced.
    await expect(kit).toBeVisible({ timeout: 30_000 });
    const newKey = (await kit.getByRole('group', { name: 'Recovery key' }).innerText()).replace(/\s+/g, '');
    expect(newKey).toMatch(/^[0-9A-Z]{56}$/);
    expect(newKey).not.toBe(recoveryKey.replace(/[- ]/g, ''));
    await kit.getByRole('button', { name: 'I have saved it' }).click();
    await expect(kitBanner(page)).toHaveCount(0);
    await lockAndClose(page);

    // The old password no longer opens the account; the new one does (with a recovery code here).
    await page.goto(harness.url);
    const unlock = page.getByRole('form', { name: 'Unlock' });
    await unlock.getByLabel('Username').fill('grace');
    await unlock.getByLabel('Password').fill(ACCOUNT_PASSWORD);
    await unlock.getByRole('button', { name: 'Unlock', exact: true }).click();
    await expect(unlock.getByRole('alert')).toHaveText(
      'Wrong username or password. Check them and try again.',
    );
    await unlock.getByLabel('Password').fill(NEW_PASSWORD);
    await unlock.getByRole('button', { name: 'Use a recovery code' }).click();
    await unlock.getByLabel('Recovery code').fill(recoveryCodes[0]!);
    await unlock.getByRole('button', { name: 'Unlock', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Backups', level: 1 })).toBeVisible({ timeout: 30_000 });
    await expect(kitDialog(page)).toBeHidden();
    expect(fs.existsSync(path.join(kitDir, 'kit.txt'))).toBe(true);
  } finally {
    await harness.stop();
    await server.close();
    removeDataDir(dataDir);
    removeDataDir(kitDir);
  }
});
