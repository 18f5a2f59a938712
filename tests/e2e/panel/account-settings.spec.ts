/**
 * The rest of My Account against the real server process: new recovery codes, turning two-factor
 * authentication off, renaming and revoking a device, where the password is changed (the app), and
 * --require-totp. Accounts come from `user add`: their first sign-in sets a password of their own.
 */
import { expect, test } from '@playwright/test';
import { deviceSignInBody } from '../../support/account-server';
import {
  completeEnrolment,
  firstSignIn,
  openMyAccount,
  signInWithPassword,
  signOutFromHeader,
  wrongCode,
} from './panel-helpers';
import { oathtoolCode, startServerProcess, waitForStepAfter, type ServerProcess } from './server-process';

test.describe('My Account', () => {
  test.describe.configure({ mode: 'serial' });
  let server: ServerProcess;
  test.beforeAll(async () => {
    server = await startServerProcess(['--signup', 'off']);
  });
  test.afterAll(async () => {
    await server?.stop();
  });

  test('without signup the sign-in page offers no Create account', async ({ page }) => {
    await page.goto(server.url);
    await expect(page.getByRole('heading', { name: 'Sign in', level: 1 })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Create account' })).toHaveCount(0);
    await page.goto(`${server.url}/#/create-account`);
    await expect(page.getByRole('heading', { name: 'Sign in', level: 1 })).toBeVisible();
  });

  test('regenerates recovery codes with a current code, then turns two-factor authentication off', async ({
    page,
  }) => {
    test.setTimeout(150_000);
    server.addUser('carol', 'carol password 1234');
    await page.goto(server.url);
    await firstSignIn(page, 'carol', 'carol password 1234');
    await openMyAccount(page);
    const toggle = page.getByRole('checkbox', { name: 'Two-factor authentication (TOTP)' });
    await toggle.check();
    const { secret, step, recoveryCodes } = await completeEnrolment(page);
    await expect(toggle).toBeChecked();

    // New recovery codes need a current code; a wrong one is refused.
    await page.getByRole('button', { name: 'Regenerate recovery codes' }).click();
    const current = page.getByRole('textbox', { name: 'Current two-factor code (TOTP)' });
    await current.fill(wrongCode(secret));
    await page.getByRole('button', { name: 'Make new recovery codes' }).click();
    await expect(page.getByRole('alert')).toContainText('That code is not right');
    await waitForStepAfter(step);
    await current.fill(oathtoolCode(secret));
    await page.getByRole('button', { name: 'Make new recovery codes' }).click();
    await expect(page.getByText('Store these now; they will not be shown again.')).toBeVisible();
    const fresh = (
      await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allTextContents()
    ).map((c) => c.trim());
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((c) => recoveryCodes.includes(c))).toEqual([]);
    await page.getByRole('button', { name: 'I have stored my recovery codes' }).click();

    // Turning it off asks for the password and a code; an old recovery code no longer works.
    await toggle.click();
    await expect(toggle).toBeChecked(); // still on until confirmed
    const form = page.getByRole('form', { name: 'Turn off two-factor authentication' });
    await form.getByLabel('Password').fill('carol password 1234');
    await form.getByRole('button', { name: 'Use a recovery code' }).click();
    await form.getByRole('textbox', { name: 'Recovery code' }).fill(recoveryCodes[0]!);
    await form.getByRole('button', { name: 'Turn off two-factor authentication' }).click();
    await expect(page.getByRole('alert')).toHaveText(
      'That recovery code was not accepted; each one works only once. Nothing was changed.',
    );
    await expect(toggle).toBeChecked();

    await form.getByLabel('Password').fill('carol password 1234');
    await form.getByRole('textbox', { name: 'Recovery code' }).fill(fresh[0]!);
    await form.getByRole('button', { name: 'Turn off two-factor authentication' }).click();
    await expect(
      page.getByRole('status').filter({ hasText: 'Two-factor authentication is off.' }),
    ).toBeVisible();
    await expect(toggle).not.toBeChecked();

    // Signing in again takes the password alone.
    await signOutFromHeader(page);
    await signInWithPassword(page, 'carol', 'carol password 1234');
    await expect(page.getByText('Signed in as carol')).toBeVisible();
  });

  test('revokes a desktop device after confirmation; the password is changed in the app', async ({
    page,
    request,
  }) => {
    server.addUser('dave', 'dave password 1234');
    await page.goto(server.url);
    await firstSignIn(page, 'dave', 'dave password 1234');
    const signIn = await request.post(`${server.url}/api/device-sign-in`, {
      data: await deviceSignInBody(server.url, 'dave', 'dave password 1234', 'Dave’s laptop'),
    });
    expect(signIn.status()).toBe(200);
    const { deviceToken } = (await signIn.json()) as { deviceToken: string };
    const asDevice = { headers: { authorization: `Bearer ${deviceToken}` } };
    expect((await request.get(`${server.url}/api/device/me`, asDevice)).status()).toBe(200);
    await page.reload();
    // The menu by keyboard: Escape from inside it closes it and puts focus back on its button.
    const menuButton = page.getByRole('button', { name: 'Account settings' });
    await menuButton.focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(nav.getByRole('link', { name: 'My Account' })).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(menuButton).toBeFocused();
    await expect(menuButton).toHaveAttribute('aria-expanded', 'false');
    await openMyAccount(page);
    const devices = page.getByRole('table', { name: 'Desktop apps signed in to this account' });
    await expect(devices.getByRole('rowheader', { name: 'Dave’s laptop' })).toBeVisible();

    // On a phone the tables stack: every cell, the Revoke button included, fits the screen.
    await page.setViewportSize({ width: 360, height: 740 });
    const history = page.getByRole('table', { name: /Sign-ins and account changes/ });
    await expect(history.getByRole('cell').first()).toBeVisible();
    for (const table of [devices, history]) {
      const overflow = await table.evaluate(
        (t) =>
          [...t.querySelectorAll('tbody th, tbody td, button')].filter(
            (el) => el.getBoundingClientRect().right > document.documentElement.clientWidth,
          ).length,
      );
      expect(overflow).toBe(0);
    }
    await expect(devices.getByRole('row')).toHaveCount(2); // still a table to assistive technology
    await page.setViewportSize({ width: 1280, height: 720 });

    // Renamed in the panel: the list and the history say so (the server keeps the name for this
    // computer's later sign-ins).
    await page.getByRole('button', { name: 'Rename Dave’s laptop' }).click();
    const renaming = page.getByRole('dialog', { name: 'Rename “Dave’s laptop”' });
    await renaming.getByLabel('Device name').fill('Dave’s desk');
    await renaming.getByRole('button', { name: 'Save name' }).click();
    await expect(devices.getByRole('rowheader', { name: 'Dave’s desk' })).toBeVisible();
    await page.getByRole('button', { name: 'Refresh history' }).click();
    await expect(history.getByRole('row').nth(1)).toContainText('Device renamed');

    // Cancel first: nothing happens.
    await page.getByRole('button', { name: 'Revoke Dave’s desk' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke “Dave’s desk”?' });
    await expect(dialog).toBeVisible();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    expect((await request.get(`${server.url}/api/device/me`, asDevice)).status()).toBe(200);

    await page.getByRole('button', { name: 'Revoke Dave’s desk' }).click();
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'is revoked' })).toBeVisible();
    await expect(page.getByText('No desktop app is signed in to this account.')).toBeVisible();
    expect((await request.get(`${server.url}/api/device/me`, asDevice)).status()).toBe(401);

    // The password is changed in the app, which re-wraps the account's key; the panel says so.
    const section = page.getByRole('region', { name: 'Password and recovery kit' });
    await expect(section).toContainText('Change your password in the Strongroom app');
    await expect(page.getByRole('form', { name: 'Change password' })).toHaveCount(0);

    await signOutFromHeader(page);
    await signInWithPassword(page, 'dave', 'dave password 1234');
    await expect(page.getByText('Signed in as dave')).toBeVisible();
  });
});

test.describe('a computer whose clock is off', () => {
  let server: ServerProcess;
  test.beforeAll(async () => {
    server = await startServerProcess(['--signup', 'off']);
  });
  test.afterAll(async () => {
    await server?.stop();
  });

  test('can still enrol when its clock runs twenty minutes ahead of the server', async ({ page }) => {
    server.addUser('frank', 'frank password 1234');
    await page.clock.install({ time: Date.now() + 20 * 60_000 });
    await page.goto(server.url);
    await firstSignIn(page, 'frank', 'frank password 1234');
    await openMyAccount(page);
    await page.getByRole('checkbox', { name: 'Two-factor authentication (TOTP)' }).check();
    await expect(page.getByRole('img', { name: /QR code/ })).toBeVisible();
    await page.clock.runFor(5_000);
    await expect(page.getByText('This set-up has expired')).toHaveCount(0);
    await completeEnrolment(page);
    await expect(page.getByText('10 recovery codes are left.')).toBeVisible();
  });
});

test.describe('with --require-totp', () => {
  let server: ServerProcess;
  test.beforeAll(async () => {
    server = await startServerProcess(['--require-totp']);
  });
  test.afterAll(async () => {
    await server?.stop();
  });

  test('shows only the two-factor set-up (and Sign out) until it is done', async ({ page }) => {
    server.addUser('erin', 'erin password 1234');
    await page.goto(server.url);
    // The administrator's password is replaced first, then the two-factor set-up.
    await firstSignIn(page, 'erin', 'erin password 1234', 'erin’s own password');
    await expect(
      page.getByRole('heading', { name: 'Set up two-factor authentication', level: 1 }),
    ).toBeVisible();
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(nav.getByRole('button', { name: 'Account settings' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Cancel' })).toHaveCount(0);
    await page.goto(`${server.url}/#/`);
    await expect(
      page.getByRole('heading', { name: 'Set up two-factor authentication', level: 1 }),
    ).toBeVisible();

    await completeEnrolment(page);
    await expect(page.getByRole('heading', { name: 'My Account', level: 1 })).toBeVisible();
    await expect(page.getByRole('checkbox', { name: 'Two-factor authentication (TOTP)' })).toBeChecked();
    await expect(nav.getByRole('button', { name: 'Account settings' })).toBeVisible();
  });
});
