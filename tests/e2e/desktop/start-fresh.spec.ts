/**
 * "Start fresh" as a person meets it: the administrator reset the password, the person chose a new
 * one that never wrapped the account's key, and this computer's device key was removed. Backups says what
 * is lost and what is kept, asks the password and a new code, shows the new account recovery kit,
 * and lists the vault made before as locked (its row stays on the server).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { startTestAccountServer } from '../../support/account-server';
import { derivedKeys, testKdf } from '../../support/derived-keys';
import { Phone, kitDialog, unlockWithCode } from './account-key-helpers';
import { lockAndClose, screenshot } from './backup-journey-helpers';
import { freshDataDir, removeDataDir, startHarness } from './harness-process';

test.setTimeout(180_000);

const TEMPORARY = 'given by the admin';
const CHOSEN = 'a password never used before';
const OLD_VAULT = '84bd0e19-abc1-42bf-b142-40b1178f1dc0';

test('starts fresh with a new key after a reset, and lists the old vault as locked', async ({ page }) => {
  const server = await startTestAccountServer();
  const dataDir = freshDataDir();
  const harness = await startHarness({ dataDir, serverUrl: server.url });
  try {
    await server.createUser('lin', 'the first passphrase');
    const phone = new Phone(await server.enableTotp('lin'));
    await page.goto(harness.url);
    await unlockWithCode(page, 'lin', await phone.nextCode(), 'the first passphrase');
    await kitDialog(page).getByRole('button', { name: 'I have saved it' }).click();
    // A vault of the account's directory, sealed with the key the account has now.
    const { accounts, keys } = server.server.services;
    keys.putVault(accounts.byUsername('lin')!, OLD_VAULT, { version: 1, sealed: `v1.${'A'.repeat(60)}` });
    await lockAndClose(page);
    // This computer's device key is gone too (removed from the web panel's devices): with a keychain
    // that kept it, it would otherwise open the key after the reset, as it should.
    const computerId = JSON.parse(fs.readFileSync(path.join(dataDir, 'settings', 'strongroom.json'), 'utf8'))
      .accountKeys.computerId as string;
    keys.deleteDeviceWrap(accounts.byUsername('lin')!, computerId, {
      address: '127.0.0.1',
      client: 'panel',
      device: null,
    });

    const kdf = testKdf(TEMPORARY);
    server.server.services.passwords.reset('lin', kdf, (await derivedKeys(TEMPORARY, kdf)).authKey, {
      resetTotp: false,
    });
    await page.goto(harness.url);
    const form = page.getByRole('form', { name: 'Unlock' });
    await form.getByLabel('Username').fill('lin');
    await form.getByLabel('Password').fill(TEMPORARY);
    await form.getByLabel('Two-factor code (TOTP)').fill(await phone.nextCode());
    await form.getByRole('button', { name: 'Unlock', exact: true }).click();
    const choose = page.getByRole('form', { name: 'Choose a new password' });
    await choose.getByLabel('New password', { exact: true }).fill(CHOSEN);
    await choose.getByLabel('Repeat new password').fill(CHOSEN);
    await choose.getByLabel('Two-factor code (TOTP)').fill(await phone.nextCode());
    await choose.getByRole('button', { name: 'Set new password and unlock' }).click();
    await expect(page.getByRole('heading', { name: 'Backups', level: 1 })).toBeVisible({ timeout: 30_000 });

    const offer = page.getByRole('region', { name: 'Start fresh with a new account key?' });
    // Shown once main has tried this computer's device key and the previous password (Argon2id each,
    // slow on a loaded machine).
    await expect(offer).toContainText('“Forgot password?”', { timeout: 30_000 });
    await offer.getByRole('button', { name: 'Start fresh…' }).click();
    await expect(offer).toContainText('What you lose');
    await expect(offer).toContainText('never deleted');
    await offer.getByLabel('Password', { exact: true }).fill(CHOSEN);
    await offer.getByLabel('Two-factor code (TOTP)').fill(await phone.nextCode());
    await screenshot(page, '74-start-fresh');
    await offer.getByRole('button', { name: 'Start fresh with a new key' }).click();

    await expect(kitDialog(page)).toBeVisible({ timeout: 30_000 });
    await kitDialog(page).getByRole('button', { name: 'I have saved it' }).click();
    const done = page.getByRole('region', { name: 'Your account has a new key' });
    await expect(done.getByRole('status')).toContainText('previous account recovery kit opens them again');
    await expect(done.getByRole('list', { name: 'Locked vaults' }).getByRole('listitem')).toHaveCount(1);
    // Storage vaults keeps listing it, with the way back: the earlier kit.
    await page.getByRole('button', { name: 'Storage vaults' }).click();
    const lockedHere = page.getByRole('region', { name: 'Locked vaults' });
    await expect(lockedHere.getByRole('listitem')).toHaveCount(1);
    await expect(lockedHere.getByLabel('Earlier account recovery key')).toBeVisible();
    expect(keys.directory(accounts.byUsername('lin')!).vaults).toEqual([
      expect.objectContaining({ vaultId: OLD_VAULT, deletedAt: null }),
    ]);
  } finally {
    await harness.stop();
    await server.close();
    removeDataDir(dataDir);
  }
});
