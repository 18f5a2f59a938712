/**
 * The shared components' CSS, laid out by Chromium in both box models: the panel keeps the default
 * content-box, the desktop renderer sets border-box on everything. Both must show all six digits of
 * a code and keep "10." of the recovery codes clear of the first column; on a phone the QR image
 * must shrink whole, never lose an edge.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import QRCode from 'qrcode';

const css = readFileSync(
  resolve(import.meta.dirname, '../../../src-renderer/components/components.css'),
  'utf8',
);
const codes = [
  'mmmm-mmmm-mmmm',
  'wwww-wwww-wwww',
  'abcd-efgh-jkmn',
  'pqrs-tuvw-xyz2',
  'mmmm-wwww-mmmm',
  '2345-6789-abcd',
  'efgh-jkmn-pqrs',
  'tuvw-xyz2-3456',
  '789a-bcde-fghj',
  'kmnp-qrst-uvwx',
];

for (const boxSizing of ['content-box', 'border-box']) {
  test(`six digits fit the code field and "10." clears the first column (${boxSizing})`, async ({ page }) => {
    await page.setViewportSize({ width: 900, height: 600 });
    await page.setContent(
      `<!doctype html><html><head><style>*, *::before, *::after { box-sizing: ${boxSizing}; }\n${css}</style></head>
      <body><div class="sr-field"><label for="c">Code</label><input id="c" class="sr-totp-input" value="888888"></div>
      <ol class="sr-recovery-list" aria-label="Recovery codes">${codes.map((c) => `<li><code>${c}</code></li>`).join('')}</ol>
      </body></html>`,
    );
    const field = await page
      .getByRole('textbox', { name: 'Code' })
      .evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
    expect(field.scroll).toBeLessThanOrEqual(field.client);

    // Two columns read down: item 5 ends the first column, item 10 the second, on one row.
    const items = page.getByRole('listitem');
    const fifth = (await items.nth(4).locator('code').boundingBox())!;
    const tenth = (await items.nth(9).boundingBox())!;
    expect(Math.abs(fifth.y - tenth.y)).toBeLessThan(4);
    // The item box holds its own number, so the gap between the columns is all white space.
    const number = await items.nth(9).evaluate((el) => getComputedStyle(el, '::before').content);
    expect(number).not.toBe('none');
    expect(tenth.x - (fifth.x + fifth.width)).toBeGreaterThanOrEqual(24);
  });
}

test('the QR image shrinks to a narrow card instead of losing an edge', async ({ page }) => {
  await page.setViewportSize({ width: 320, height: 700 });
  const png = await QRCode.toDataURL(`otpauth://totp/Strongroom:${'a'.repeat(64)}?secret=${'A'.repeat(32)}`, {
    errorCorrectionLevel: 'M',
    margin: 2,
    scale: 6,
  });
  await page.setContent(
    `<!doctype html><html><head><style>${css}</style></head><body>
    <div id="card" style="width: 220px; overflow: hidden"><ol class="sr-steps"><li>
    <img class="sr-qr" alt="QR code" src="${png}"></li></ol></div></body></html>`,
  );
  const card = (await page.locator('#card').boundingBox())!;
  const qr = (await page.getByRole('img', { name: 'QR code' }).boundingBox())!;
  expect(qr.x + qr.width).toBeLessThanOrEqual(card.x + card.width);
  // Square still: shrunk as a whole, not squeezed.
  expect(Math.abs(qr.width - qr.height)).toBeLessThan(1);
});
