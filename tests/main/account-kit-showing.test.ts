/**
 * The account recovery kit's key reaches the renderer only while main shows it: once when main
 * made the kit, and again only after the password (and code), checked by the server. A later
 * accountKit:get, as any page script could make it, answers that a kit is pending without the key;
 * saving the kit to a file keeps working. Composed services through the IPC gate against a real
 * account server on loopback with two-factor on.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src-main/compose';
import type { AccountKitPendingView, AccountKitView, AccountView } from '../../src-shared/ipc-contract';
import { startTestAccountServer, totpCode, type TestAccountServer } from '../support/account-server';
import { ManualClock as ServerClock } from '../server/helpers';
import { composeTestServices } from './composed-services';
import { MemorySecretStore, MemorySettingsStore } from './fakes';
import { gateCalls } from './gate-calls';

const PASSWORD = 'correct horse battery';
const RECOVERY_KEY = /^([0-9A-HJKMNP-TV-Z]{4}-){13}[0-9A-HJKMNP-TV-Z]{4}$/;

let server: TestAccountServer;
let clock: ServerClock;
let secret: string;
let tmp: string;
let services: Services;
let gate: ReturnType<typeof gateCalls>;

beforeAll(async () => {
  clock = new ServerClock(Date.now());
  server = await startTestAccountServer({ clock });
  await server.createUser('alice', PASSWORD);
  secret = await server.enableTotp('alice');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-kit-showing-'));
  services = composeTestServices({
    dir: tmp,
    serverUrl: server.url,
    store: new MemorySettingsStore(),
    secrets: new MemorySecretStore(),
  });
  gate = gateCalls(() => services);
});
afterAll(async () => {
  services?.dispose();
  await server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** The next TOTP code: a step later than the last one used. */
function nextCode(): string {
  clock.advance(30_000);
  return totpCode(secret, clock.now());
}

describe('the account recovery kit on screen', { timeout: 120_000 }, () => {
  let shown: AccountKitView;

  it('hands out the recovery key once, at the showing main opened when it made the kit', async () => {
    const view = await gate.call<AccountView>('auth:unlock', {
      username: 'alice',
      password: PASSWORD,
      totp: nextCode(),
    });
    expect(view.accountKey).toMatchObject({ state: 'ready', kitPending: true });
    shown = await gate.call<AccountKitView>('accountKit:get');
    expect(shown.recoveryKey).toMatch(RECOVERY_KEY);
    expect(shown.qrPngDataUrl).toMatch(/^data:image\/png;base64,/);

    // Any later read (a page script, the banner) gets the kit without its key.
    const again = await gate.call<AccountKitPendingView>('accountKit:get');
    expect(again).toEqual({ ...shown, recoveryKey: null, qrPngDataUrl: null });
    expect(JSON.stringify(again)).not.toContain(shown.recoveryKey);
    expect(await gate.call('accountKey:status')).toMatchObject({ kitPending: true });
  });

  it('still saves the kit, with its recovery key, to a file without showing it', async () => {
    const file = path.join(tmp, 'kit.txt');
    expect(await gate.call('accountKit:save', { destinationPath: file })).toEqual({ path: file });
    expect(fs.readFileSync(file, 'utf8')).toContain(shown.recoveryKey);
    expect((await gate.call<AccountKitPendingView>('accountKit:get')).recoveryKey).toBeNull();
  });

  it('shows the key again only after the password and a code, checked by the server', async () => {
    expect(
      await gate.refused('accountKit:showAgain', { password: 'not her password', totp: nextCode() }),
    ).toMatchObject({ code: 'invalid_credentials' });
    expect(await gate.refused('accountKit:showAgain', { password: PASSWORD })).toMatchObject({
      code: expect.stringMatching(/totp_required|invalid_credentials|bad_request/),
    });
    const again = await gate.call<AccountKitView>('accountKit:showAgain', {
      password: PASSWORD,
      totp: nextCode(),
    });
    expect(again).toEqual(shown);
    // That showing was the one: a plain read afterwards has no key again.
    expect((await gate.call<AccountKitPendingView>('accountKit:get')).recoveryKey).toBeNull();
  });

  it('answers a new kit once, from accountKit:new itself', async () => {
    const kit = await gate.call<AccountKitView>('accountKit:new', { password: PASSWORD, totp: nextCode() });
    expect(kit.recoveryKey).toMatch(RECOVERY_KEY);
    expect(kit.recoveryKey).not.toBe(shown.recoveryKey);
    expect((await gate.call<AccountKitPendingView>('accountKit:get')).recoveryKey).toBeNull();
  });

  it('has nothing to show once the kit is confirmed saved', async () => {
    await gate.call('accountKit:confirmSaved');
    expect(await gate.refused('accountKit:get')).toMatchObject({ code: 'not_found' });
    expect(
      await gate.refused('accountKit:showAgain', { password: PASSWORD, totp: nextCode() }),
    ).toMatchObject({ code: 'not_found' });
  });
});
