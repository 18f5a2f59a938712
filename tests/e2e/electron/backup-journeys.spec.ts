/**
 * The backup journeys of tests/e2e/desktop/backup-*.spec.ts in the real Electron app: the first
 * run (Create account in the app, the guide, Back up now, History, restore an older version), and
 * Lock… while a long backup runs with the app staying up in the tray, reopened with "Open
 * Strongroom" (the same openWindow as the tray's item, reached through app's 'activate'). The
 * schedule-while-locked journey needs the harness's --test-clock, which the app has not, so it
 * runs in the harness only. Skipped, with the reason, where no Electron binary is installed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { startTestAccountServer, type TestAccountServer } from '../../support/account-server';
import {
  ACCOUNT_PASSWORD,
  addItem,
  addVault,
  firstRunJourney,
  itemCard,
  lockAndCloseDialog,
  makeWorkspace,
  unlock,
  waitForHistory,
} from '../desktop/backup-journey-helpers';
import { electronOrSkip, ensureBuilt, launchApp, type RunningApp } from './electron-app';

const electronBinary = electronOrSkip();
test.setTimeout(300_000);

let dataDir: string;
let running: RunningApp | null = null;
let server: TestAccountServer | null = null;

test.beforeAll(() => ensureBuilt());
test.beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-electron-e2e-'));
});
test.afterEach(async () => {
  if (running && running.app.process().exitCode === null) await running.app.close();
  running = null;
  await server?.close();
  server = null;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('first run: create account, guide, back up, see it in History, restore an older version', async () => {
  const work = makeWorkspace(160);
  try {
    // No server chosen: the app starts its embedded account server, with no account yet.
    running = await launchApp(electronBinary, { dataDir });
    await firstRunJourney(running.window, work);
  } finally {
    work.remove();
  }
});

test('a backup started before Lock… finishes with the window closed; reopened and unlocked, History says Success', async () => {
  server = await startTestAccountServer();
  await server.createUser('hugo', ACCOUNT_PASSWORD);
  const work = makeWorkspace(400);
  try {
    running = await launchApp(electronBinary, { dataDir, serverUrl: server.url });
    const page = running.window;
    await unlock(page, 'hugo');
    await addVault(page, work.vault);
    // A schedule, so Strongroom stays in the tray when its window closes.
    await addItem(page, 'Projects', work.source, async (form) => {
      await form.getByRole('radio', { name: 'Every day' }).check();
    });
    const card = itemCard(page, 'Projects');
    await card.getByRole('button', { name: 'Back up now' }).click();
    await expect(card.getByRole('progressbar', { name: 'Backup progress of Projects' })).toBeVisible();

    const closed = page.waitForEvent('close');
    await lockAndCloseDialog(page);
    await closed;
    expect(running.app.process().exitCode).toBeNull();

    // "Open Strongroom": a new window, on the unlock screen.
    const reopened = running.app.waitForEvent('window');
    await running.app.evaluate(({ app }) => {
      app.emit('activate');
    });
    const again = await reopened;
    await expect(again.getByRole('heading', { name: 'Unlock Strongroom' })).toBeVisible();
    await again.getByLabel('Password').fill(ACCOUNT_PASSWORD);
    await again.getByRole('button', { name: 'Unlock', exact: true }).click();
    await waitForHistory(
      again,
      new RegExp(`Backup\\s+Projects.*Success\\s+${work.fileCount}\\b`, 's'),
      1,
      240_000,
    );
  } finally {
    work.remove();
  }
});
