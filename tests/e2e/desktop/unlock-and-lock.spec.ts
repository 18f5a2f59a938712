/**
 * The desktop app through the browser harness (`npm run harness`), against a real account server:
 * the unlock screen, the Lock… journey of the reference page, and enabling two-factor
 * authentication from the app's settings. Elements are found by role and label, as a person would.
 */
import { randomBytes } from 'node:crypto';
import { type Page } from '@playwright/test';
import { expect, test } from './journey-test';
import { startTestAccountServer, totpCode, type TestAccountServer } from '../../support/account-server';
import { decodeQrDataUrl, oathtoolCode } from './authenticator';
import { freshDataDir, removeDataDir, startHarness, type RunningHarness } from './harness-process';

/** The app opens on Backups after unlocking; Account is at the bottom left of the side menu. */
async function openAccount(page: Page) {
  await page.getByRole('navigation', { name: 'Main menu' }).getByRole('button', { name: 'Account' }).click();
}

const PASSWORD = 'correct horse battery';
const SHOTS = 'test-results/desktop-screens';

/**
 * The account server's clock: real time, unless a test freezes it and moves it itself (throttling
 * waits are skipped, not slept). Injected like every clock of the server's services.
 */
class ServerClock {
  private frozenAt: number | null = null;
  now(): number {
    return this.frozenAt ?? Date.now();
  }
  freeze(): void {
    this.frozenAt = Date.now();
  }
  advance(ms: number): void {
    if (this.frozenAt === null) throw new Error('freeze the clock first');
    this.frozenAt += ms;
  }
}

let server: TestAccountServer;
let serverClock: ServerClock;
let harness: RunningHarness | null = null;
let dataDir: string;

/** Script errors and policy violations in any page of the test (the CSP has no 'unsafe-inline'). */
let problems: string[] = [];

test.beforeEach(async ({ context }) => {
  problems = [];
  context.on('page', (p) => watch(p));
  context.pages().forEach(watch);
  // A fresh server per test: throttling counts per client address, and every test comes from 127.0.0.1.
  serverClock = new ServerClock();
  server = await startTestAccountServer({ clock: serverClock });
  dataDir = freshDataDir();
  harness = await startHarness({ dataDir, serverUrl: server.url });
});

test.afterEach(async () => {
  expect(problems).toEqual([]);
  await harness?.stop();
  harness = null;
  await server.close();
  removeDataDir(dataDir);
});

function watch(page: Page) {
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
}

function unlockButton(page: Page) {
  return page.getByRole('button', { name: 'Unlock', exact: true });
}

/** Nothing of the app is in the accessibility tree: no menu, no Account, no settings. */
async function expectOnlyUnlockScreen(page: Page) {
  await expect(page.getByRole('heading', { name: 'Unlock Strongroom' })).toBeVisible();
  await expect(page.getByRole('navigation')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Account', exact: true })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Change account settings' })).toHaveCount(0);
  await expect(page.getByRole('tab')).toHaveCount(0);
}

async function unlock(page: Page, username: string, password: string, code?: string) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  if (code !== undefined) await page.getByLabel('Two-factor code (TOTP)').fill(code);
  await unlockButton(page).click();
}

/** A six-digit code that is none of the codes the server accepts right now (±1 step). */
function wrongCodeFor(secret: string): string {
  const accepted = new Set([-30_000, 0, 30_000].map((d) => totpCode(secret, Date.now() + d)));
  for (let n = 0; ; n++) {
    const candidate = String((Number(totpCode(secret)) + 1 + n * 7919) % 1_000_000).padStart(6, '0');
    if (!accepted.has(candidate)) return candidate;
  }
}

test('unlocks with username, password and the TOTP code; nothing of the app shows before', async ({
  page,
}) => {
  await server.createUser('alice', PASSWORD);
  const secret = await server.enableTotp('alice');

  await page.goto(harness!.url);
  await expectOnlyUnlockScreen(page);
  await expect(page.getByLabel('Server')).toHaveValue(server.url);
  await page.screenshot({ path: `${SHOTS}/unlock-screen.png` });

  // Password right, code missing: the app keeps the password, asks for the code only and puts
  // the cursor there, the code field described by the request.
  await unlock(page, 'alice', PASSWORD);
  const codeField = page.getByLabel('Two-factor code (TOTP)');
  await expect(page.getByRole('alert')).toContainText('uses two-factor authentication');
  await expect(page.getByRole('alert')).not.toContainText('password');
  await expect(codeField).toBeFocused();
  await expect(codeField).toHaveAttribute('aria-invalid', 'true');
  await expect(codeField).toHaveAccessibleDescription(/uses two-factor authentication/);
  await expect(page.getByLabel('Password')).toHaveValue(PASSWORD);
  await expectOnlyUnlockScreen(page);
  await page.screenshot({ path: `${SHOTS}/unlock-code-needed.png` });

  // Typing the code fixes what was asked: the request goes.
  await codeField.fill(totpCode(secret));
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(codeField).not.toHaveAttribute('aria-invalid', 'true');
  await unlockButton(page).click();

  await openAccount(page);
  await expect(page.getByRole('heading', { name: 'Account', level: 1 })).toBeVisible();
  const details = page.getByRole('definition');
  await expect(details.nth(0)).toHaveText('alice');
  await expect(details.nth(1)).toContainText(server.url);
  await expect(details.nth(2)).toContainText('On');
  await expect(
    page.getByRole('navigation', { name: 'Main menu' }).getByRole('button', { name: 'Account' }),
  ).toBeVisible();
});

test('shows each form error next to its field, focuses the first, and drops an error once fixed', async ({
  page,
}) => {
  await page.goto(harness!.url);
  const username = page.getByLabel('Username');
  const password = page.getByLabel('Password');
  await username.fill('');
  await unlockButton(page).click();

  // Both missing: each field says so under itself, and the cursor is in the first.
  await expect(username).toBeFocused();
  await expect(username).toHaveAttribute('aria-invalid', 'true');
  await expect(username).toHaveAccessibleDescription('Enter your username.');
  await expect(password).toHaveAttribute('aria-invalid', 'true');
  await expect(password).toHaveAccessibleDescription('Enter your password.');
  await page.screenshot({ path: `${SHOTS}/unlock-field-errors.png` });

  // Fixing the username removes its error at once, and only its error.
  await username.fill('frank');
  await expect(username).not.toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('Enter your username.')).toHaveCount(0);
  await expect(password).toHaveAccessibleDescription('Enter your password.');

  // Submitting again moves the cursor to the field still wrong.
  await unlockButton(page).click();
  await expect(password).toBeFocused();
  await password.fill('something');
  await expect(page.getByText('Enter your password.')).toHaveCount(0);
  await expect(password).not.toHaveAttribute('aria-invalid', 'true');
});

test('refuses a wrong username or password, and a wrong two-factor code, clearing the password', async ({
  page,
}) => {
  await server.createUser('dora', PASSWORD);
  const secret = await server.enableTotp('dora');
  await page.goto(harness!.url);

  await unlock(page, 'dora', 'not the password');
  await expect(page.getByRole('alert')).toHaveText('Wrong username or password. Check them and try again.');
  await expect(page.getByLabel('Password')).toHaveValue('');
  // The cleared field is the server's answer, not a form error of its own.
  await expect(page.getByText('Enter your password.')).toHaveCount(0);

  await unlock(page, 'dora', PASSWORD, wrongCodeFor(secret));
  await expect(page.getByRole('alert')).toContainText(/two-factor code/);
  await expect(page.getByLabel('Password')).toHaveValue('');
  await expect(page.getByLabel('Two-factor code (TOTP)')).toHaveValue('');
  await expectOnlyUnlockScreen(page);
  // The bridge answers account calls with "locked" too: refusing is main's job, not only the screen's.
  const answer = await page.evaluate(() => window.api.accountGet());
  expect(answer).toMatchObject({ ok: false, error: { code: 'locked' } });
});

test('shows throttling with a countdown and keeps Unlock disabled meanwhile', async ({ page }) => {
  await server.createUser('erin', PASSWORD);
  // Time stands still on both sides and moves only when the test moves it: the server's clock, and
  // the page's (Playwright's clock drives the countdown's Date.now and setInterval).
  serverClock.freeze();
  await page.clock.install();
  const failOnce = () =>
    fetch(`${server.url}/api/device-sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // A wrong password reaches the server as an auth key that is not the account's.
      body: JSON.stringify({
        username: 'erin',
        authKey: randomBytes(32).toString('base64url'),
        deviceName: 'e2e',
        computerId: randomBytes(16).toString('hex'),
      }),
    }).then((r) => r.status);
  // Five free failures, then waits of 1, 2 and 4 s (refused until each is over): the next attempt must wait 8 s.
  for (let i = 0; i < 5; i++) expect(await failOnce()).toBe(401);
  for (const waitSeconds of [1, 2, 4]) {
    expect(await failOnce()).toBe(429);
    serverClock.advance(waitSeconds * 1000);
    expect(await failOnce()).toBe(401);
  }

  await page.goto(harness!.url);
  await page.getByLabel('Username').fill('erin');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.clock.pauseAt(Date.now() + 60_000);
  await unlockButton(page).click();
  const alert = page.getByRole('alert');
  await expect(alert).toHaveText('Too many attempts. Try again in 8 s.');
  await expect(unlockButton(page)).toBeDisabled();
  await expect(page.getByLabel('Password')).toHaveValue('');
  await page.screenshot({ path: `${SHOTS}/unlock-throttled.png` });

  // It counts down, and Unlock stays disabled until the wait is over...
  await page.clock.runFor(2_000);
  await expect(alert).toHaveText('Too many attempts. Try again in 6 s.');
  await expect(unlockButton(page)).toBeDisabled();
  await page.clock.runFor(5_000);
  await expect(alert).toHaveText('Too many attempts. Try again in 1 s.');
  await expect(unlockButton(page)).toBeDisabled();
  // ...then comes back, and the server (8 s later too) lets the right password in.
  serverClock.advance(8_000);
  await page.clock.runFor(1_000);
  await expect(alert).toHaveText('Too many attempts. You can try again now.');
  await expect(unlockButton(page)).toBeEnabled();
  await page.getByLabel('Password').fill(PASSWORD);
  await unlockButton(page).click();
  await openAccount(page);
  await expect(page.getByRole('heading', { name: 'Account', level: 1 })).toBeVisible();
});

test('Account → Change account settings → Account → Lock… closes the app; reopening shows only the unlock screen', async ({
  page,
  context,
}) => {
  await server.createUser('bob', PASSWORD);
  await page.goto(harness!.url);
  await unlock(page, 'bob', PASSWORD);

  await page.getByRole('navigation', { name: 'Main menu' }).getByRole('button', { name: 'Account' }).click();
  await page.getByRole('button', { name: 'Change account settings' }).click();
  await page.getByRole('tab', { name: 'Account' }).click();
  await expect(page.getByRole('tab', { name: 'Account' })).toHaveAttribute('aria-selected', 'true');
  const username = page.getByRole('tabpanel').getByLabel('Username');
  await expect(username).toHaveValue('bob');
  await expect(username).not.toBeEditable();
  await page.screenshot({ path: `${SHOTS}/account-tab.png` });

  await page.getByRole('button', { name: 'Lock…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Lock Strongroom and close it?' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('Strongroom will lock and close now.');
  await expect(dialog).toContainText('you will need your password');
  await page.screenshot({ path: `${SHOTS}/lock-confirmation.png` });
  await dialog.getByRole('button', { name: 'Lock and close' }).click();

  // Closed: the harness's stand-in for a closed window is a static page with no app in it.
  await expect(page.getByRole('heading', { name: 'Strongroom is closed' })).toBeVisible();
  await expect(page.getByRole('button')).toHaveCount(0);

  // Opening the app again: the unlock screen, the username remembered, and nothing else.
  const reopened = await context.newPage();
  await reopened.goto(harness!.url);
  await expectOnlyUnlockScreen(reopened);
  await expect(reopened.getByLabel('Username')).toHaveValue('bob');
  await expect(reopened.getByLabel('Password')).toHaveValue('');

  // And after a restart of the whole app on the same data directory.
  await harness!.stop();
  harness = await startHarness({ dataDir, serverUrl: server.url });
  const restarted = await context.newPage();
  await restarted.goto(harness.url);
  await expectOnlyUnlockScreen(restarted);
  await expect(restarted.getByLabel('Username')).toHaveValue('bob');
  const answer = await restarted.evaluate(() => window.api.accountGet());
  expect(answer).toMatchObject({ ok: false, error: { code: 'locked' } });
});

test('Ctrl+L and Cmd+L lock in place from anywhere in the unlocked app; while locked they do nothing', async ({
  page,
}) => {
  await server.createUser('gina', PASSWORD);
  await page.goto(harness!.url);
  await unlock(page, 'gina', PASSWORD);
  await page.getByRole('navigation', { name: 'Main menu' }).getByRole('button', { name: 'History' }).click();
  await expect(page.getByRole('heading', { name: 'History', level: 1 })).toBeVisible();

  await page.keyboard.press('Control+L');
  // The same window, now on the unlock screen saying who locked it.
  await expectOnlyUnlockScreen(page);
  await expect(page.getByRole('status')).toHaveText('You locked Strongroom. Unlock to go on.');
  await expect(page.getByLabel('Username')).toHaveValue('gina');
  const answer = await page.evaluate(() => window.api.accountGet());
  expect(answer).toMatchObject({ ok: false, error: { code: 'locked' } });
  await page.screenshot({ path: `${SHOTS}/locked-now.png` });

  // Locked, the keys are the page's again (Ctrl+L in a field selects nothing special, locks nothing).
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Password').press('Control+L');
  await expect(page.getByLabel('Password')).toHaveValue(PASSWORD);
  await expect(page.getByRole('alert')).toHaveCount(0);

  await unlockButton(page).click();
  await expect(page.getByRole('navigation', { name: 'Main menu' })).toBeVisible();
  // Cmd+L, typed in a field of a page: it locks too.
  await openAccount(page);
  await page.getByRole('button', { name: 'Change account settings' }).click();
  await page.getByRole('tab', { name: 'Account' }).click();
  await page.getByRole('tabpanel').getByLabel('Username').press('Meta+L');
  await expectOnlyUnlockScreen(page);
  await expect(page.getByRole('status')).toHaveText('You locked Strongroom. Unlock to go on.');
});

test('enabling two-factor authentication in the settings makes the next unlock need the code', async ({
  page,
  context,
}) => {
  await server.createUser('carol', PASSWORD);
  await page.goto(harness!.url);
  await unlock(page, 'carol', PASSWORD);
  await openAccount(page);
  await expect(page.getByRole('definition').nth(2)).toContainText('Off');

  await page.getByRole('button', { name: 'Change account settings' }).click();
  await page.getByRole('tab', { name: 'Two-factor authentication' }).click();
  await page.getByLabel('Two-factor authentication (TOTP)').check();

  // Scan the QR image as a phone would; the manual key must be the same secret.
  const qr = page.getByRole('img', { name: /QR code/ });
  await expect(qr).toBeVisible();
  const uri = new URL(decodeQrDataUrl((await qr.getAttribute('src')) ?? ''));
  expect(uri.protocol).toBe('otpauth:');
  expect(decodeURIComponent(uri.pathname)).toContain('Strongroom:carol');
  const secret = uri.searchParams.get('secret') ?? '';
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await expect(page.getByLabel('Key for manual entry')).toHaveValue(secret.replace(/(.{4})(?!$)/g, '$1 '));
  await page.screenshot({ path: `${SHOTS}/two-factor-enrolment.png`, fullPage: true });

  const now = Date.now();
  await page.getByLabel('Six-digit code from the app').fill(oathtoolCode(secret, now));
  await page.getByRole('button', { name: 'Save' }).click();

  // The recovery codes, shown once.
  const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
  await expect(codes).toHaveCount(10);
  await page.screenshot({ path: `${SHOTS}/recovery-codes.png` });
  await expect(page.getByRole('button', { name: 'Copy recovery codes' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Download recovery codes' })).toBeVisible();
  await page.getByRole('button', { name: 'I have stored my recovery codes' }).click();
  await expect(page.getByRole('list', { name: 'Recovery codes' })).toHaveCount(0);
  await expect(page.getByLabel('Two-factor authentication (TOTP)')).toBeChecked();

  await page.getByRole('button', { name: 'Done' }).click();
  await expect(page.getByRole('definition').nth(2)).toContainText('On');

  // Lock and close; the confirmation now mentions the code.
  await openAccount(page);
  await page.getByRole('button', { name: 'Change account settings' }).click();
  await page.getByRole('button', { name: 'Lock…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Lock Strongroom and close it?' });
  await expect(dialog).toContainText('your password and a two-factor code');
  await dialog.getByRole('button', { name: 'Lock and close' }).click();
  await expect(page.getByRole('heading', { name: 'Strongroom is closed' })).toBeVisible();

  const reopened = await context.newPage();
  await reopened.goto(harness!.url);
  await expectOnlyUnlockScreen(reopened);
  await unlock(reopened, 'carol', PASSWORD);
  await expect(reopened.getByRole('alert')).toContainText('uses two-factor authentication');
  await expectOnlyUnlockScreen(reopened);

  // The code used to save is spent; the next step's code (accepted one step ahead) unlocks.
  await unlock(reopened, 'carol', PASSWORD, oathtoolCode(secret, now + 30_000));
  await openAccount(reopened);
  await expect(reopened.getByRole('heading', { name: 'Account', level: 1 })).toBeVisible();
  await expect(reopened.getByRole('definition').nth(2)).toContainText('On');
  await reopened.screenshot({ path: `${SHOTS}/account-page.png` });
});
