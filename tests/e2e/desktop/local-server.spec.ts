/**
 * The embedded default: with no server chosen, the harness (like the app) runs the account server
 * itself on loopback, and the unlock screen offers it as such.
 */
import { startTestAccountServer } from '../../support/account-server';
import { expect, test } from './journey-test';
import { freshDataDir, removeDataDir, startHarness } from './harness-process';

test('offers the local account server by default and says so', async ({ page }) => {
  const dataDir = freshDataDir();
  const harness = await startHarness({ dataDir });
  try {
    expect(harness.localServerUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await page.goto(harness.url);
    const server = page.getByLabel('Server');
    await expect(server).toHaveValue(harness.localServerUrl!);
    await expect(server).toHaveAccessibleDescription(
      'The local account server on this computer (the default).',
    );

    // Another address is possible, and the way back to the local one is one click.
    await server.fill('https://backup.example.com');
    await expect(server).toHaveAccessibleDescription(
      'A different account server: Strongroom will remember it after you unlock.',
    );
    // An address that is not one is caught before anything is sent, with the cursor on it.
    await server.fill('backup.example.com');
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await expect(server).toHaveAccessibleDescription(
      /^The server address must start with http:\/\/ or https:\/\//,
    );
    await expect(server).toHaveAttribute('aria-invalid', 'true');
    await expect(server).toBeFocused();
    await expect(page.getByLabel('Password')).toHaveValue('correct horse battery');
    await page.getByRole('button', { name: 'Use the local account server' }).click();
    await expect(server).toHaveValue(harness.localServerUrl!);
  } finally {
    await harness.stop();
    removeDataDir(dataDir);
  }
});

test('on a fresh install, offers Create account in the app; an account made in the web panel unlocks it too', async ({
  page,
  context,
}) => {
  const dataDir = freshDataDir();
  const harness = await startHarness({ dataDir });
  try {
    await page.goto(harness.url);
    // No web browser is needed: the app itself offers to create the account.
    await expect(
      page.getByText('No account yet? Create one on this computer to start backing up.'),
    ).toBeVisible();
    await expect(page.getByRole('button', { name: 'Create account' })).toBeVisible();

    // The local server's web panel still works as before, in another tab.
    const panel = await context.newPage();
    await panel.goto(harness.localServerUrl!);
    await panel.getByRole('link', { name: 'Create account' }).click();
    await panel.getByLabel('Username').fill('nora');
    await panel.getByLabel('Password', { exact: true }).fill('correct horse battery');
    await panel.getByLabel('Repeat password').fill('correct horse battery');
    await panel.getByRole('button', { name: 'Create account' }).click();
    await expect(panel.getByRole('heading', { name: /sign in/i })).toBeVisible();
    await panel.close();

    await page.getByLabel('Username').fill('nora');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Backups', level: 1 })).toBeVisible();

    // Once an account has been used here, the unlock screen no longer offers to create one.
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Unlock Strongroom' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Unlock', exact: true })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Create account' })).toHaveCount(0);
    // Another server is named, with whose backups these are: it is not made the default by just any account.
    await page.getByLabel('Server').fill('https://backup.example.com');
    await expect(page.getByLabel('Server')).toHaveAccessibleDescription(
      `This computer's backups belong to nora on ${harness.localServerUrl}. Another server becomes the default only for an account that owns them.`,
    );

    // "Switch account…": another account on another server, for this session only; the unlock
    // screen offers nora on this computer's server again afterwards.
    const other = await startTestAccountServer();
    try {
      await other.createUser('otto', 'otto has his own passphrase');
      await page.getByRole('button', { name: 'Switch account…' }).click();
      await expect(
        page.getByText(`This computer's backups stay with nora on ${harness.localServerUrl}`),
      ).toBeVisible();
      await expect(page.getByLabel('Username')).toHaveValue('');
      await page.getByLabel('Server').fill(other.url);
      await page.getByLabel('Username').fill('otto');
      await page.getByLabel('Password').fill('otto has his own passphrase');
      await page.getByRole('button', { name: 'Unlock', exact: true }).click();
      await expect(page.getByRole('heading', { name: 'Backups', level: 1 })).toBeVisible({ timeout: 30_000 });
      await page.reload();
      await expect(page.getByRole('heading', { name: 'Unlock Strongroom' })).toBeVisible();
      await expect(page.getByLabel('Server')).toHaveValue(harness.localServerUrl!);
      await expect(page.getByLabel('Username')).toHaveValue('nora');
    } finally {
      await other.close();
    }
  } finally {
    await harness.stop();
    removeDataDir(dataDir);
  }
});
