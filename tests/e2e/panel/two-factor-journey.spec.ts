/**
 * The reference page's journey in the web control panel, as a person does it, against the real
 * account server started as a process: create the account, sign in, open account settings → My
 * Account, enable "Two-factor authentication (TOTP)", scan the QR image (decoded here), enter the
 * code from the app (computed by Debian's oathtool, not by the server's TOTP code), Save, keep the
 * recovery codes, sign out, and sign in again with username, password and a fresh code. Every
 * request the page makes is recorded: the password never crosses the wire, in any encoding (the
 * panel sends the auth key derived in its Web Worker).
 */
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import {
  chooseOwnPassword,
  decodeQr,
  openMyAccount,
  signInWithPassword,
  signOutFromHeader,
  wrongCode,
} from './panel-helpers';
import {
  oathtoolCode,
  startServerProcess,
  totpStep,
  waitForStepAfter,
  type ServerProcess,
} from './server-process';

const USER = 'alice';
const PASSWORD = 'correct horse battery staple';

test.describe.configure({ mode: 'serial' });

let server: ServerProcess;
let secret = '';

/** Everything the page sends: URLs, headers and bodies of every request. */
function recordWire(page: Page): Buffer[] {
  const wire: Buffer[] = [];
  page.on('request', (request) => {
    wire.push(Buffer.from(`${request.method()} ${request.url()}\n${JSON.stringify(request.headers())}\n`));
    const body = request.postDataBuffer();
    if (body) wire.push(body);
  });
  return wire;
}

/** The password in every encoding a client might put it in. */
function passwordEncodings(password: string): Buffer[] {
  const bytes = Buffer.from(password, 'utf8');
  return [
    bytes,
    Buffer.from(encodeURIComponent(password)),
    Buffer.from(password.replace(/ /g, '+')),
    Buffer.from(JSON.stringify(password)),
    Buffer.from(bytes.toString('base64')),
    Buffer.from(bytes.toString('base64url')),
    Buffer.from(bytes.toString('hex')),
  ];
}
let recoveryCodes: string[] = [];

test.beforeAll(async () => {
  server = await startServerProcess();
});
test.afterAll(async () => {
  await server?.stop();
});

test('turns on two-factor authentication from My Account and signs in again with a fresh code', async ({
  page,
  context,
}, testInfo) => {
  test.setTimeout(180_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  // The server's CSP has no 'unsafe-inline': the panel must run without a single violation.
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  page.on('pageerror', (e) => cspViolations.push(`page error: ${e.message}`));
  const wire = recordWire(page);
  await page.goto(server.url);

  // Create the account on the panel's own page (the server is on loopback, so signup is on).
  await expect(page.getByRole('heading', { name: 'Sign in', level: 1 })).toBeVisible();
  await page.getByRole('link', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Create account', level: 1 })).toBeVisible();
  await page.getByLabel('Username').fill(USER);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('status')).toContainText('Account “alice” created');
  await expect(page.getByLabel('Username')).toHaveValue(USER);

  // Sign in, then account settings → My Account, as on the reference page.
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('Signed in as alice')).toBeVisible();
  await openMyAccount(page);
  await expect(page.getByRole('heading', { name: 'My Account', level: 1 })).toBeVisible();
  await expect(page.getByLabel('Username')).toHaveValue(USER);

  // Enable the option: the QR image, the key for manual entry, the code field and Save appear.
  const toggle = page.getByRole('checkbox', { name: 'Two-factor authentication (TOTP)' });
  await expect(toggle).not.toBeChecked();
  await toggle.check();
  const qr = page.getByRole('img', { name: /QR code/ });
  await expect(qr).toBeVisible();
  const uri = new URL(decodeQr(await qr.getAttribute('src')));
  expect(uri.protocol).toBe('otpauth:');
  expect(uri.host).toBe('totp');
  expect(decodeURIComponent(uri.pathname)).toBe('/Strongroom:alice');
  expect(uri.searchParams.get('issuer')).toBe('Strongroom');
  secret = uri.searchParams.get('secret') ?? '';
  expect(secret).toMatch(/^[A-Z2-7]{32}$/); // 160 bits

  const manualKey = await page.getByLabel('Key for manual entry').inputValue();
  expect(manualKey).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
  expect(manualKey.replace(/ /g, '')).toBe(secret);
  await page.getByRole('button', { name: 'Copy key' }).click();
  await expect(page.getByText('Copied.')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

  const codeField = page.getByRole('textbox', { name: 'Six-digit code from the app' });
  await expect(codeField).toHaveAttribute('inputmode', 'numeric');
  await expect(codeField).toHaveAttribute('autocomplete', 'one-time-code');
  await page.screenshot({ path: testInfo.outputPath('my-account-qr.png'), fullPage: true });

  // A wrong code changes nothing and says what to do.
  await codeField.fill(wrongCode(secret));
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toContainText('That code is not right');
  await expect(qr).toBeVisible();

  // The code from the app turns it on; the recovery codes are shown once.
  const enrolStep = totpStep();
  const enrolCode = oathtoolCode(secret);
  await codeField.fill(enrolCode);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Store these now; they will not be shown again.')).toBeVisible();
  const list = page.getByRole('list', { name: 'Recovery codes' });
  await page.screenshot({ path: testInfo.outputPath('recovery-codes.png'), fullPage: true });
  recoveryCodes = (await list.getByRole('listitem').allTextContents()).map((c) => c.trim());
  expect(recoveryCodes).toHaveLength(10);
  expect(new Set(recoveryCodes).size).toBe(10);
  for (const c of recoveryCodes) expect(c.replace(/[-\s]/g, '').length).toBeGreaterThanOrEqual(10);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download recovery codes' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('strongroom-recovery-codes-alice.txt');
  const file = readFileSync(await download.path(), 'utf8');
  for (const c of recoveryCodes) expect(file).toContain(c);
  await page.getByRole('button', { name: 'Copy recovery codes' }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(recoveryCodes.join('\n'));

  await page.getByRole('button', { name: 'I have stored my recovery codes' }).click();
  await expect(list).toHaveCount(0);
  await expect(toggle).toBeChecked();
  await expect(page.getByText('10 recovery codes are left.')).toBeVisible();
  await page.getByRole('button', { name: 'Refresh history' }).click();
  await expect(page.getByRole('table', { name: /Sign-ins and account changes/ })).toContainText(
    'Two-factor authentication turned on',
  );

  // Sign out; signing in again now asks for the code.
  await signOutFromHeader(page);
  await signInWithPassword(page, USER, PASSWORD);
  await expect(page.getByRole('heading', { name: 'Two-factor authentication', level: 1 })).toBeVisible();
  const signInCode = page.getByRole('textbox', { name: 'Two-factor code (TOTP)' });
  await expect(signInCode).toHaveAttribute('inputmode', 'numeric');
  await expect(signInCode).toHaveAttribute('autocomplete', 'one-time-code');

  // The code already used to enrol is refused (a code works once), and so is a wrong one.
  await signInCode.fill(enrolCode);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('That two-factor code was not accepted');
  await signInCode.fill(wrongCode(secret));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('That two-factor code was not accepted');
  await page.screenshot({ path: testInfo.outputPath('sign-in-wrong-code.png') });
  await expect(page.getByText('Signed in as alice')).toHaveCount(0);

  // A fresh code, from the next 30-second step, signs in.
  await waitForStepAfter(enrolStep);
  await signInCode.fill(oathtoolCode(secret));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('Signed in as alice')).toBeVisible();
  await openMyAccount(page);
  await expect(page.getByRole('checkbox', { name: 'Two-factor authentication (TOTP)' })).toBeChecked();
  await signOutFromHeader(page);
  expect(cspViolations).toEqual([]);
  // Create account, sign-in (parameters, auth key), TOTP set-up and sign-in with codes: no password.
  expect(wire.length).toBeGreaterThan(10);
  for (const needle of passwordEncodings(PASSWORD)) {
    expect(wire.filter((chunk) => chunk.includes(needle))).toEqual([]);
  }
});

test('a recovery code signs in once and not twice', async ({ page }) => {
  expect(recoveryCodes.length).toBe(10);
  const [code] = recoveryCodes as [string];
  await page.goto(server.url);

  // Typed as a person might; the code step names the account as the server reads it.
  await signInWithPassword(page, ' Alice ', PASSWORD);
  await expect(page.getByText(/Signing in as alice\./)).toBeVisible();
  await page.getByRole('button', { name: 'Use a recovery code' }).click();
  await page.getByRole('textbox', { name: 'Recovery code' }).fill(code);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('Signed in as alice')).toBeVisible();
  await page.goto(`${server.url}/#/account`);
  await expect(page.getByText('9 recovery codes are left.')).toBeVisible();
  await expect(page.getByRole('table', { name: /Sign-ins and account changes/ })).toContainText(
    'Recovery code used',
  );
  await signOutFromHeader(page);

  await signInWithPassword(page, USER, PASSWORD);
  await page.getByRole('button', { name: 'Use a recovery code' }).click();
  await page.getByRole('textbox', { name: 'Recovery code' }).fill(code);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('That recovery code was not accepted');
  await expect(page.getByText('Signed in as alice')).toHaveCount(0);
});

test('an expired session sends the person back to sign-in, saying so', async ({ page, context }) => {
  // The seed's first steps: an account made by the administrator on the command line (password on
  // stdin); its first sign-in asks for a password of the person's own.
  server.addUser('bob', 'bob password 1234');
  const wire = recordWire(page);
  await page.goto(server.url);
  await signInWithPassword(page, 'bob', 'bob password 1234');
  await chooseOwnPassword(page, 'bob’s own password');
  await expect(page.getByText('Signed in as bob')).toBeVisible();
  for (const needle of [
    ...passwordEncodings('bob password 1234'),
    ...passwordEncodings('bob’s own password'),
  ]) {
    expect(wire.filter((chunk) => chunk.includes(needle))).toEqual([]);
  }
  await openMyAccount(page);
  await expect(page.getByRole('heading', { name: 'My Account', level: 1 })).toBeVisible();

  await context.clearCookies(); // the session is gone, as after 30 idle minutes
  await page.getByRole('button', { name: 'Refresh history' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in', level: 1 })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveText('Your session has expired. Sign in again.');

  // The notice is about the last visit: the next attempt's answer replaces it.
  await page.getByLabel('Username').fill('bob');
  await page.getByLabel('Password').fill('not bob password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('The username or password is not right.');
});

test('repeated failures are throttled with a live countdown and Sign in disabled meanwhile', async ({
  page,
}, testInfo) => {
  test.setTimeout(120_000);
  await page.goto(server.url);
  const button = page.getByRole('button', { name: 'Sign in' });
  const alert = page.getByRole('alert');
  let seconds = 0;
  // Fail until the server asks for a wait of a few seconds (1 s, 2 s, 4 s, … after five failures).
  for (let attempt = 0; attempt < 12 && seconds < 3; attempt++) {
    await page.getByLabel('Username').fill('bob');
    await page.getByLabel('Password').fill(`wrong password ${attempt}`);
    await button.click(); // waits while the button is disabled by an earlier countdown
    await expect(alert).toBeVisible();
    const text = (await alert.textContent()) ?? '';
    const m = /Too many attempts\. Try again in (\d+) s\./.exec(text);
    if (m) seconds = Number(m[1]);
    else expect(text).toMatch(/username or password is not right|Too many attempts/);
  }
  expect(seconds).toBeGreaterThanOrEqual(3);
  await expect(button).toBeDisabled();
  await page.screenshot({ path: testInfo.outputPath('throttled.png') });
  // The countdown is live (it goes down while the page is left alone), then the button comes back.
  // Waits for each state rather than bounding when it shows, so a loaded machine cannot fail it.
  const secondsShown = async () => {
    const text = (await alert.textContent()) ?? '';
    if (text.includes('You can try again now')) return 0;
    return Number(/Try again in (\d+) s\./.exec(text)?.[1] ?? seconds);
  };
  await expect.poll(secondsShown, { timeout: 30_000 }).toBeLessThan(seconds);
  await expect(alert).toHaveText('Too many attempts. You can try again now.', { timeout: 60_000 });
  await expect(button).toBeEnabled();
});
