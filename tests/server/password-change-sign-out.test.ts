/**
 * A password change ends every other sign-in of the account: sessions and device tokens (which
 * reach backup storage), telling them why; only the session that made the change stays.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { ManualClock, PanelClient, bearer } from './helpers';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new password';
let server: TestAccountServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function everySignIn(s: TestAccountServer) {
  const changer = new PanelClient(s.url);
  expect((await changer.signIn('alice', PASSWORD)).status).toBe(200);
  const otherPanel = new PanelClient(s.url);
  expect((await otherPanel.signIn('alice', PASSWORD)).status).toBe(200);
  const desktop = await new PanelClient(s.url).request('POST', '/api/device-sign-in', {
    username: 'alice',
    password: PASSWORD,
    deviceName: 'laptop',
  });
  expect(desktop.status).toBe(200);
  const { sessionToken, deviceToken } = desktop.body as { sessionToken: string; deviceToken: string };
  expect((await bearer(s.url, 'GET', '/api/device/me', deviceToken)).status).toBe(200);
  return { changer, otherPanel, sessionToken, deviceToken };
}

describe('signing out everywhere on a password change', () => {
  it('POST /api/account/password ends the device tokens and other sessions, not the one that changed it', async () => {
    server = await startTestAccountServer({ clock: new ManualClock() });
    await server.createUser('alice', PASSWORD);
    await server.createUser('bob', PASSWORD);
    const bobDesktop = await new PanelClient(server.url).request('POST', '/api/device-sign-in', {
      username: 'bob',
      password: PASSWORD,
      deviceName: 'bob laptop',
    });
    const { changer, otherPanel, sessionToken, deviceToken } = await everySignIn(server);

    const changed = await changer.request('POST', '/api/account/password', {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(changed.status).toBe(204);

    const device = await bearer(server.url, 'GET', '/api/device/me', deviceToken);
    expect([device.status, device.body.error]).toEqual([401, 'password_changed']);
    expect(device.body.message).toMatch(/password/i);
    const desktopSession = await bearer(server.url, 'GET', '/api/account', sessionToken);
    expect([desktopSession.status, desktopSession.body.error]).toEqual([401, 'password_changed']);
    const panel = await otherPanel.request('GET', '/api/account');
    expect([panel.status, panel.body.error]).toEqual([401, 'password_changed']);
    expect((await changer.request('GET', '/api/account')).status).toBe(200);
    expect((await changer.request('GET', '/api/account/devices')).body.devices).toEqual([]);
    // Other accounts keep theirs.
    expect(
      (await bearer(server.url, 'GET', '/api/device/me', bobDesktop.body.deviceToken as string)).status,
    ).toBe(200);
  });

  it('the administrator’s reset-password ends every session and device token of the account', async () => {
    server = await startTestAccountServer({ clock: new ManualClock() });
    await server.createUser('alice', PASSWORD);
    const { changer, otherPanel, sessionToken, deviceToken } = await everySignIn(server);

    await server.server.services.passwords.reset('alice', NEW_PASSWORD);

    expect((await bearer(server.url, 'GET', '/api/device/me', deviceToken)).body.error).toBe(
      'password_changed',
    );
    expect((await bearer(server.url, 'GET', '/api/account', sessionToken)).body.error).toBe(
      'password_changed',
    );
    for (const panel of [changer, otherPanel]) {
      expect((await panel.request('GET', '/api/account')).body.error).toBe('password_changed');
    }
    const fresh = new PanelClient(server.url);
    expect((await fresh.signIn('alice', NEW_PASSWORD)).status).toBe(200);
  });
});
