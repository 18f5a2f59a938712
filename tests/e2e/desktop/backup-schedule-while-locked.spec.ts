/**
 * A daily schedule fires while the app is locked: the harness runs with --test-clock, the person
 * sets "Every day at" a time two hours from now, locks with Lock…, and the clock is moved past
 * that time. The decision to run is the real scheduler's; after unlocking, History shows the run.
 */
import { expect, test } from './journey-test';
import { startTestAccountServer } from '../../support/account-server';
import {
  ACCOUNT_PASSWORD,
  addItem,
  addVault,
  itemCard,
  lockAndClose,
  makeWorkspace,
  waitForHistory,
} from './backup-journey-helpers';
import { freshDataDir, removeDataDir, startHarness } from './harness-process';
import { formatScheduleTime } from '../../../src-shared/time-format';

test.setTimeout(300_000);

const pad = (n: number) => String(n).padStart(2, '0');

test('a daily backup runs at its time while the app is locked and shows in History', async ({ page }) => {
  const server = await startTestAccountServer();
  const dataDir = freshDataDir();
  const work = makeWorkspace(8);
  const harness = await startHarness({ dataDir, serverUrl: server.url, testClock: true });
  try {
    await server.createUser('ines', ACCOUNT_PASSWORD);
    await page.goto(harness.url);
    await page.getByLabel('Username').fill('ines');
    await page.getByLabel('Password').fill(ACCOUNT_PASSWORD);
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await addVault(page, work.vault);

    // Two hours from now, local time, to the minute (the harness runs in this machine's zone).
    const due = new Date(Date.now() + 2 * 3600_000);
    const at = `${pad(due.getHours())}:${pad(due.getMinutes())}`;
    // As the page writes it (en-US: "7:05 PM"), whatever space the browser puts before AM/PM.
    const said = formatScheduleTime(at, 'en-US').replace(/\s/g, '\\s');
    await addItem(page, 'Nightly', work.source, async (form) => {
      await form.getByRole('radio', { name: 'Every day' }).check();
      await form.getByLabel('At', { exact: true }).fill(at);
      await expect(form.getByText(new RegExp(`^Every day at ${said}\\.$`))).toBeVisible();
    });
    const card = itemCard(page, 'Nightly');
    await expect(card).toContainText(new RegExp(`Every day at ${said}`));
    await expect(card).toContainText('Never');
    await expect(card).toContainText(/Next backup\s*(Today|Tomorrow) \d{1,2}:\d\d\s[AP]M/);

    await lockAndClose(page);
    // Past the scheduled minute, with the app locked and no page open.
    await harness.skipClock(2 * 3600_000 + 2 * 60_000);

    await page.goto(harness.url);
    await expect(page.getByRole('heading', { name: 'Unlock Strongroom' })).toBeVisible();
    await page.getByLabel('Password').fill(ACCOUNT_PASSWORD);
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await waitForHistory(page, /Backup\s+Nightly.*Success/s, 1, 180_000);

    // Its details say it was the schedule's, not a person's.
    await page
      .getByRole('button', { name: /^Backup Nightly → .*: Success$/ })
      .first()
      .click();
    await expect(page.getByRole('heading', { name: /Backup: Nightly/ })).toBeVisible();
    await expect(page.getByLabel('Job details')).toContainText(/On schedule|Catching up a missed run/);
    await expect(page.getByLabel('Job details')).not.toContainText('Started by you');
  } finally {
    await harness.stop();
    await server.close();
    removeDataDir(dataDir);
    work.remove();
  }
});
