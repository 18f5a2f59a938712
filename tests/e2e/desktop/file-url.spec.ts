/**
 * Electron loads the built page from file:// (base './'), under the page's own CSP. This proves
 * the bundle, its styles and its relative asset paths work there, with a minimal stand-in for the
 * preload's window.api (the behaviour behind it is what the harness journeys test).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from '@playwright/test';

const builtPage = path.resolve('dist/renderer/desktop/index.html');
const NOT_BUILT = 'dist/renderer is not built: run npm run build:renderer';
const built = fs.existsSync(builtPage);
// Also said on the console: the list reporter shows skips without their reason.
if (!built) console.log(`[file-url] skipped: ${NOT_BUILT}`);

test('the built desktop page starts from file:// under its CSP and shows the unlock screen', async ({
  playwright,
}, testInfo) => {
  test.skip(!built, NOT_BUILT);
  // Electron lets a file:// page load its own module scripts and stylesheets; plain Chromium
  // only with this switch (without it, every file:// URL is an origin of its own).
  const launch = testInfo.project.use.launchOptions ?? {};
  const browser = await playwright.chromium.launch({
    ...launch,
    args: [...(launch.args ?? []), '--allow-file-access-from-files'],
  });
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    await page.addInitScript(() => {
      const status = {
        locked: true,
        reason: 'close',
        lockedAt: '2026-11-28T00:00:00.000Z',
        serverUrl: 'http://127.0.0.1:8437',
        serverIsLocal: true,
        lastUsername: null,
      };
      Object.defineProperty(window, 'api', {
        value: {
          lockStatus: async () => ({ ok: true, value: status }),
          onLocked: () => () => {},
        },
      });
    });
    await page.goto(pathToFileURL(builtPage).href);
    await expect(page.getByRole('heading', { name: 'Unlock Strongroom' })).toBeVisible();
    await expect(page.getByLabel('Server')).toHaveValue('http://127.0.0.1:8437');
    // The stylesheet loaded (a relative ../assets path): the Unlock button has the accent colour.
    await expect(page.getByRole('button', { name: 'Unlock', exact: true })).toHaveCSS(
      'background-color',
      'rgb(29, 78, 216)',
    );
    expect(problems).toEqual([]);
  } finally {
    await browser.close();
  }
});
