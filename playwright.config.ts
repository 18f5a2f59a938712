import fs from 'node:fs';
import { defineConfig } from '@playwright/test';

// Browsers cannot be downloaded on this project's machines: use Debian's Chromium when present.
const debianChromium = '/usr/bin/chromium';
const executablePath =
  process.env.CHROMIUM_PATH ?? (fs.existsSync(debianChromium) ? debianChromium : undefined);

export default defineConfig({
  testDir: './tests/e2e',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  // Every spec starts its own servers and harnesses on port 0 with its own data directory, and most
  // of a spec's time is spent waiting on them: two files at once took the e2e run from 6.9 to 5.2 min.
  workers: 2,
  reporter: [['list']],
  use: {
    // Times are written as the locale does ("2:30 AM" here): one locale, so the journeys read the same everywhere.
    locale: 'en-US',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    { name: 'panel', testDir: './tests/e2e/panel' },
    { name: 'desktop-harness', testDir: './tests/e2e/desktop' },
    { name: 'electron', testDir: './tests/e2e/electron' },
  ],
});
