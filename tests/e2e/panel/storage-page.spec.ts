/**
 * The Storage page against the real server process: a storage token made in the panel, restic
 * (Debian's package) backs up with it, the page shows the repository and its snapshot, restic
 * forgets the snapshot, and "Restore deleted files" brings it back for restic. With two-factor
 * on, making a token asks for a code.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
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

  test('shows a repository written by restic and restores a deleted snapshot', async ({ page }) => {
    test.setTimeout(180_000);
    server.addUser('dora', 'dora password 1234');
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

    await page.reload();
    const section = page.getByRole('region', { name: 'main' });
    await expect(section).toBeVisible();
    await expect(section.getByRole('table', { name: 'Snapshots received' })).toContainText(
      'restic on the NAS',
    );
    await expect(section.getByText('Nothing was deleted recently.')).toBeVisible();

    await restic(repo, ['forget', snapshot!.id]);
    expect(JSON.parse(await restic(repo, ['snapshots', '--json']))).toEqual([]);
    await page.reload();
    const deleted = section.getByRole('table', { name: 'Recently deleted files of main' });
    await expect(deleted).toContainText(`snapshots/${snapshot!.id.slice(0, 8)}`);
    await expect(deleted).toContainText('restic on the NAS');

    await section.getByRole('button', { name: 'Restore deleted files' }).click();
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
