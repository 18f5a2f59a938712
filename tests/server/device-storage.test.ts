/**
 * GET /api/device/storage: the figures the desktop shows beside its account-storage vaults, for a
 * device token (no session), always those of the token's own account.
 */
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
    expect(await usage(alice.token)).toEqual({ status: 200, body: { quotaBytes: null, usedBytes: 0 } });
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
    expect(mine.body).toEqual({ quotaBytes: 5_000_000, usedBytes: 4096 });
    expect((await usage(bob.token)).body).toEqual({ quotaBytes: null, usedBytes: 0 });
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
