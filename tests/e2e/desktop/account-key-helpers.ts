/**
 * What the account-key journeys do as a person would: sign in with a two-factor code (each code is
 * used once, so every sign-in takes the next time step the server still accepts), and the account
 * recovery kit dialog: save the kit to a file, read the recovery key back from it, confirm it.
 */
import fs from 'node:fs';
import { expect, type Locator, type Page } from '@playwright/test';
import { totpCode } from '../../support/account-server';
import { ACCOUNT_PASSWORD } from './backup-journey-helpers';

const STEP_MS = 30_000;

/**
 * The phone: a fresh code for every sign-in. The server accepts a code within one step of its
 * clock and only for a step later than the last one it accepted, so this hands out increasing
 * steps, waiting when the next one is still ahead of the server's window.
 */
export class Phone {
  private lastStep: number;
  constructor(
    private readonly secret: string,
    /** The server's clock (a test may move it ahead of the system's). */
    private readonly now: () => number = Date.now,
  ) {
    // Enrolment confirmed the step before now (see the server fixture's enableTotp).
    this.lastStep = Math.floor(now() / STEP_MS) - 1;
  }

  async nextCode(): Promise<string> {
    const step = this.lastStep + 1;
    // Accepted while the server's step is step - 1, step or step + 1: wait until at least step - 1.
    for (;;) {
      const now = Math.floor(this.now() / STEP_MS);
      if (step <= now + 1 && step >= now - 1) break;
      if (step < now - 1) {
        this.lastStep = now - 2;
        return this.nextCode();
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    this.lastStep = step;
    return totpCode(this.secret, step * STEP_MS + 1000);
  }
}

/** The unlock screen with username, password and a code; waits for the unlocked app. */
export async function unlockWithCode(
  page: Page,
  username: string,
  code: string,
  password = ACCOUNT_PASSWORD,
) {
  const form = page.getByRole('form', { name: 'Unlock' });
  await form.getByLabel('Username').fill(username);
  await form.getByLabel('Password').fill(password);
  await form.getByLabel('Two-factor code (TOTP)').fill(code);
  await form.getByRole('button', { name: 'Unlock', exact: true }).click();
  await expect(page.getByRole('navigation', { name: 'Main menu' })).toBeVisible({ timeout: 30_000 });
}

export const kitDialog = (page: Page) => page.getByRole('dialog', { name: 'Your account recovery kit' });
export const kitBanner = (page: Page) => page.getByRole('region', { name: 'Account recovery kit' });

const RECOVERY_KEY = /[0-9A-Z]{4}(?:[- ][0-9A-Z]{4}){13}/;

/**
 * In the open kit dialog: what it shows, "Save recovery kit…" to `kitPath` (the harness has no
 * system picker, so the path is typed), and the recovery key read back from that file. With
 * `keyOnScreen: false` (the kit opened again after main's one showing) the dialog must not show
 * the key, and the file still holds it.
 */
export async function saveKit(
  dialog: Locator,
  kitPath: string,
  expected: { username: string; serverUrl: string },
  { keyOnScreen = true }: { keyOnScreen?: boolean } = {},
) {
  const facts = dialog.getByRole('definition');
  await expect(facts.nth(0)).toHaveText(expected.username);
  await expect(facts.nth(1)).toHaveText(expected.serverUrl);
  await expect(facts.nth(2)).toHaveText(/^[0-9a-f]{4}( [0-9a-f]{4}){7}$/);
  let shown: string | null = null;
  if (keyOnScreen) {
    await expect(dialog.getByRole('img', { name: 'QR code of the recovery key' })).toBeVisible();
    shown = (await dialog.getByRole('group', { name: 'Recovery key' }).innerText())
      .replace(/\s+/g, ' ')
      .trim();
    expect(shown).toMatch(/^[0-9A-Z]{4}( [0-9A-Z]{4}){13}$/);
  } else {
    await expect(dialog.getByRole('button', { name: 'Show the recovery key again' })).toBeVisible();
    await expect(dialog.getByRole('img', { name: 'QR code of the recovery key' })).toHaveCount(0);
    await expect(dialog.getByRole('group', { name: 'Recovery key' })).toHaveCount(0);
    expect(await dialog.innerText()).not.toMatch(RECOVERY_KEY);
  }

  await dialog.getByRole('button', { name: 'Save recovery kit…' }).click();
  await dialog.getByLabel('Save as', { exact: true }).fill(kitPath);
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(dialog.getByRole('status').filter({ hasText: 'Recovery kit saved to' })).toContainText(
    kitPath,
  );
  const text = fs.readFileSync(kitPath, 'utf8');
  expect((fs.statSync(kitPath).mode & 0o777).toString(8)).toBe('600');
  expect(text).toContain(expected.username);
  expect(text).toContain(expected.serverUrl);
  const fromFile = RECOVERY_KEY.exec(text)?.[0];
  expect(fromFile, 'the kit file holds the recovery key').toBeTruthy();
  // The file and the dialog show the same key.
  if (shown !== null) expect(fromFile!.replace(/[- ]/g, '')).toBe(shown.replace(/ /g, ''));
  return fromFile!;
}
