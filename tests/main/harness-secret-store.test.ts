/**
 * Which store keeps the device token in the browser harness: the OS keychain through keytar where
 * it built; where it did not (keytar is an optional dependency), memory, and the harness says at
 * start that secrets will not outlive the process. Real services and a real account server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeytar } from '../../src-main/adapters/keytar-secret-store';
import { startHarness } from '../../src-harness/harness';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';

const PASSWORD = 'correct horse battery';
let server: TestAccountServer;
let rendererDir: string;
let dataDir: string;

beforeAll(async () => {
  server = await startTestAccountServer();
  await server.createUser('alice', PASSWORD);
  rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-renderer-'));
  fs.mkdirSync(path.join(rendererDir, 'desktop'));
  fs.writeFileSync(
    path.join(rendererDir, 'desktop', 'index.html'),
    '<!doctype html><script src="x.js"></script>',
  );
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-harness-secrets-'));
});
afterAll(async () => {
  await server.close();
  fs.rmSync(rendererDir, { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function settingsAfterUnlock(options: Partial<Parameters<typeof startHarness>[0]>) {
  const lines: string[] = [];
  const harness = await startHarness({
    dataDir,
    serverUrl: server.url,
    rendererDir,
    log: (line) => lines.push(line),
    ...options,
  });
  try {
    const unlocked = await harness.services.dispatch(
      'auth:unlock',
      { username: 'alice', password: PASSWORD },
      true,
    );
    expect(unlocked).toMatchObject({ ok: true });
    return { lines, settings: await harness.services.dispatch('settings:get', undefined, true) };
  } finally {
    await harness.close();
  }
}

describe('the harness without keytar', () => {
  it('keeps secrets in memory, says at start that they will not outlive the process, and the settings say so', async () => {
    const { lines, settings } = await settingsAfterUnlock({
      keytar: { ok: false, reason: 'keytar is not installed (test)' },
    });
    expect(lines).toContain(
      'note: keytar is not installed (test): secrets (the device token) are kept in memory and will not outlive this process',
    );
    expect(settings).toMatchObject({ ok: true, value: { secretStore: 'memory', autoLockMinutes: 15 } });
  });
});

const keytar = loadKeytar();
if (!keytar.ok) console.warn(`[skipped] the harness with keytar: ${keytar.reason}`);

describe.skipIf(!keytar.ok)('the harness with keytar', () => {
  it('uses the OS keychain and says nothing about memory', async () => {
    const { lines, settings } = await settingsAfterUnlock({});
    expect(lines.join('\n')).not.toContain('will not outlive');
    expect(settings).toMatchObject({ ok: true, value: { secretStore: 'keychain' } });
  });
});
