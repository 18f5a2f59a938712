/**
 * Names people read in the panel and the app never carry control characters or Unicode's
 * text-direction controls: a device or token named "laptop\u202Egnp.exe" would read as another
 * name. Device and token names are refused where they enter; repository names were always plain
 * letters, digits and `._-`, so a path with such a name reaches no repository.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deviceSignInBody, startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { PanelClient, bearer } from './helpers';
import { accountWithDevice, bearerAuth, rest } from './storage-helpers';

const PASSWORD = 'correct horse battery';
const UNSAFE = [
  'laptop\u202Egnp.exe',
  'a\u2066b\u2069',
  'left\u200Fmark',
  'line\nbreak',
  'bell\u0007',
  'c1\u0085',
];
let server: TestAccountServer;
afterEach(async () => {
  await server?.close();
});

describe('names with control or text-direction characters', () => {
  it('are refused as device names at device sign-in, with words', async () => {
    server = await startTestAccountServer();
    await server.createUser('alice', PASSWORD);
    for (const name of UNSAFE) {
      const answer = await fetch(`${server.url}/api/device-sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(await deviceSignInBody(server.url, 'alice', PASSWORD, name)),
      });
      const body = (await answer.json()) as { error: string; message: string };
      expect([JSON.stringify(name), answer.status, body.error]).toEqual([
        JSON.stringify(name),
        400,
        'bad_request',
      ]);
      expect(body.message).toMatch(/text-direction/);
    }
    const plain = await fetch(`${server.url}/api/device-sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(await deviceSignInBody(server.url, 'alice', PASSWORD, 'Lapτop – Zoë’s')),
    });
    expect(plain.status).toBe(200);
  });

  it('are refused as storage token names and as a registered device’s name', async () => {
    server = await startTestAccountServer();
    await server.createUser('alice', PASSWORD);
    const client = new PanelClient(server.url);
    await client.signIn('alice', PASSWORD);
    for (const name of UNSAFE) {
      const made = await client.request('POST', '/api/account/storage-tokens', { name });
      expect([made.status, made.body.error]).toEqual([400, 'bad_request']);
    }
    expect((await client.request('GET', '/api/account/storage-tokens')).body.tokens).toEqual([]);
    const desktop = await fetch(`${server.url}/api/device-sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(await deviceSignInBody(server.url, 'alice', PASSWORD)),
    });
    const { sessionToken } = (await desktop.json()) as { sessionToken: string };
    const registered = await bearer(server.url, 'POST', '/api/account/devices', sessionToken, {
      deviceName: UNSAFE[0],
    });
    expect([registered.status, registered.body.error]).toEqual([400, 'bad_request']);
  });

  it('reach no repository as a repository name', async () => {
    server = await startTestAccountServer();
    const alice = await accountWithDevice(server, 'alice');
    const base = `${server.url}/storage/alice/`;
    const created = await rest(`${base}${encodeURIComponent('main\u202Etxt')}/?create=true`, 'POST', {
      auth: bearerAuth(alice.token),
    });
    expect(created.status).toBeGreaterThanOrEqual(400);
    expect(
      server.server.services.storage.listRepos(server.server.services.accounts.byUsername('alice')!.id),
    ).toEqual([]);
  });
});
