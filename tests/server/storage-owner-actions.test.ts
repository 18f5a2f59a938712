/**
 * What the owner does to a repository from the panel: sees its key files as their format names
 * them and its lock files, removes one (a fresh sign-in and, with two-factor on, the code), deletes
 * the whole repository into recently deleted (the password again, and the code), and without
 * two-factor has its deleted files purged a day after asking, unless it cancels.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepStorage } from '../../src-server/app';
import { startTestAccountServer, totpCode, type TestAccountServer } from '../support/account-server';
import { derivedKeys, testKdf } from '../support/derived-keys';
import { ManualClock, PanelClient, bearer } from './helpers';
import { accountWithDevice, bearerAuth, rest, sha256, type StorageAccountFixture } from './storage-helpers';

const DAY = 24 * 60 * 60 * 1000;
const MINUTE = 60_000;
const keyOf = async (password: string) =>
  (await derivedKeys(password, testKdf('correct horse battery'))).authKey;
let server: TestAccountServer;
afterEach(async () => {
  await server?.close();
});

async function setup() {
  const clock = new ManualClock();
  server = await startTestAccountServer({ clock });
  const alice = await accountWithDevice(server, 'alice');
  await rest(`${alice.base}?create=true`, 'POST', { auth: bearerAuth(alice.token) });
  return { clock, alice };
}

const b64 = (n: number) => randomBytes(n).toString('base64');
const resticKey = (hostname: string) =>
  JSON.stringify({
    created: '2026-03-01T10:00:00.123456789+01:00',
    username: 'alice',
    hostname,
    kdf: 'scrypt',
    N: 32768,
    r: 8,
    p: 1,
    salt: b64(64),
    data: b64(128),
  });
const hexName = () => sha256(randomBytes(16));
const upload = (f: StorageAccountFixture, path: string, body: Buffer) =>
  rest(`${f.base}${path}`, 'POST', { auth: bearerAuth(f.token), body });
const status = async (f: StorageAccountFixture, path: string) =>
  (await rest(`${f.base}${path}`, 'HEAD', { auth: bearerAuth(f.token) })).status;

async function panel(alice: StorageAccountFixture, secret?: string, at?: number): Promise<PanelClient> {
  const client = new PanelClient(server.url);
  const extra: Record<string, string> = secret ? { totp: totpCode(secret, at) } : {};
  expect((await client.signIn(alice.username, alice.password, extra)).status).toBe(200);
  return client;
}

const filesPath = '/api/account/storage/repositories/main/files';

describe('key and lock files in the panel', () => {
  it('lists key files with their kind, host, user and creation time, and says when there are more', async () => {
    const { alice } = await setup();
    const key = hexName();
    expect((await upload(alice, `keys/${key}`, Buffer.from(resticKey('nas')))).status).toBe(200);
    const lock = hexName();
    expect((await upload(alice, `locks/${lock}`, randomBytes(300))).status).toBe(200);
    // Key files stored before the server checked them: put straight into the store and the table.
    const { storage, accounts } = server.server.services;
    const account = accounts.byUsername('alice')!;
    const repo = storage.table.findRepo(account.id, 'main')!;
    const storeRaw = async (name: string, bytes: Buffer) => {
      await storage.store.putIfAbsent(`alice/main/keys/${name}`, Readable.from([bytes]), {
        size: bytes.length,
      });
      storage.table.insert({
        repo_id: repo.id,
        type: 'keys',
        name,
        size: bytes.length,
        created_at: 0,
        writer_id: null,
        writer_name: null,
      });
    };
    const garbage = 'f'.repeat(64);
    const empty = '0'.repeat(64);
    const huge = 'e'.repeat(64);
    await storeRaw(garbage, Buffer.from('garbage'));
    await storeRaw(empty, Buffer.alloc(0));
    await storeRaw(huge, randomBytes(20_000));

    const client = await panel(alice);
    const files = await client.request('GET', filesPath);
    expect(files.status).toBe(200);
    expect(files.body.keyFilesTotal).toBe(4);
    expect(files.body.keys).toHaveLength(4);
    expect(files.body.keys).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: key,
          kind: 'restic',
          host: 'nas',
          username: 'alice',
          created: '2026-03-01T10:00:00.123456789+01:00',
          writtenBy: 'laptop',
          problem: null,
        }),
        expect.objectContaining({
          name: garbage,
          kind: 'unreadable',
          host: null,
          problem: expect.stringMatching(/not JSON/),
        }),
        expect.objectContaining({
          name: empty,
          kind: 'unreadable',
          problem: expect.stringMatching(/not JSON/),
        }),
        expect.objectContaining({
          name: huge,
          kind: 'unreadable',
          problem: expect.stringMatching(/larger than 16384 bytes/),
        }),
      ]),
    );
    expect(files.body.locks).toEqual([expect.objectContaining({ name: lock, sizeBytes: 300 })]);
    expect(files.body.lockFilesTotal).toBe(1);

    // More than the panel reads (only a repository from before the limit can have them).
    for (let i = 0; i < 20; i++) await storeRaw(hexName(), Buffer.from('{}'));
    const many = await client.request('GET', filesPath);
    expect(many.body.keys).toHaveLength(20);
    expect(many.body.keyFilesTotal).toBe(24);
  });

  it('removes a live key file (into recently deleted) or lock file only in a fresh session with the code', async () => {
    const { clock, alice } = await setup();
    const key = hexName();
    await upload(alice, `keys/${key}`, Buffer.from(resticKey('stolen token')));
    const lock = hexName();
    await upload(alice, `locks/${lock}`, randomBytes(300));
    const secret = await server.enableTotp('alice');
    const client = await panel(alice, secret, clock.now());
    const path = '/api/account/storage/repositories/main/remove-file';
    clock.advance(30_000);

    const noCode = await client.request('POST', path, { type: 'keys', name: key });
    expect([noCode.status, noCode.body.error]).toEqual([401, 'totp_required']);
    // A device token is not the owner's session.
    expect((await bearer(server.url, 'POST', path, alice.token, { type: 'keys', name: key })).status).toBe(
      403,
    );
    expect(await status(alice, `keys/${key}`)).toBe(200);

    const removed = await client.request('POST', path, {
      type: 'keys',
      name: key,
      code: totpCode(secret, clock.now()),
    });
    expect([removed.status, removed.body]).toEqual([200, { count: 1 }]);
    expect(await status(alice, `keys/${key}`)).toBe(404);
    const detail = await client.request('GET', '/api/account/storage/repositories/main');
    expect(detail.body.recentlyDeleted).toEqual([
      expect.objectContaining({ type: 'keys', name: key, deletedBy: 'web panel' }),
    ]);
    // The owner's act is in the audit log, not a deletion alert.
    expect((await client.request('GET', '/api/account/storage')).body.deletionAlerts).toEqual([]);
    const kinds = (await client.request('GET', '/api/account/audit')).body.events.map(
      (e: { kind: string }) => e.kind,
    );
    expect(kinds).toContain('storage_file_removed');

    // Sixteen minutes on, the session is no longer fresh, whatever the code.
    clock.advance(16 * MINUTE);
    const stale = await client.request('POST', path, {
      type: 'locks',
      name: lock,
      code: totpCode(secret, clock.now()),
    });
    expect(stale.body.error).toBe('reauthentication_required');
    const fresh = await panel(alice, secret, clock.now());
    clock.advance(30_000);
    const lockGone = await fresh.request('POST', path, {
      type: 'locks',
      name: lock,
      code: totpCode(secret, clock.now()),
    });
    expect(lockGone.body).toEqual({ count: 1 });
    expect(await status(alice, `locks/${lock}`)).toBe(404);
    // A lock holds no backup data: gone, not kept as recently deleted.
    expect(
      (await fresh.request('GET', '/api/account/storage/repositories/main')).body.recentlyDeleted,
    ).toEqual([expect.objectContaining({ type: 'keys' })]);
  });
});

describe('deleting a whole repository', () => {
  it('needs the password again (its auth key) and the code, and is restorable', async () => {
    const { clock, alice } = await setup();
    const data = randomBytes(5000);
    await upload(alice, 'config', randomBytes(100));
    await upload(alice, `data/${sha256(data)}`, data);
    const secret = await server.enableTotp('alice');
    const client = await panel(alice, secret, clock.now());
    const path = '/api/account/storage/repositories/main/delete';
    clock.advance(30_000);

    const wrong = await client.request('POST', path, {
      authKey: await keyOf('not the password'),
      code: totpCode(secret, clock.now()),
    });
    expect([wrong.status, wrong.body.error]).toEqual([401, 'invalid_credentials']);
    const noCode = await client.request('POST', path, { authKey: await keyOf(alice.password) });
    expect(noCode.body.error).toBe('totp_required');
    expect(await status(alice, 'config')).toBe(200);

    clock.advance(30_000);
    const done = await client.request('POST', path, {
      authKey: await keyOf(alice.password),
      code: totpCode(secret, clock.now()),
    });
    expect([done.status, done.body]).toEqual([200, { count: 2 }]);
    expect(await status(alice, 'config')).toBe(404);
    const overview = await client.request('GET', '/api/account/storage');
    expect(overview.body.repositories).toEqual([
      expect.objectContaining({ name: 'main', deletedAt: expect.any(String), recentlyDeletedCount: 2 }),
    ]);

    const restored = await client.request('POST', '/api/account/storage/repositories/main/restore', {});
    expect(restored.body).toEqual({ count: 2 });
    expect(await status(alice, `data/${sha256(data)}`)).toBe(200);
    expect((await client.request('GET', '/api/account/storage')).body.repositories[0].deletedAt).toBeNull();
  });

  it('without two-factor, takes the password alone', async () => {
    const { alice } = await setup();
    await upload(alice, 'config', randomBytes(100));
    const client = await panel(alice);
    const done = await client.request('POST', '/api/account/storage/repositories/main/delete', {
      authKey: await keyOf(alice.password),
    });
    expect(done.body).toEqual({ count: 1 });
  });
});

describe('a purge without two-factor', () => {
  it('runs a day after the owner asked, on the files deleted by then, unless cancelled', async () => {
    const { clock, alice } = await setup();
    const early = randomBytes(3000);
    await upload(alice, `data/${sha256(early)}`, early);
    await rest(`${alice.base}data/${sha256(early)}`, 'DELETE', { auth: bearerAuth(alice.token) });
    const client = await panel(alice);
    const path = '/api/account/storage/repositories/main/purge-later';
    const detailPath = '/api/account/storage/repositories/main';

    const wrong = await client.request('POST', path, { authKey: await keyOf('not the password') });
    expect(wrong.body.error).toBe('invalid_credentials');
    const asked = await client.request('POST', path, { authKey: await keyOf(alice.password) });
    expect([asked.status, asked.body]).toEqual([201, { dueAt: new Date(clock.now() + DAY).toISOString() }]);
    expect((await client.request('GET', detailPath)).body.pendingPurges).toEqual([
      { requestedAt: new Date(clock.now()).toISOString(), dueAt: asked.body.dueAt },
    ]);

    const cancelled = await client.request('DELETE', path);
    expect(cancelled.body).toEqual({ count: 1 });
    clock.advance(DAY + 1);
    await sweepStorage(server.server.services);
    // Sessions do not last a day: each look after one is a new sign-in.
    const detail = async () => (await (await panel(alice)).request('GET', detailPath)).body;
    expect((await detail()).recentlyDeleted).toHaveLength(1);

    // Asked again, then a file deleted after asking keeps its grace period.
    const again = await panel(alice);
    expect((await again.request('POST', path, { authKey: await keyOf(alice.password) })).status).toBe(201);
    clock.advance(MINUTE);
    const late = randomBytes(3000);
    await upload(alice, `data/${sha256(late)}`, late);
    await rest(`${alice.base}data/${sha256(late)}`, 'DELETE', { auth: bearerAuth(alice.token) });
    clock.advance(DAY - 2 * MINUTE);
    await sweepStorage(server.server.services);
    expect((await detail()).recentlyDeleted).toHaveLength(2);
    clock.advance(MINUTE);
    await sweepStorage(server.server.services);
    const after = await detail();
    expect(after.recentlyDeleted).toEqual([expect.objectContaining({ name: sha256(late) })]);
    expect(after.pendingPurges).toEqual([]);
  });

  it('needs a fresh session', async () => {
    const { clock, alice } = await setup();
    const client = await panel(alice);
    clock.advance(16 * MINUTE);
    const stale = await client.request('POST', '/api/account/storage/repositories/main/purge-later', {
      authKey: await keyOf(alice.password),
    });
    expect(stale.body.error).toBe('reauthentication_required');
  });
});
