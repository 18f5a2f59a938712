/**
 * `test` for the journeys about something other than the account's key. The account recovery kit
 * dialog opens after the unlock that makes the account's key (every first unlock of an account);
 * on every page of these journeys it is put off with "Later", as a person busy with something else
 * would, so it never stands between the journey and what it tests. The journeys about the key
 * (new-computer, forgot-password) use Playwright's own `test` and handle the dialog themselves.
 */
import { test as base, type Page } from '@playwright/test';

export { expect } from '@playwright/test';

export async function putOffAccountKit(page: Page) {
  await page.addLocatorHandler(
    page.getByRole('dialog', { name: 'Your account recovery kit' }),
    async (dialog) => {
      await dialog.getByRole('button', { name: 'Later' }).click();
    },
  );
}

export const test = base.extend({
  context: async ({ context }, use) => {
    context.on('page', (page) => void putOffAccountKit(page));
    await use(context);
  },
});
