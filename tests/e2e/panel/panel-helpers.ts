/** What a person does in the panel, shared by the panel specs. */
import { expect, type Page } from '@playwright/test';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { oathtoolCode, totpStep } from './server-process';

/** Reads an <img src="data:image/png;base64,..."> QR code the way a phone camera would. */
export function decodeQr(dataUrl: string | null): string {
  const match = /^data:image\/png;base64,(.+)$/.exec(dataUrl ?? '');
  if (!match?.[1]) throw new Error(`not a PNG data URL: ${String(dataUrl).slice(0, 40)}`);
  const png = PNG.sync.read(Buffer.from(match[1], 'base64'));
  const qr = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!qr) throw new Error('the QR image does not decode');
  return qr.data;
}

/** A six-digit code that is none of the codes the server would accept now (one step either side). */
export function wrongCode(secret: string): string {
  const now = Date.now();
  const valid = new Set([-30_000, 0, 30_000].map((d) => oathtoolCode(secret, new Date(now + d))));
  for (let n = 0; ; n++) {
    const candidate = String((Number(oathtoolCode(secret)) + 111_111 * (n + 1)) % 1_000_000).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
}

export async function signInWithPassword(page: Page, username: string, password: string) {
  await expect(page.getByRole('heading', { name: 'Sign in', level: 1 })).toBeVisible();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * The first sign-in of an account the administrator made (`user add`): the panel asks for a
 * password of the person's own before anything else.
 */
export async function chooseOwnPassword(page: Page, password: string) {
  await expect(page.getByRole('heading', { name: 'Choose your password', level: 1 })).toBeVisible();
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Repeat new password').fill(password);
  await page.getByRole('button', { name: 'Save password' }).click();
  await expect(page.getByRole('heading', { name: 'Choose your password', level: 1 })).toHaveCount(0);
}

/** Signs in with the administrator's password and replaces it with `own` (the same one by default). */
export async function firstSignIn(page: Page, username: string, temporary: string, own = temporary) {
  await signInWithPassword(page, username, temporary);
  await chooseOwnPassword(page, own);
}

/** Account settings → My Account, from the panel's main navigation. */
export async function openMyAccount(page: Page) {
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('button', { name: 'Account settings' }).click();
  await nav.getByRole('link', { name: 'My Account' }).click();
}

export async function signOutFromHeader(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in', level: 1 })).toBeVisible();
  await expect(page.getByRole('status')).toHaveText('You have signed out.');
}

/**
 * With the enrolment form on screen (My Account after ticking the option, or the forced set-up):
 * reads the QR, enters the app's code, saves, keeps the recovery codes and dismisses them.
 */
export async function completeEnrolment(
  page: Page,
): Promise<{ secret: string; step: number; recoveryCodes: string[] }> {
  const qr = page.getByRole('img', { name: /QR code/ });
  await expect(qr).toBeVisible();
  const secret = new URL(decodeQr(await qr.getAttribute('src'))).searchParams.get('secret') ?? '';
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  const step = totpStep();
  await page.getByRole('textbox', { name: 'Six-digit code from the app' }).fill(oathtoolCode(secret));
  await page.getByRole('button', { name: 'Save' }).click();
  const list = page.getByRole('list', { name: 'Recovery codes' });
  await expect(list).toBeVisible();
  const recoveryCodes = (await list.getByRole('listitem').allTextContents()).map((c) => c.trim());
  expect(recoveryCodes).toHaveLength(10);
  await page.getByRole('button', { name: 'I have stored my recovery codes' }).click();
  await expect(list).toHaveCount(0);
  return { secret, step, recoveryCodes };
}
