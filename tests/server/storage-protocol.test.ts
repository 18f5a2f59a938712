import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import {
  accountWithDevice,
  basicAuth,
  bearerAuth,
  rest,
  sha256,
  type StorageAccountFixture,
} from './storage-helpers';

const V2 = 'application/vnd.x.restic.rest.v2';
const V1 = 'application/vnd.x.restic.rest.v1';

let server: TestAccountServer;
let alice: StorageAccountFixture;
let bob: StorageAccountFixture;

beforeAll(async () => {
  server = await startTestAccountServer();
  alice = await accountWithDevice(server, 'alice');
  bob = await accountWithDevice(server, 'bob');
  expect((await rest(`${alice.base}?create=true`, 'POST', { auth: bearerAuth(alice.token) })).status).toBe(
    200,
  );
});
afterAll(() => server.close());

const put = (f: StorageAccountFixture, path: string, body: Buffer, auth = bearerAuth(f.token)) =>
  rest(f.base + path, 'POST', { auth, body, headers: { 'content-type': 'application/octet-stream' } });

describe('the REST protocol (v2) under /storage/<user>/<repo>/', () => {
  it('creates a repository only with POST ?create=true, and says 404 for one that does not exist', async () => {
    expect(
      (await rest(`${server.url}/storage/alice/other/`, 'POST', { auth: bearerAuth(alice.token) })).status,
    ).toBe(400);
    expect(
      (await rest(`${server.url}/storage/alice/other/keys/`, 'GET', { auth: bearerAuth(alice.token) }))
        .status,
    ).toBe(404);
    expect(
      (await rest(`${server.url}/storage/alice/other/config`, 'HEAD', { auth: bearerAuth(alice.token) }))
        .status,
    ).toBe(404);
    expect(
      (await rest(`${server.url}/storage/alice/main/`, 'GET', { auth: bearerAuth(alice.token) })).status,
    ).toBe(405);
  });

  it('stores config once: HEAD/GET answer it, a second POST is refused with 403', async () => {
    const config = randomBytes(200);
    expect((await rest(`${alice.base}config`, 'HEAD', { auth: bearerAuth(alice.token) })).status).toBe(404);
    expect((await put(alice, 'config', config)).status).toBe(200);
    const head = await rest(`${alice.base}config`, 'HEAD', { auth: bearerAuth(alice.token) });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('200');
    const got = await rest(`${alice.base}config`, 'GET', { auth: bearerAuth(alice.token) });
    expect(got.status).toBe(200);
    expect(got.body.equals(config)).toBe(true);
    expect((await put(alice, 'config', randomBytes(200))).status).toBe(403);
    expect(
      (await rest(`${alice.base}config`, 'GET', { auth: bearerAuth(alice.token) })).body.equals(config),
    ).toBe(true);
  });

  it('stores content-addressed files, never overwrites one, and refuses a body whose SHA-256 is not its name', async () => {
    const data = randomBytes(5000);
    const name = sha256(data);
    expect((await put(alice, `data/${name}`, data)).status).toBe(200);
    // Other bytes under a name that is taken: their hash is not the name.
    expect((await put(alice, `data/${name}`, randomBytes(5000))).status).toBe(400);
    expect((await put(alice, `data/${name}`, randomBytes(10))).status).toBe(403);
    expect(
      (await rest(`${alice.base}data/${name}`, 'GET', { auth: bearerAuth(alice.token) })).body.equals(data),
    ).toBe(true);
    const other = randomBytes(5000);
    const mismatch = await put(alice, `data/${sha256(randomBytes(10))}`, other);
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.toString()).toMatch(/SHA-256/);
    const listed = await rest(`${alice.base}data/`, 'GET', { auth: bearerAuth(alice.token) });
    expect(JSON.parse(listed.body.toString())).toEqual([name]);
  });

  it('needs Content-Length on uploads (411 without it)', async () => {
    const data = randomBytes(100);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(data);
        controller.close();
      },
    });
    const response = await fetch(`${alice.base}index/${sha256(data)}`, {
      method: 'POST',
      headers: { authorization: bearerAuth(alice.token) },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(411);
  });

  it('lists v1 by default and v2 (names and sizes, v2 content type) when asked; [] for an empty folder', async () => {
    const a = randomBytes(10);
    const b = randomBytes(20);
    await put(alice, `snapshots/${sha256(a)}`, a);
    await put(alice, `snapshots/${sha256(b)}`, b);
    const v1 = await rest(`${alice.base}snapshots/`, 'GET', { auth: bearerAuth(alice.token) });
    expect(v1.headers.get('content-type')).toBe(V1);
    expect(JSON.parse(v1.body.toString()).sort()).toEqual([sha256(a), sha256(b)].sort());
    const v2 = await rest(`${alice.base}snapshots/`, 'GET', {
      auth: bearerAuth(alice.token),
      headers: { accept: V2 },
    });
    expect(v2.headers.get('content-type')).toBe(V2);
    expect(
      JSON.parse(v2.body.toString()).sort((x: { size: number }, y: { size: number }) => x.size - y.size),
    ).toEqual([
      { name: sha256(a), size: 10 },
      { name: sha256(b), size: 20 },
    ]);
    const empty = await rest(`${alice.base}locks/`, 'GET', {
      auth: bearerAuth(alice.token),
      headers: { accept: V2 },
    });
    expect(empty.status).toBe(200);
    expect(JSON.parse(empty.body.toString())).toEqual([]);
  });

  it('answers Range requests with 206 and the bytes asked for, 416 past the end, 404 for a missing file', async () => {
    const data = randomBytes(10_000);
    const name = sha256(data);
    await put(alice, `data/${name}`, data);
    const part = await rest(`${alice.base}data/${name}`, 'GET', {
      auth: bearerAuth(alice.token),
      headers: { range: 'bytes=100-199' },
    });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/10000');
    expect(part.body.equals(data.subarray(100, 200))).toBe(true);
    const tail = await rest(`${alice.base}data/${name}`, 'GET', {
      auth: bearerAuth(alice.token),
      headers: { range: 'bytes=9990-' },
    });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(data.subarray(9990))).toBe(true);
    const past = await rest(`${alice.base}data/${name}`, 'GET', {
      auth: bearerAuth(alice.token),
      headers: { range: 'bytes=20000-20010' },
    });
    expect(past.status).toBe(416);
    const missing = await rest(`${alice.base}data/${sha256('nothing')}`, 'GET', {
      auth: bearerAuth(alice.token),
    });
    expect(missing.status).toBe(404);
    expect(
      (await rest(`${alice.base}data/${sha256('nothing')}`, 'HEAD', { auth: bearerAuth(alice.token) }))
        .status,
    ).toBe(404);
  });

  it('refuses names that are not 64 hex digits and unknown folders', async () => {
    expect((await put(alice, 'data/abc', Buffer.from('x'))).status).toBe(404);
    expect((await put(alice, `other/${sha256('x')}`, Buffer.from('x'))).status).toBe(404);
    expect((await put(alice, `data/${sha256('x').toUpperCase()}`, Buffer.from('x'))).status).toBe(404);
  });

  it('takes the token as HTTP Basic (username:token) or Bearer, and refuses anything else with 401', async () => {
    const path = `${alice.base}config`;
    expect((await rest(path, 'HEAD', { auth: basicAuth('alice', alice.token) })).status).toBe(200);
    expect((await rest(path, 'HEAD')).status).toBe(401);
    expect((await rest(path, 'HEAD', { auth: bearerAuth('srd_wrong') })).status).toBe(401);
    expect((await rest(path, 'HEAD', { auth: basicAuth('bob', alice.token) })).status).toBe(401);
    expect((await rest(path, 'HEAD', { auth: basicAuth('ALICE', alice.token) })).status).toBe(200);
    const unauth = await rest(path, 'GET');
    expect(unauth.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  it("never reaches another account's repository: 404 for every method, whatever the case of the name", async () => {
    const data = randomBytes(50);
    for (const user of ['alice', 'Alice', 'ALICE']) {
      const base = `${server.url}/storage/${user}/main/`;
      const auth = bearerAuth(bob.token);
      expect((await rest(`${base}config`, 'GET', { auth })).status).toBe(404);
      expect((await rest(`${base}config`, 'HEAD', { auth })).status).toBe(404);
      expect((await rest(`${base}data/`, 'GET', { auth })).status).toBe(404);
      expect((await rest(`${base}data/${sha256(data)}`, 'POST', { auth, body: data })).status).toBe(404);
      expect((await rest(`${base}?create=true`, 'POST', { auth })).status).toBe(404);
    }
    // Alice's own token with a differently cased path is not her path either.
    expect(
      (await rest(`${server.url}/storage/ALICE/main/config`, 'GET', { auth: bearerAuth(alice.token) }))
        .status,
    ).toBe(404);
  });

  it('stops a revoked token at once', async () => {
    const carol = await accountWithDevice(server, 'carol');
    await rest(`${carol.base}?create=true`, 'POST', { auth: bearerAuth(carol.token) });
    const account = server.server.services.accounts.byUsername('carol')!;
    server.server.services.sessions.revokeDevice(account.id, carol.deviceId);
    expect((await rest(`${carol.base}keys/`, 'GET', { auth: bearerAuth(carol.token) })).status).toBe(401);
  });

  it('keeps a deleted file restorable: gone from HEAD, GET and listings, listed as recently deleted', async () => {
    const data = randomBytes(300);
    const name = sha256(data);
    await put(alice, `index/${name}`, data);
    expect(
      (await rest(`${alice.base}index/${name}`, 'DELETE', { auth: bearerAuth(alice.token) })).status,
    ).toBe(200);
    expect((await rest(`${alice.base}index/${name}`, 'HEAD', { auth: bearerAuth(alice.token) })).status).toBe(
      404,
    );
    expect((await rest(`${alice.base}index/${name}`, 'GET', { auth: bearerAuth(alice.token) })).status).toBe(
      404,
    );
    const list = await rest(`${alice.base}index/`, 'GET', { auth: bearerAuth(alice.token) });
    expect(JSON.parse(list.body.toString())).not.toContain(name);
    // Deleting again (a retried request) is not an error.
    expect(
      (await rest(`${alice.base}index/${name}`, 'DELETE', { auth: bearerAuth(alice.token) })).status,
    ).toBe(200);
    const { storage, accounts } = server.server.services;
    const repo = storage.table.findRepo(accounts.byUsername('alice')!.id, 'main')!;
    const deleted = storage.table.listDeleted(repo.id).map((r) => `${r.type}/${r.name}/${r.deleter_name}`);
    expect(deleted).toContain(`index/${name}/laptop`);
    // The bytes are still in the store.
    expect(await storage.store.stat(`alice/main/index/${name}`)).toEqual({ size: 300 });
  });

  it('takes back a recently deleted content-addressed file when it is uploaded again', async () => {
    const data = randomBytes(64);
    const name = sha256(data);
    await put(alice, `snapshots/${name}`, data);
    await rest(`${alice.base}snapshots/${name}`, 'DELETE', { auth: bearerAuth(alice.token) });
    expect((await put(alice, `snapshots/${name}`, data)).status).toBe(200);
    expect(
      (await rest(`${alice.base}snapshots/${name}`, 'GET', { auth: bearerAuth(alice.token) })).body.equals(
        data,
      ),
    ).toBe(true);
  });

  it('really deletes a lock its own token created, and only moves aside one another token made', async () => {
    const account = server.server.services.accounts.byUsername('alice')!;
    const other = server.server.services.sessions.createDevice(account.id, 'desktop');
    const mine = randomBytes(40);
    const theirs = randomBytes(41);
    await put(alice, `locks/${sha256(mine)}`, mine);
    await put(alice, `locks/${sha256(theirs)}`, theirs, bearerAuth(other.token));
    await rest(`${alice.base}locks/${sha256(mine)}`, 'DELETE', { auth: bearerAuth(alice.token) });
    await rest(`${alice.base}locks/${sha256(theirs)}`, 'DELETE', { auth: bearerAuth(alice.token) });
    const { storage } = server.server.services;
    const repo = storage.table.findRepo(account.id, 'main')!;
    expect(storage.table.get(repo.id, 'locks', sha256(mine))).toBeUndefined();
    expect(await storage.store.stat(`alice/main/locks/${sha256(mine)}`)).toBeNull();
    expect(storage.table.get(repo.id, 'locks', sha256(theirs))?.deleted_at).not.toBeNull();
  });

  it('answers unsupported methods with 405', async () => {
    expect(
      (await rest(`${alice.base}data/`, 'POST', { auth: bearerAuth(alice.token), body: Buffer.from('x') }))
        .status,
    ).toBe(405);
    expect(
      (await rest(`${alice.base}config`, 'PUT', { auth: bearerAuth(alice.token), body: Buffer.from('x') }))
        .status,
    ).toBe(404);
  });
});
