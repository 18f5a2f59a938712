/**
 * GET /api/device/storage: the figures and deletion alerts the desktop shows beside its
 * account-storage vaults, for a device token (no session, no storage token), always those of the
 * token's own account.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes, type DeviceStorageUsage } from '../../src-shared/http-api';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { accountWithDevice, bearerAuth, rest, sha256, type StorageAccountFixture } from './storage-helpers';

let server: TestAccountServer;
let alice: StorageAccountFixture;
let bob: StorageAccountFixture;

const usage = async (token: string) => {
  const r = await rest(server.url + routes.deviceStorage.path, 'GET', { auth: bearerAuth(token) });
  return { status: r.status, body: JSON.parse(r.body.toString()) as DeviceStorageUsage & { error?: string } };
};

beforeAll(async () => {
  server = await startTestAccountServer();
  alice = await accountWithDevice(server, 'alice');
  bob = await accountWithDevice(server, 'bob');
});
afterAll(() => server.close());

describe('a device reads its account storage figures', () => {
  it("answers the used bytes and the quota of the token's own account", async () => {
    expect(await usage(alice.token)).toEqual({
      status: 200,
      body: { quotaBytes: null, usedBytes: 0, graceDays: 30, deletionAlerts: [] },
    });
    expect((await rest(`${alice.base}?create=true`, 'POST', { auth: bearerAuth(alice.token) })).status).toBe(
      200,
    );
    const blob = Buffer.from('encrypted bytes, as far as the server knows');
    const put = await rest(`${alice.base}data/${sha256(blob)}`, 'POST', {
      auth: bearerAuth(alice.token),
      body: blob,
    });
    expect(put.status).toBe(200);
    const account = server.server.services.accounts.byUsername('alice')!;
    server.server.services.storage.table.setQuota(account.id, 5_000_000);
    const mine = await usage(alice.token);
    // A file counts as at least one 4 KiB block.
    expect(mine.body).toMatchObject({ quotaBytes: 5_000_000, usedBytes: 4096 });
    expect((await usage(bob.token)).body).toMatchObject({ quotaBytes: null, usedBytes: 0 });
  });

  it("answers the account's deletion alerts to its device, not to a storage token or another account", async () => {
    // A key file as restic writes it (the server takes nothing else in keys/).
    const key = Buffer.from(
      JSON.stringify({
        created: new Date().toISOString(),
        username: 'alice',
        hostname: 'laptop',
        kdf: 'scrypt',
        N: 32768,
        r: 8,
        p: 1,
        salt: randomBytes(64).toString('base64'),
        data: randomBytes(128).toString('base64'),
      }),
    );
    const name = sha256(key);
    const server0 = server.server.services;
    const account = server0.accounts.byUsername('alice')!;
    const put = await rest(`${alice.base}keys/${name}`, 'POST', { auth: bearerAuth(alice.token), body: key });
    expect(put.status).toBe(200);
    const del = await rest(`${alice.base}keys/${name}`, 'DELETE', { auth: bearerAuth(alice.token) });
    expect(del.status).toBe(200);

    const mine = await usage(alice.token);
    expect(mine.status).toBe(200);
    expect(mine.body.graceDays).toBe(30);
    expect(mine.body.deletionAlerts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ repository: 'main', kind: 'keys', deletedFiles: 1, device: 'laptop' }),
      ]),
    );
    expect(mine.body.deletionAlerts).toEqual(server0.storage.deletionAlerts(account.id));

    expect((await usage(bob.token)).body.deletionAlerts).toEqual([]);
    const storageToken = server0.sessions.createStorageToken(account.id, 'restic on the NAS', alice.deviceId);
    const refused = await usage(storageToken.token);
    expect(refused.status).toBe(403);
    expect(refused.body.deletionAlerts).toBeUndefined();
  });

  it('refuses without a device token, and a revoked one', async () => {
    const none = await rest(server.url + routes.deviceStorage.path, 'GET');
    expect(none.status).toBe(401);
    const revoke = await rest(server.url + routes.deviceSignOut.path, 'DELETE', {
      auth: bearerAuth(bob.token),
    });
    expect(revoke.status).toBe(204);
    expect((await usage(bob.token)).status).toBe(401);
  });
});
