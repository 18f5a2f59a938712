/**
 * The first run as a person meets it, through the harness against the real services and engine:
 * Create account in the app → the guide (folders, vault, recovery kit, schedule) → Back up now →
 * progress seen → History shows Success with the file count → a file changes → back up again →
 * Restore the first backup's version of that file to another folder: its bytes are the first version.
 */
import { test } from './journey-test';
import { firstRunJourney, makeWorkspace } from './backup-journey-helpers';
import { freshDataDir, removeDataDir, startHarness } from './harness-process';

test.setTimeout(300_000);

test('first run: create account, guide, back up, see it in History, restore an older version', async ({
  page,
}) => {
  const dataDir = freshDataDir();
  const work = makeWorkspace(160);
  const harness = await startHarness({ dataDir });
  try {
    await page.goto(harness.url);
    await firstRunJourney(page, work);
  } finally {
    await harness.stop();
    removeDataDir(dataDir);
    work.remove();
  }
});
