/**
 * A keychain that will not take Strongroom's device key (locked, as a keyring not unlocked at log-in
 * is): the app still unlocks, but says on Backups what stops working while it is locked and how to
 * fix it, and the Auto-lock tab no longer claims the token is kept in the keychain.
 */
import { expect, test } from './journey-test';
import { startTestAccountServer, type TestAccountServer } from '../../support/account-server';
import { ACCOUNT_PASSWORD, unlock } from './backup-journey-helpers';
import { freshDataDir, removeDataDir, startHarness, type RunningHarness } from './harness-process';

let server: TestAccountServer;
let harness: RunningHarness;
let dataDir: string;

test.beforeEach(async () => {
  server = await startTestAccountServer();
  dataDir = freshDataDir();
  harness = await startHarness({ dataDir, serverUrl: server.url, lockedKeychain: true });
});

test.afterEach(async () => {
  await harness.stop();
  await server.close();
  removeDataDir(dataDir);
});

test('a locked keychain is said on Backups with its consequence and fix, and not claimed in Auto-lock', async ({
  page,
}) => {
  await server.createUser('kim', ACCOUNT_PASSWORD);
  await page.goto(harness.url);
  await unlock(page, 'kim');

  const warning = page.getByRole('region', { name: 'Backups while locked' });
  await expect(warning).toContainText('Backups to account storage will not run while Strongroom is locked.');
  await expect(warning).toContainText("This computer's keychain did not accept Strongroom's device key");
  await expect(warning).toContainText(
    'scheduled backups to account storage wait until you unlock Strongroom',
  );
  await warning.getByRole('button', { name: 'Try again' }).click();
  await expect(warning.getByRole('alert')).toHaveText('The keychain still did not accept it.');

  await page.getByRole('navigation', { name: 'Main menu' }).getByRole('button', { name: 'Account' }).click();
  await page.getByRole('button', { name: 'Change account settings' }).click();
  await page.getByRole('tab', { name: 'Auto-lock' }).click();
  await expect(page.getByText(/could not be kept: This computer's keychain did not accept/)).toBeVisible();
  await expect(page.getByText('is kept in the OS keychain')).toHaveCount(0);
});
