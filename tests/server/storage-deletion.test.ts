import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepStorage } from '../../src-server/app';
import { reindexStorage } from '../../src-server/storage/reindex';
import { parseSize, setQuotaCommand } from '../../src-server/storage-cli';
import { startTestAccountServer, totpCode, type TestAccountServer } from '../support/account-server';
import { derivedKeys, testKdf } from '../support/derived-keys';
import { ManualClock, PanelClient } from './helpers';
import {
  accountWithDevice,
  basicAuth,
  bearerAuth,
  rest,
  sha256,
  type StorageAccountFixture,
} from './storage-helpers';

const DAY = 24 * 60 * 60 * 1000;
/** The auth key a client derives from `password` with the account's parameters (its own password's). */
const keyOf = async (password: string) =>
  (await derivedKeys(password, testKdf('correct horse battery'))).authKey;
let server: TestAccountServer;
afterEach(async () => {
  await server?.close();
});

async function setup(opts: Parameters<typeof startTestAccountServer>[0] = {}) {
  const clock = new ManualClock();
  server = await startTestAccountServer({ clock, ...opts });
  const alice = await accountWithDevice(server, 'alice');
  await rest(`${alice.base}?create=true`, 'POST', { auth: bearerAuth(alice.token) });
  return { clock, alice };
}

const put = (f: StorageAccountFixture, type: string, data: Buffer) =>
  rest(`${f.base}${type}/${sha256(data)}`, 'POST', { auth: bearerAuth(f.token), body: data });
const del = (f: StorageAccountFixture, type: string, data: Buffer) =>
  rest(`${f.base}${type}/${sha256(data)}`, 'DELETE', { auth: bearerAuth(f.token) });

async function panel(alice: StorageAccountFixture, secret?: string, at?: number): Promise<PanelClient> {
  const client = new PanelClient(server.url);
  const extra: Record<string, string> = secret ? { totp: totpCode(secret, at) } : {};
  expect((await client.signIn(alice.username, alice.password, extra)).status).toBe(200);
  return client;
}

describe('deletion grace', () => {
  it('keeps a file deleted by a device until the grace period ends, then the sweep purges it', async () => {
    const { clock, alice } = await setup({ deletionGraceDays: 30 });
    const data = randomBytes(1000);
    await put(alice, 'data', data);
    await del(alice, 'data', data);
    const key = `alice/main/data/${sha256(data).slice(0, 2)}/${sha256(data)}`;
    clock.advance(30 * DAY - 1);
    expect(await sweepStorage(server.server.services)).toBe(0);
    expect(await server.server.services.storage.store.stat(key)).toEqual({ size: 1000 });
    clock.advance(1);
    expect(await sweepStorage(server.server.services)).toBe(1);
    expect(await server.server.services.storage.store.stat(key)).toBeNull();
    const client = await panel(alice);
    const detail = await client.request('GET', '/api/account/storage/repositories/main');
    expect(detail.body.recentlyDeleted).toEqual([]);
  });

  it('shows recently deleted files in the panel (when, which device) and restores them', async () => {
    const { alice } = await setup();
    const snap = randomBytes(200);
    await put(alice, 'snapshots', snap);
    await del(alice, 'snapshots', snap);
    const client = await panel(alice);
    const detail = await client.request('GET', '/api/account/storage/repositories/main');
    expect(detail.status).toBe(200);
    expect(detail.body.recentlyDeleted).toEqual([
      expect.objectContaining({ type: 'snapshots', name: sha256(snap), deletedBy: 'laptop', sizeBytes: 200 }),
    ]);
    expect(detail.body.snapshots[0]).toEqual(
      expect.objectContaining({ id: sha256(snap), writtenBy: 'laptop', deletedAt: expect.any(String) }),
    );
    const restored = await client.request('POST', '/api/account/storage/repositories/main/restore', {});
    expect(restored.body).toEqual({ count: 1 });
    const again = await rest(`${alice.base}snapshots/${sha256(snap)}`, 'GET', {
      auth: bearerAuth(alice.token),
    });
    expect(again.body.equals(snap)).toBe(true);
  });

  it('deletes for good only with the password (its auth key) and a current code in a fresh session', async () => {
    const { clock, alice } = await setup();
    const data = randomBytes(100);
    await put(alice, 'index', data);
    await del(alice, 'index', data);
    const path = '/api/account/storage/repositories/main/purge';

    // Without two-factor on: refused.
    let client = await panel(alice);
    expect(
      (await client.request('POST', path, { authKey: await keyOf(alice.password), code: '123456' })).body
        .error,
    ).toBe('totp_not_enabled');

    const secret = await server.enableTotp('alice');
    client = await panel(alice, secret, clock.now());
    clock.advance(30_000);
    expect((await client.request('POST', path, { authKey: await keyOf(alice.password) })).status).toBe(400);
    expect(
      (
        await client.request('POST', path, {
          authKey: await keyOf('wrong password'),
          code: totpCode(secret, clock.now()),
        })
      ).status,
    ).toBe(401);
    clock.advance(30_000);
    expect(
      (await client.request('POST', path, { authKey: await keyOf(alice.password), code: '000000' })).status,
    ).toBe(401);

    // A session older than 15 minutes must sign in again first, even with the right answers.
    clock.advance(16 * 60 * 1000);
    await client.request('GET', '/api/session');
    const stale = await client.request('POST', path, {
      authKey: await keyOf(alice.password),
      code: totpCode(secret, clock.now()),
    });
    expect(stale.body.error).toBe('reauthentication_required');
    const repoRow = () => {
      const { storage, accounts } = server.server.services;
      return storage.table.listDeleted(storage.table.findRepo(accounts.byUsername('alice')!.id, 'main')!.id);
    };
    expect(repoRow()).toHaveLength(1);

    clock.advance(30_000);
    client = await panel(alice, secret, clock.now());
    clock.advance(30_000);
    const ok = await client.request('POST', path, {
      authKey: await keyOf(alice.password),
      code: totpCode(secret, clock.now()),
    });
    expect(ok.body).toEqual({ count: 1 });
    expect(repoRow()).toHaveLength(0);
    expect(await server.server.services.storage.store.stat(`alice/main/index/${sha256(data)}`)).toBeNull();
    const audit = await client.request('GET', '/api/account/audit');
    expect(audit.body.events.map((e: { kind: string }) => e.kind)).toContain('storage_purged');
  });

  it('records a burst of deletions (over half the bytes in a day) in the audit log and the overview', async () => {
    const { alice } = await setup();
    const files = [randomBytes(1000), randomBytes(1000), randomBytes(1000)];
    for (const f of files) await put(alice, 'data', f);
    await del(alice, 'data', files[0]!);
    const client = await panel(alice);
    expect((await client.request('GET', '/api/account/storage')).body.deletionAlerts).toEqual([]);
    await del(alice, 'data', files[1]!);
    const overview = await client.request('GET', '/api/account/storage');
    expect(overview.body.deletionAlerts).toEqual([
      expect.objectContaining({
        repository: 'main',
        deletedBytes: 2000,
        repositoryBytes: 3000,
        device: 'laptop',
      }),
    ]);
    const audit = await client.request('GET', '/api/account/audit');
    expect(audit.body.events[0]).toEqual(
      expect.objectContaining({ kind: 'storage_deletion_burst', device: 'laptop' }),
    );
  });
});

describe('quotas', () => {
  it('answers 507 when the announced size would pass the quota, and counts recently deleted bytes', async () => {
    const { alice } = await setup();
    setQuotaCommand(server.server.services, 'alice', '30000');
    expect((await put(alice, 'data', randomBytes(20000))).status).toBe(200);
    const over = randomBytes(15000);
    expect((await put(alice, 'data', over)).status).toBe(507);
    const fits = randomBytes(10000);
    expect((await put(alice, 'data', fits)).status).toBe(200);
    await del(alice, 'data', fits);
    expect((await put(alice, 'data', randomBytes(10))).status).toBe(507);
    const client = await panel(alice);
    const overview = await client.request('GET', '/api/account/storage');
    expect(overview.body).toEqual(expect.objectContaining({ quotaBytes: 30000, usedBytes: 30000 }));
  });

  it('refuses parallel uploads that together would pass the quota', async () => {
    const { alice } = await setup({ defaultQuotaBytes: 50000 });
    const bodies = Array.from({ length: 4 }, () => randomBytes(20000));
    const results = await Promise.all(bodies.map((b) => put(alice, 'data', b)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(2);
    expect(results.filter((r) => r.status === 507)).toHaveLength(2);
  });

  it('parses quota sizes and refuses nonsense naming the field', () => {
    expect(parseSize('50G', 'SIZE')).toBe(50 * 1024 ** 3);
    expect(parseSize('500MB', 'SIZE')).toBe(500_000_000);
    expect(parseSize('none', 'SIZE')).toBeNull();
    expect(() => parseSize('lots', 'SIZE')).toThrow(/SIZE: not a size/);
  });
});

describe('storage tokens, job reports and reindex', () => {
  it('creates a storage token shown once, usable by restic-style Basic auth, listed apart from devices, revocable', async () => {
    const { alice } = await setup();
    const client = await panel(alice);
    const created = await client.request('POST', '/api/account/storage-tokens', { name: 'nas restic' });
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    expect((await rest(`${alice.base}keys/`, 'GET', { auth: basicAuth('alice', token) })).status).toBe(200);
    const list = await client.request('GET', '/api/account/storage-tokens');
    expect(list.body.tokens).toEqual([expect.objectContaining({ id: created.body.id, name: 'nas restic' })]);
    expect(JSON.stringify(list.body)).not.toContain(token);
    const devices = await client.request('GET', '/api/account/devices');
    expect(devices.body.devices.map((d: { name: string }) => d.name)).toEqual(['laptop']);
    expect((await client.request('DELETE', `/api/account/storage-tokens/${created.body.id}`)).status).toBe(
      204,
    );
    expect((await rest(`${alice.base}keys/`, 'GET', { auth: basicAuth('alice', token) })).status).toBe(401);
  });

  it('takes job reports from a device token and lists them per device; refuses file names and sessions', async () => {
    const { alice } = await setup();
    const report = {
      item: 'Documents',
      kind: 'backup',
      status: 'succeeded',
      startedAt: '2026-01-01T12:00:00.000Z',
      durationMs: 61_000,
      filesProcessed: 120,
      filesNew: 3,
      filesChanged: 2,
      errors: 0,
      bytesProcessed: 1_000_000,
      bytesAdded: 20_000,
    };
    const post = (body: unknown, token = alice.token) =>
      fetch(`${server.url}/api/device/job-reports`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post(report)).status).toBe(201);
    expect((await post({ ...report, files: ['/home/alice/secret.txt'] })).status).toBe(400);
    expect((await post({ ...report, durationMs: -1 })).status).toBe(400);
    const client = await panel(alice);
    const sessionPost = await client.request('POST', '/api/device/job-reports', report);
    expect(sessionPost.status).toBe(401);
    const list = await client.request('GET', '/api/account/job-reports');
    expect(list.body.devices).toEqual([
      expect.objectContaining({
        deviceName: 'laptop',
        reports: [expect.objectContaining({ ...report, receivedAt: expect.any(String) })],
      }),
    ]);
  });

  it('rebuilds the object table from the store, keeping recently deleted marks', async () => {
    const { clock, alice } = await setup();
    const a = randomBytes(100);
    const b = randomBytes(200);
    await put(alice, 'data', a);
    await put(alice, 'snapshots', b);
    await del(alice, 'snapshots', b);
    const { storage, accounts, db } = server.server.services;
    db.prepare("DELETE FROM storage_objects WHERE type = 'data'").run();
    const listData = async () => {
      const files = [];
      for await (const page of storage.list(
        { id: accounts.byUsername('alice')!.id, username: 'alice' },
        'main',
        'data',
      ))
        files.push(...page);
      return files;
    };
    expect(await listData()).toEqual([]);
    const result = await reindexStorage(storage, accounts, clock);
    expect(result).toEqual(expect.objectContaining({ objects: 2, added: 1, dropped: 0 }));
    expect(await listData()).toEqual([{ name: sha256(a), size: 100 }]);
    const repo = storage.table.findRepo(accounts.byUsername('alice')!.id, 'main')!;
    expect(storage.table.get(repo.id, 'snapshots', sha256(b))?.deleted_at).not.toBeNull();
  });
});
