/**
 * The Storage page against the real server process: a storage token made in the panel, restic
 * (Debian's package) backs up with it, a signed-in computer reports that backup with its id, the
 * page shows the vault and the backup, restic forgets it, and the page shows that as one deletion
 * (by the token, one backup record, the backup named from the report; raw names behind Details)
 * that "Restore" brings back for restic. The home shows the account at a glance, and both pages
 * fit 1280×800 and 1024×700. With two-factor on, making a token asks for a code.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { deviceSignInBody } from '../../support/account-server';
import { completeEnrolment, firstSignIn, openMyAccount, wrongCode } from './panel-helpers';
import { startServerProcess, type ServerProcess } from './server-process';

function restic(repo: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'restic',
      ['--no-cache', '--quiet', ...args],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          RESTIC_REPOSITORY: repo,
          RESTIC_PASSWORD: 'e2e restic',
        },
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`restic ${args[0]}: ${stderr}`)) : resolve(stdout),
    );
  });
}

/** Signs in as the app does (a device of its own); answers the device token. */
async function deviceSignIn(url: string, username: string, password: string, name: string): Promise<string> {
  const response = await fetch(`${url}/api/device-sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(await deviceSignInBody(url, username, password, name)),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { deviceToken: string }).deviceToken;
}

/** The job report the app sends after a backup, carrying the backup's id. */
async function reportBackup(url: string, deviceToken: string, backupId: string): Promise<void> {
  const response = await fetch(`${url}/api/device/job-reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${deviceToken}` },
    body: JSON.stringify({
      item: 'Documents',
      kind: 'backup',
      status: 'succeeded',
      startedAt: new Date().toISOString(),
      durationMs: 1200,
      filesProcessed: 1,
      filesNew: 1,
      filesChanged: 0,
      errors: 0,
      bytesProcessed: 20,
      bytesAdded: 20,
      backupId,
    }),
  });
  expect(response.status).toBe(201);
}

/**
 * At 1280×800 and 1024×700: the page uses the width it has (not a narrow column), and no element
 * reaches past the card (section) it is in. Screenshots of both go to the test's artefacts.
 */
async function checkLayout(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  for (const [width, height] of [
    [1280, 800],
    [1024, 700],
  ] as const) {
    await page.setViewportSize({ width, height });
    const main = await page.locator('main').boundingBox();
    expect(main!.width, `${name} at ${width}px: the page's width`).toBeGreaterThan(width * 0.75);
    const overflowing = await page.evaluate(() => {
      const found: string[] = [];
      for (const card of document.querySelectorAll('main .panel-section')) {
        const box = card.getBoundingClientRect();
        for (const el of card.querySelectorAll('*')) {
          const r = el.getBoundingClientRect();
          if (r.width === 0 || r.height === 0) continue;
          if (r.right > box.right + 0.5 || r.left < box.left - 0.5) {
            found.push(`${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 40)}"`);
          }
        }
      }
      return found;
    });
    expect(overflowing, `${name} at ${width}×${height}: elements past their card`).toEqual([]);
    await page.screenshot({ path: testInfo.outputPath(`${name}-${width}x${height}.png`), fullPage: true });
  }
}

test.describe('Storage page', () => {
  let server: ServerProcess;
  let work: string;
  test.beforeAll(async () => {
    server = await startServerProcess();
    work = mkdtempSync(join(tmpdir(), 'strongroom-e2e-storage-'));
  });
  test.afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('shows what restic deleted as a deletion, names the backup, and restores that deletion', async ({
    page,
  }, testInfo) => {
    test.setTimeout(180_000);
    server.addUser('dora', 'dora password 1234');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(server.url);
    await firstSignIn(page, 'dora', 'dora password 1234');
    await page.getByRole('link', { name: 'Storage' }).click();
    await expect(page.getByRole('heading', { name: 'Storage', level: 1 })).toBeVisible();
    await expect(page.getByText('No repository yet.')).toBeVisible();

    await page.getByLabel('Token name').fill('restic on the NAS');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.getByLabel('New storage token').textContent())!.trim();
    expect(token).toMatch(/^srd_/);

    const url = new URL(server.url);
    const repo = `rest:http://dora:${token}@${url.host}/storage/dora/main/`;
    writeFileSync(join(work, 'notes.txt'), 'backed up by restic\n');
    await restic(repo, ['init']);
    await restic(repo, ['backup', work]);
    const [snapshot] = JSON.parse(await restic(repo, ['snapshots', '--json'])) as Array<{ id: string }>;

    // A computer signed in to the account reports the backup with its id, as the app does.
    const laptop = await deviceSignIn(server.url, 'dora', 'dora password 1234', "Dora's laptop");
    await reportBackup(server.url, laptop, snapshot!.id);

    await page.reload();
    const section = page.getByRole('region', { name: 'main' });
    await expect(section).toBeVisible();
    await expect(section.getByRole('table', { name: 'Backups received' })).toContainText('restic on the NAS');
    await expect(section.getByRole('table', { name: 'Backups received' })).toContainText(
      "Documents on Dora's laptop",
    );
    await expect(section.getByText('Nothing was deleted recently.')).toBeVisible();

    await restic(repo, ['forget', snapshot!.id]);
    expect(JSON.parse(await restic(repo, ['snapshots', '--json']))).toEqual([]);
    await page.reload();
    // One deletion: when, by which token, what kind of files, which backup; no raw names on view.
    const deletions = section.getByRole('list', { name: 'Deletions from main' });
    await expect(deletions).toContainText('deleted by restic on the NAS');
    await expect(deletions).toContainText(/1 file, .+: 1 backup record \(/);
    // The burst alert counts what was there a day before (nothing): it does not say "1 of 0".
    await expect(page.getByRole('alert').filter({ hasText: 'main:' })).toContainText(
      '1 backup record was deleted within a day',
    );
    await expect(deletions.getByRole('list', { name: 'Backups deleted' })).toHaveText(
      /Backup of Documents from .+ on Dora's laptop/,
    );
    const raw = `snapshots/${snapshot!.id}`;
    await expect(section.getByText(raw)).toBeHidden();
    await deletions.getByText('Details').click();
    await expect(section.getByText(raw)).toBeVisible();

    // The vault's key files (behind their own Details) are laid out too.
    await section.getByText('Details', { exact: true }).click();
    await expect(section.getByRole('table', { name: 'Key files of main' })).toBeVisible();
    await checkLayout(page, testInfo, 'storage');
    await page.getByRole('link', { name: 'Strongroom control panel' }).click();
    const devices = page.getByRole('region', { name: 'Devices and their last backups' });
    await expect(devices).toContainText("Dora's laptop");
    await expect(devices).toContainText(/Last backup: Documents, .+, succeeded/);
    await expect(page.getByRole('region', { name: 'Needs attention' })).toContainText(
      'Two-factor authentication is off',
    );
    await expect(page.getByRole('region', { name: 'Account storage' })).toContainText('in 1 storage vault');
    await checkLayout(page, testInfo, 'home');

    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('link', { name: 'Storage' }).click();
    await section.getByRole('button', { name: /^Restore what restic on the NAS deleted on / }).click();
    await expect(section.getByRole('status')).toHaveText('1 file restored.');
    const back = JSON.parse(await restic(repo, ['snapshots', '--json'])) as Array<{ id: string }>;
    expect(back.map((s) => s.id)).toEqual([snapshot!.id]);
  });

  test('asks for a two-factor code to make a token when two-factor is on', async ({ page }) => {
    server.addUser('erin', 'erin password 1234');
    await page.goto(server.url);
    await firstSignIn(page, 'erin', 'erin password 1234');
    await openMyAccount(page);
    await page.getByRole('checkbox', { name: 'Two-factor authentication (TOTP)' }).check();
    const { secret, recoveryCodes } = await completeEnrolment(page);

    await page.getByRole('link', { name: 'Storage' }).click();
    const tokens = page.getByRole('region', { name: 'Storage tokens' });
    await tokens.getByLabel('Token name').fill('restic on the NAS');
    await tokens.getByLabel('Two-factor code or recovery code').fill(wrongCode(secret));
    await tokens.getByRole('button', { name: 'Create token' }).click();
    await expect(tokens.getByRole('alert')).toContainText('code is not right');
    await expect(tokens.getByLabel('New storage token')).toHaveCount(0);

    // The code from the enrolment was used up; a recovery code does instead of waiting for the next.
    await tokens.getByLabel('Two-factor code or recovery code').fill(recoveryCodes[0]!);
    await tokens.getByRole('button', { name: 'Create token' }).click();
    await expect(tokens.getByLabel('New storage token')).toHaveText(/^srd_/);
    await expect(tokens.getByRole('listitem')).toContainText(['restic on the NAS']);
  });
});
