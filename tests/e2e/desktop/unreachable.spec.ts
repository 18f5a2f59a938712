/**
 * An account server that cannot be reached: the unlock screen says so, offers Retry, and stays
 * locked. The harness is pointed at a loopback port where nothing listens.
 */
import net from 'node:net';
import { expect, test } from './journey-test';
import { freshDataDir, removeDataDir, startHarness } from './harness-process';

/** A loopback port that was free a moment ago (bound, then released). */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

test('says the server cannot be reached, offers Retry, and stays locked', async ({ page }) => {
  const dataDir = freshDataDir();
  const serverUrl = `http://127.0.0.1:${await closedPort()}`;
  const harness = await startHarness({ dataDir, serverUrl });
  try {
    await page.goto(harness.url);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();

    await expect(page.getByRole('alert')).toContainText(`Cannot reach the account server at ${serverUrl}`);
    await expect(page.getByLabel('Password')).toHaveValue('');
    const retry = page.getByRole('button', { name: 'Retry' });
    await expect(retry).toBeVisible();
    await retry.click();
    await expect(page.getByRole('alert')).toContainText('Cannot reach the account server');
    await expect(page.getByRole('navigation')).toHaveCount(0);
  } finally {
    await harness.stop();
    removeDataDir(dataDir);
  }
});
