/**
 * A password change ends every other sign-in of the account: sessions, device tokens and storage
 * tokens (which reach backup storage), telling them why; only the session that made the change
 * stays. The change itself happens in the app (a bearer session): the AMK is re-wrapped by the
 * new password.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { derivedKeys, testKdf } from '../support/derived-keys';
import { ManualClock, PanelClient, bearer } from './helpers';
import { desktopSignIn, passwordWrap, withAccountKey } from './key-helpers';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new password';
let server: TestAccountServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function everySignIn(s: TestAccountServer) {
  const { desktop: changer, keys, generation } = await withAccountKey(s.url, 'alice', PASSWORD);
  const otherPanel = new PanelClient(s.url);
  expect((await otherPanel.signIn('alice', PASSWORD)).status).toBe(200);
  const other = await desktopSignIn(s.url, 'alice', PASSWORD);
  expect((await bearer(s.url, 'GET', '/api/device/me', other.deviceToken!)).status).toBe(200);
  const account = s.server.services.accounts.byUsername('alice')!;
  const storage = s.server.services.sessions.createStorageToken(account.id, 'restic', null);
  return { changer, keys, generation, otherPanel, other, storageToken: storage.token };
}

describe('signing out everywhere on a password change', () => {
  it('POST /api/account/password ends the device and storage tokens and other sessions, not the one that changed it', async () => {
    server = await startTestAccountServer({ clock: new ManualClock() });
    await server.createUser('alice', PASSWORD);
    await server.createUser('bob', PASSWORD);
    const bob = await desktopSignIn(server.url, 'bob', PASSWORD);
    const { changer, keys, generation, otherPanel, other, storageToken } = await everySignIn(server);

    const kdf = testKdf(NEW_PASSWORD);
    const changed = await bearer(server.url, 'POST', '/api/account/password', changer.sessionToken, {
      currentAuthKey: (await derivedKeys(PASSWORD, testKdf(PASSWORD))).authKey,
      generation,
      kdf,
      authKey: (await derivedKeys(NEW_PASSWORD, kdf)).authKey,
      passwordWrap: await passwordWrap(keys, NEW_PASSWORD, kdf, {
        accountUid: changer.keys.accountUid,
        generation: generation + 1,
      }),
    });
    expect([changed.status, changed.body]).toEqual([200, { generation: generation + 1 }]);

    const device = await bearer(server.url, 'GET', '/api/device/me', other.deviceToken!);
    expect([device.status, device.body.error]).toEqual([401, 'password_changed']);
    expect(device.body.message).toMatch(/password/i);
    const desktopSession = await bearer(server.url, 'GET', '/api/account', other.sessionToken);
    expect([desktopSession.status, desktopSession.body.error]).toEqual([401, 'password_changed']);
    const panel = await otherPanel.request('GET', '/api/account');
    expect([panel.status, panel.body.error]).toEqual([401, 'password_changed']);
    const storage = await fetch(`${server.url}/storage/alice/main/config`, {
      headers: { authorization: `Bearer ${storageToken}` },
    });
    expect(storage.status).toBe(401);
    expect((await bearer(server.url, 'GET', '/api/account', changer.sessionToken)).status).toBe(200);
    expect(
      (await bearer(server.url, 'GET', '/api/account/devices', changer.sessionToken)).body.devices,
    ).toEqual([]);
    // The new password signs in; the old one no longer does. Other accounts keep theirs.
    expect((await new PanelClient(server.url).signIn('alice', NEW_PASSWORD)).status).toBe(200);
    expect((await new PanelClient(server.url).signIn('alice', PASSWORD)).status).toBe(401);
    expect((await bearer(server.url, 'GET', '/api/device/me', bob.deviceToken!)).status).toBe(200);
  });

  it('is refused to the panel (use_the_app): the panel never wraps the account key', async () => {
    server = await startTestAccountServer({ clock: new ManualClock() });
    await server.createUser('alice', PASSWORD);
    const panel = new PanelClient(server.url);
    await panel.signIn('alice', PASSWORD);
    const kdf = testKdf(NEW_PASSWORD);
    const answer = await panel.request('POST', '/api/account/password', {
      currentAuthKey: (await derivedKeys(PASSWORD, testKdf(PASSWORD))).authKey,
      generation: 1,
      kdf,
      authKey: (await derivedKeys(NEW_PASSWORD, kdf)).authKey,
      passwordWrap: { kind: 'password', generation: 2, kdf, sealed: `v1.${'A'.repeat(60)}` },
    });
    expect([answer.status, answer.body.error]).toEqual([403, 'use_the_app']);
  });

  it('the administrator’s reset-password ends every session, device and storage token of the account', async () => {
    server = await startTestAccountServer({ clock: new ManualClock() });
    await server.createUser('alice', PASSWORD);
    const { changer, otherPanel, other, storageToken } = await everySignIn(server);

    const kdf = testKdf(NEW_PASSWORD);
    server.server.services.passwords.reset('alice', kdf, (await derivedKeys(NEW_PASSWORD, kdf)).authKey, {
      resetTotp: false,
    });

    for (const token of [other.deviceToken!, storageToken]) {
      expect((await bearer(server.url, 'GET', '/api/device/me', token)).body.error).toBe('password_changed');
    }
    for (const token of [changer.sessionToken, other.sessionToken]) {
      expect((await bearer(server.url, 'GET', '/api/account', token)).body.error).toBe('password_changed');
    }
    expect((await otherPanel.request('GET', '/api/account')).body.error).toBe('password_changed');
    const fresh = new PanelClient(server.url);
    const signIn = await fresh.signIn('alice', NEW_PASSWORD);
    expect([signIn.status, signIn.body.keys.passwordChangeRequired]).toEqual([200, true]);
  });
});
