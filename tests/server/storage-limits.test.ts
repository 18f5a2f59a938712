/**
 * What one account can take: each file counts as at least one 4 KiB block, repositories and lock
 * files are bounded, and the administrator (and, through the service, the owner) can remove
 * recently deleted files or a whole repository, saying first what goes.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepStorage } from '../../src-server/app';
import { storageCommand } from '../../src-server/storage-cli';
import { DAY_MS, MIN_CHARGED_BYTES } from '../../src-server/storage/storage-service';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { ManualClock } from './helpers';
import { restic } from './restic';
import { accountWithDevice, bearerAuth, rest, sha256, type StorageAccountFixture } from './storage-helpers';

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

const put = (f: StorageAccountFixture, path: string, body: Buffer) =>
  rest(f.base + path, 'POST', { auth: bearerAuth(f.token), body });
const create = (f: StorageAccountFixture, repo: string) =>
  rest(`${server.url}/storage/${f.username}/${repo}/?create=true`, 'POST', { auth: bearerAuth(f.token) });
const aliceAccount = () => {
  const a = server.server.services.accounts.byUsername('alice')!;
  return { id: a.id, username: a.username };
};

describe('what an account can take', () => {
  it('counts every file as at least one 4 KiB block, recently deleted ones too', async () => {
    const { alice } = await setup();
    const tiny = Array.from({ length: 10 }, () => randomBytes(10));
    for (const t of tiny) expect((await put(alice, `snapshots/${sha256(t)}`, t)).status).toBe(200);
    const big = randomBytes(10_000);
    await put(alice, `data/${sha256(big)}`, big);
    await rest(`${alice.base}snapshots/${sha256(tiny[0]!)}`, 'DELETE', { auth: bearerAuth(alice.token) });
    expect(server.server.services.storage.usedBytes(aliceAccount().id)).toBe(10 * MIN_CHARGED_BYTES + 10_000);
  });

  it('refuses 0-byte files past the quota, as their blocks use it', async () => {
    const { alice } = await setup({ defaultQuotaBytes: 3 * MIN_CHARGED_BYTES });
    const empty = Buffer.alloc(0);
    expect((await put(alice, `index/${sha256(empty)}`, empty)).status).toBe(200);
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const lock = randomBytes(0);
      answers.push((await put(alice, `locks/${sha256(`${i}`)}`, lock)).status);
    }
    expect(answers).toEqual([200, 200, 507]);
  });

  it('refuses a repository past the account’s limit in words, and still opens the existing ones', async () => {
    const { alice } = await setup({ maxRepositories: 3 });
    expect((await create(alice, 'two')).status).toBe(200);
    expect((await create(alice, 'three')).status).toBe(200);
    const fourth = await create(alice, 'four');
    expect(fourth.status).toBe(403);
    expect(fourth.body.toString()).toMatch(/already has 3 repositories/);
    expect((await create(alice, 'main')).status).toBe(200);
    const repo = `rest:http://alice:${alice.token}@127.0.0.1:${server.server.port}/storage/alice/five/`;
    const init = await restic(repo, ['init']);
    expect(init.code).not.toBe(0);
    expect(server.server.services.storage.listRepos(aliceAccount().id).map((r) => r.name)).toEqual([
      'main',
      'three',
      'two',
    ]);
  });

  it('allows 100 repositories by default', async () => {
    const { alice } = await setup();
    for (let i = 1; i < 100; i++) expect((await create(alice, `r${i}`)).status).toBe(200);
    expect((await create(alice, 'r100')).status).toBe(403);
  }, 30_000);

  it('refuses a lock file over 16 KiB and a 101st live lock in a repository', async () => {
    const { alice } = await setup();
    const big = randomBytes(16 * 1024 + 1);
    const tooBig = await put(alice, `locks/${sha256(big)}`, big);
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.toString()).toMatch(/lock file is at most 16384 bytes/);
    for (let i = 0; i < 100; i++) {
      const lock = randomBytes(300);
      expect((await put(alice, `locks/${sha256(lock)}`, lock)).status).toBe(200);
    }
    const extra = randomBytes(300);
    const refused = await put(alice, `locks/${sha256(extra)}`, extra);
    expect(refused.status).toBe(403);
    expect(refused.body.toString()).toMatch(/100 lock files/);
  }, 30_000);
});

describe('storage purge USER [REPO] (the administrator)', () => {
  async function withDeletedFiles() {
    const { clock, alice } = await setup();
    await create(alice, 'docs');
    const docsBase = `${server.url}/storage/alice/docs/`;
    const kept = randomBytes(5000);
    const gone = [randomBytes(6000), randomBytes(7000)];
    await put(alice, `data/${sha256(kept)}`, kept);
    for (const g of gone) {
      await put(alice, `data/${sha256(g)}`, g);
      await rest(`${alice.base}data/${sha256(g)}`, 'DELETE', { auth: bearerAuth(alice.token) });
    }
    const other = randomBytes(3000);
    await rest(`${docsBase}data/${sha256(other)}`, 'POST', { auth: bearerAuth(alice.token), body: other });
    await rest(`${docsBase}data/${sha256(other)}`, 'DELETE', { auth: bearerAuth(alice.token) });
    return { clock, alice, kept, gone, other };
  }

  it('says what it would remove, and removes it only with --yes', async () => {
    const { alice, gone } = await withDeletedFiles();
    const { storage } = server.server.services;
    const dry = await storageCommand(server.server.services, ['purge', 'Alice']);
    expect(dry).toMatch(/Would remove for good/);
    expect(dry).toMatch(/main: 2 files/);
    expect(dry).toMatch(/docs: 1 files/);
    expect(dry).toMatch(/run again with --yes/);
    const key = `alice/main/data/${sha256(gone[0]!).slice(0, 2)}/${sha256(gone[0]!)}`;
    expect(await storage.store.stat(key)).not.toBeNull();

    const done = await storageCommand(server.server.services, ['purge', 'alice', 'main'], { yes: true });
    expect(done).toMatch(/Removed for good .*alice:\n {2}main: 2 files/);
    expect(await storage.store.stat(key)).toBeNull();
    // docs was not named: its recently deleted file stays.
    const docs = storage.table.findRepo(aliceAccount().id, 'docs')!;
    expect(storage.table.listDeleted(docs.id)).toHaveLength(1);
    // Live files are never touched by a purge.
    expect(
      (await rest(`${alice.base}data/`, 'GET', { auth: bearerAuth(alice.token) })).body.toString(),
    ).toMatch(/^\["[0-9a-f]{64}"\]$/);
  });

  it('deletes a whole repository only when named, with --delete-repository and --yes', async () => {
    const { alice } = await withDeletedFiles();
    await expect(
      storageCommand(server.server.services, ['purge', 'alice'], { 'delete-repository': true, yes: true }),
    ).rejects.toThrow(/needs the REPO/);
    const dry = await storageCommand(server.server.services, ['purge', 'alice', 'main'], {
      'delete-repository': true,
    });
    expect(dry).toMatch(
      /Would delete the whole repository alice\/main: every file, live and recently deleted \(3 files/,
    );
    expect((await rest(`${alice.base}data/`, 'GET', { auth: bearerAuth(alice.token) })).status).toBe(200);
    const done = await storageCommand(server.server.services, ['purge', 'alice', 'main'], {
      'delete-repository': true,
      yes: true,
    });
    expect(done).toMatch(/^Deleted the whole repository alice\/main/);
    expect((await rest(`${alice.base}data/`, 'GET', { auth: bearerAuth(alice.token) })).status).toBe(404);
    expect(server.server.services.storage.listRepos(aliceAccount().id).map((r) => r.name)).toEqual(['docs']);
    await expect(storageCommand(server.server.services, ['purge', 'nobody'])).rejects.toThrow(/No account/);
  });
});

describe('the owner’s repository deletion and delayed purge (service methods for the panel)', () => {
  it('deletes a whole repository into recently deleted, and restores it', async () => {
    const { alice } = await setup();
    const data = randomBytes(5000);
    await put(alice, 'config', randomBytes(100));
    await put(alice, `data/${sha256(data)}`, data);
    const { storage } = server.server.services;
    expect(await storage.deleteRepository(aliceAccount(), 'main', { id: 'panel', name: 'panel' })).toBe(2);
    expect((await rest(`${alice.base}config`, 'HEAD', { auth: bearerAuth(alice.token) })).status).toBe(404);
    // Not to be made again under the same name while its files are kept.
    expect((await create(alice, 'main')).status).toBe(403);
    expect(await storage.restore(aliceAccount(), 'main')).toBe(2);
    expect(
      (await rest(`${alice.base}data/${sha256(data)}`, 'GET', { auth: bearerAuth(alice.token) })).body,
    ).toEqual(data);
  });

  it('carries out a requested purge after its delay, unless it was cancelled', async () => {
    const { clock, alice } = await setup();
    const data = randomBytes(5000);
    await put(alice, `data/${sha256(data)}`, data);
    await rest(`${alice.base}data/${sha256(data)}`, 'DELETE', { auth: bearerAuth(alice.token) });
    const { storage } = server.server.services;
    const repoId = storage.table.findRepo(aliceAccount().id, 'main')!.id;

    storage.requestPurge(aliceAccount(), 'main', undefined, 'panel');
    expect(storage.cancelPurges(aliceAccount(), 'main')).toBe(1);
    clock.advance(DAY_MS + 1);
    await sweepStorage(server.server.services);
    expect(storage.table.listDeleted(repoId)).toHaveLength(1);

    const { dueAt } = storage.requestPurge(aliceAccount(), 'main', undefined, 'panel');
    expect(dueAt).toBe(clock.now() + DAY_MS);
    expect(storage.pendingPurges(aliceAccount(), 'main')).toEqual([
      expect.objectContaining({ dueAt, files: null }),
    ]);
    clock.advance(DAY_MS - 1);
    await sweepStorage(server.server.services);
    expect(storage.table.listDeleted(repoId)).toHaveLength(1);
    clock.advance(1);
    await sweepStorage(server.server.services);
    expect(storage.table.listDeleted(repoId)).toHaveLength(0);
    expect(storage.pendingPurges(aliceAccount(), 'main')).toEqual([]);
  });
});
