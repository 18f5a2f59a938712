/**
 * What the owner does to a repository on the Storage page, against the real server process:
 * the key files behind "Details" with what their format names (a host written with a
 * text-direction override shown with the character made visible), removing a lock and a key file,
 * a purge without two-factor that waits a day and is cancelled, deleting the whole repository and
 * restoring it; with two-factor on, removing a key file and deleting a repository ask for a code.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import Database from 'better-sqlite3';
import { completeEnrolment, firstSignIn, openMyAccount, wrongCode } from './panel-helpers';
import { startServerProcess, type ServerProcess } from './server-process';

const repoRoot = resolve(import.meta.dirname, '../../..');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A storage token as the administrator makes one (`storage token add`): its last line of output. */
function storageToken(server: ServerProcess, user: string): string {
  const out = execFileSync(
    join(repoRoot, 'node_modules', '.bin', 'tsx'),
    [join(repoRoot, 'src-server', 'cli.ts'), 'storage', 'token', 'add', user, '--data-dir', server.dataDir],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  return out.trim().split('\n').pop()!;
}

/** restic's REST protocol with a token, as a client would write the repository. */
function storage(server: ServerProcess, user: string, token: string) {
  const base = `${server.url}/storage/${user}/main/`;
  const call = async (method: string, path: string, body?: Buffer) =>
    (
      await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${token}` },
        body: body === undefined ? undefined : new Uint8Array(body),
      })
    ).status;
  return { call, base };
}

const resticKey = (user: string, hostname: string) =>
  Buffer.from(
    JSON.stringify({
      created: '2026-03-01T10:00:00.5+01:00',
      username: user,
      hostname,
      kdf: 'scrypt',
      N: 32768,
      r: 8,
      p: 1,
      salt: randomBytes(64).toString('base64'),
      data: randomBytes(128).toString('base64'),
    }),
  );

/** A repository with config, a key file from a host named with a right-to-left override, a lock. */
async function seed(server: ServerProcess, user: string) {
  const s = storage(server, user, storageToken(server, user));
  expect(await s.call('POST', '?create=true')).toBe(200);
  expect(await s.call('POST', 'config', randomBytes(200))).toBe(200);
  const key = sha256(randomBytes(16));
  expect(await s.call('POST', `keys/${key}`, resticKey(user, 'nas\u202Egnp.exe'))).toBe(200);
  const lock = sha256(randomBytes(16));
  expect(await s.call('POST', `locks/${lock}`, randomBytes(300))).toBe(200);
  return { ...s, key, lock };
}

async function openStorage(page: Page) {
  await page.getByRole('link', { name: 'Storage' }).click();
  await expect(page.getByRole('heading', { name: 'Storage', level: 1 })).toBeVisible();
}

test.describe('Storage page: the owner’s actions on a repository', () => {
  let server: ServerProcess;
  test.beforeAll(async () => {
    server = await startServerProcess();
  });
  test.afterAll(async () => {
    await server?.stop();
  });

  test('key files behind Details, removing files, a purge a day later cancelled, deleting and restoring', async ({
    page,
  }) => {
    test.setTimeout(120_000);
    server.addUser('gina', 'gina password 1234');
    await page.goto(server.url);
    // Replacing the administrator's password ends every token: the repository is written after.
    await firstSignIn(page, 'gina', 'gina password 1234');
    const repo = await seed(server, 'gina');
    const data = randomBytes(5000);
    expect(await repo.call('POST', `data/${sha256(data)}`, data)).toBe(200);
    expect(await repo.call('DELETE', `data/${sha256(data)}`)).toBe(200);
    // A token name from before the server refused text-direction characters.
    const db = new Database(join(server.dataDir, 'strongroom.sqlite'));
    db.prepare("UPDATE devices SET name = ? WHERE name = 'command line'").run('script\u202Etxt.exe');
    db.close();
    await openStorage(page);
    const section = page.getByRole('region', { name: 'main' });
    await section.getByText('Details', { exact: true }).click();
    const keys = section.getByRole('table', { name: 'Key files of main' });
    await expect(keys).toContainText('restic key');
    await expect(keys).toContainText('nas⟨U+202E⟩gnp.exe');
    await expect(keys).toContainText('gina');
    expect(await keys.textContent()).not.toContain('\u202E');
    const tokens = page.getByRole('region', { name: 'Storage tokens' });
    await expect(tokens.getByRole('listitem')).toContainText(['script⟨U+202E⟩txt.exe']);
    expect(await tokens.textContent()).not.toContain('\u202E');

    await section.getByRole('button', { name: `Remove lock file ${repo.lock.slice(0, 8)}` }).click();
    await section
      .getByRole('form', { name: `Remove lock file ${repo.lock.slice(0, 8)}` })
      .getByRole('button', { name: 'Remove' })
      .click();
    await expect(section.getByRole('status').filter({ hasText: 'Lock file' })).toHaveText(
      `Lock file ${repo.lock.slice(0, 8)} removed.`,
    );
    expect(await repo.call('HEAD', `locks/${repo.lock}`)).toBe(404);

    await section.getByRole('button', { name: `Remove key file ${repo.key.slice(0, 8)}` }).click();
    await section
      .getByRole('form', { name: `Remove key file ${repo.key.slice(0, 8)}` })
      .getByRole('button', { name: 'Remove' })
      .click();
    await expect(
      section.getByRole('status').filter({ hasText: `Key file ${repo.key.slice(0, 8)} removed` }),
    ).toBeVisible();
    expect(await repo.call('HEAD', `keys/${repo.key}`)).toBe(404);
    // The owner's own removal, by the web panel: one key file, its raw name behind Details.
    const removal = section
      .getByRole('list', { name: 'Deletions from main' })
      .getByRole('listitem', { name: /deleted by web panel/ });
    await expect(removal).toContainText(': 1 key file (');
    await removal.getByText('Details').click();
    await expect(removal.getByRole('table', { name: 'Files deleted (main)' })).toContainText(
      `keys/${repo.key}`,
    );

    // Without two-factor, a purge waits a day, shown with its time, and can be called off.
    await section.getByRole('button', { name: 'Delete permanently in 24 hours' }).click();
    const later = section.getByRole('form', {
      name: 'Delete the recently deleted files of main for good in 24 hours',
    });
    await later.getByLabel('Password').fill('gina password 1234');
    await later.getByRole('button', { name: 'Delete in 24 hours' }).click();
    const pending = section.getByRole('alert').filter({ hasText: 'will be removed for good on' });
    await expect(pending).toBeVisible();
    await pending.getByRole('button', { name: 'Cancel the removal' }).click();
    await expect(section.getByRole('status').filter({ hasText: 'cancelled' })).toBeVisible();
    await expect(pending).toHaveCount(0);

    await section.getByRole('button', { name: 'Delete repository' }).click();
    const del = section.getByRole('form', { name: 'Delete the repository main' });
    await del.getByLabel('Password').fill('not gina’s password');
    await del.getByRole('button', { name: 'Delete repository' }).click();
    await expect(del.getByRole('alert')).toContainText('not right');
    expect(await repo.call('HEAD', 'config')).toBe(200);
    await del.getByLabel('Password').fill('gina password 1234');
    await del.getByRole('button', { name: 'Delete repository' }).click();
    await expect(section.getByRole('status').filter({ hasText: 'main is deleted' })).toBeVisible();
    await expect(section.getByText('You deleted this repository')).toBeVisible();
    expect(await repo.call('HEAD', 'config')).toBe(404);

    await section.getByRole('button', { name: 'Restore deleted files' }).click();
    await expect(section.getByRole('status').filter({ hasText: 'restored' })).toBeVisible();
    expect(await repo.call('HEAD', 'config')).toBe(200);
    expect(await repo.call('HEAD', `keys/${repo.key}`)).toBe(200);
  });

  test('with two-factor on, removing a key file and deleting the repository ask for a code', async ({
    page,
  }) => {
    test.setTimeout(120_000);
    server.addUser('hank', 'hank password 1234');
    await page.goto(server.url);
    await firstSignIn(page, 'hank', 'hank password 1234');
    await openMyAccount(page);
    await page.getByRole('checkbox', { name: 'Two-factor authentication (TOTP)' }).check();
    const { secret, recoveryCodes } = await completeEnrolment(page);
    const repo = await seed(server, 'hank');
    await openStorage(page);
    const section = page.getByRole('region', { name: 'main' });
    await section.getByText('Details', { exact: true }).click();

    await section.getByRole('button', { name: `Remove key file ${repo.key.slice(0, 8)}` }).click();
    const remove = section.getByRole('form', { name: `Remove key file ${repo.key.slice(0, 8)}` });
    await remove.getByLabel('Two-factor code or recovery code').fill(wrongCode(secret));
    await remove.getByRole('button', { name: 'Remove' }).click();
    await expect(remove.getByRole('alert')).toContainText('code is not right');
    expect(await repo.call('HEAD', `keys/${repo.key}`)).toBe(200);
    await remove.getByLabel('Two-factor code or recovery code').fill(recoveryCodes[0]!);
    await remove.getByRole('button', { name: 'Remove' }).click();
    await expect(section.getByRole('status').filter({ hasText: 'removed' })).toBeVisible();
    expect(await repo.call('HEAD', `keys/${repo.key}`)).toBe(404);

    // With two-factor on there is no waiting purge: deleting for good is at once, with the code.
    await expect(section.getByRole('button', { name: 'Delete permanently in 24 hours' })).toHaveCount(0);
    await expect(section.getByRole('button', { name: 'Delete permanently now' })).toBeVisible();

    await section.getByRole('button', { name: 'Delete repository' }).click();
    const del = section.getByRole('form', { name: 'Delete the repository main' });
    await del.getByLabel('Password').fill('hank password 1234');
    await del.getByLabel('Two-factor code or recovery code').fill(recoveryCodes[1]!);
    await del.getByRole('button', { name: 'Delete repository' }).click();
    await expect(section.getByRole('status').filter({ hasText: 'main is deleted' })).toBeVisible();
    expect(await repo.call('HEAD', 'config')).toBe(404);
  });
});
