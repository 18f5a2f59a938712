/**
 * One account's big repository does not stall the others: a DELETE costs the same in a
 * 100,000-file repository as in a small one (counters, not scans), and a listing of 100,000
 * files is sent in pieces that let other requests through.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { accountWithDevice, bearerAuth, rest, type StorageAccountFixture } from './storage-helpers';

const BIG = 100_000;
const SMALL = 500;

let server: TestAccountServer;
let alice: StorageAccountFixture;
let bob: StorageAccountFixture;

const nameOf = (repo: string, i: number) => createHash('sha256').update(`${repo} ${i}`).digest('hex');

/** Rows straight into the object table: the DELETE and the listing never read the bytes. */
function fill(repo: string, type: 'data' | 'snapshots', count: number): void {
  const { storage, accounts, db } = server.server.services;
  const row = storage.table.findRepo(accounts.byUsername('alice')!.id, repo)!;
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      storage.table.insert({
        repo_id: row.id,
        type,
        name: nameOf(repo, i),
        size: 4_000_000 + i,
        created_at: Date.now(),
        writer_id: 'seed',
        writer_name: 'seed',
      });
    }
  })();
}

beforeAll(async () => {
  server = await startTestAccountServer();
  alice = await accountWithDevice(server, 'alice', 'laptop', 'big');
  bob = await accountWithDevice(server, 'bob');
  for (const [f, repo] of [
    [alice, 'big'],
    [alice, 'small'],
    [bob, 'main'],
  ] as const) {
    await rest(`${server.url}/storage/${f.username}/${repo}/?create=true`, 'POST', {
      auth: bearerAuth(f.token),
    });
  }
  fill('big', 'data', BIG);
  fill('big', 'snapshots', 10);
  fill('small', 'data', SMALL);
  fill('small', 'snapshots', 10);
}, 60_000);
afterAll(() => server.close());

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('one account cannot stall the others', () => {
  it('deletes as fast in a 100,000-file repository as in a 500-file one', async () => {
    const times: Record<string, number[]> = { big: [], small: [] };
    // Taking turns, so both see the same load on the machine.
    for (let i = 0; i < 60; i++) {
      for (const repo of ['big', 'small']) {
        const url = `${server.url}/storage/alice/${repo}/data/${nameOf(repo, i)}`;
        const start = performance.now();
        const answer = await rest(url, 'DELETE', { auth: bearerAuth(alice.token) });
        times[repo]!.push(performance.now() - start);
        expect(answer.status).toBe(200);
      }
    }
    const ratio = median(times.big!) / median(times.small!);
    expect(
      ratio,
      `median ${median(times.big!).toFixed(2)} ms vs ${median(times.small!).toFixed(2)} ms`,
    ).toBeLessThan(3);
  }, 60_000);

  it('lists 100,000 files in pieces, answering another user in between', async () => {
    // When the server reads alice's listing from the object table, page by page (a listing made in
    // one piece reads it all in one go, and nothing else runs meanwhile).
    const { table } = server.server.services.storage;
    const reads: number[] = [];
    const original = table.listLivePage.bind(table);
    const spy = vi.spyOn(table, 'listLivePage').mockImplementation((...args) => {
      reads.push(performance.now());
      return original(...args);
    });
    let listed = false;
    const listing = rest(`${server.url}/storage/alice/big/data/`, 'GET', {
      auth: bearerAuth(alice.token),
      headers: { accept: 'application/vnd.x.restic.rest.v2' },
    }).finally(() => (listed = true));
    // Bob asks every few milliseconds while alice's listing is made and sent.
    const answered: number[] = [];
    while (!listed) {
      const other = await rest(`${server.url}/storage/bob/main/config`, 'HEAD', {
        auth: bearerAuth(bob.token),
      });
      expect(other.status).toBe(404);
      answered.push(performance.now());
      await new Promise((r) => setTimeout(r, 5));
    }
    spy.mockRestore();
    const during = answered.filter((t) => t > reads[0]! && t < reads[reads.length - 1]!).length;
    expect(reads.length).toBeGreaterThanOrEqual(BIG / 1000);
    expect(
      during,
      `bob's answers while alice's listing was read: ${during} of ${answered.length}`,
    ).toBeGreaterThanOrEqual(3);
    const files = JSON.parse((await listing).body.toString()) as Array<{ name: string; size: number }>;
    const repoId = table.findRepo(server.server.services.accounts.byUsername('alice')!.id, 'big')!.id;
    expect(files).toHaveLength(table.counts(repoId, 'data').liveFiles);
    expect(files.length).toBeGreaterThan(BIG - 100);
    expect(files.map((f) => f.name)).toEqual(files.map((f) => f.name).sort());
    expect(files[0]).toEqual({ name: expect.stringMatching(/^[0-9a-f]{64}$/), size: expect.any(Number) });
  }, 60_000);

  it('restores 20,000 recently deleted files in pieces, answering another user in between', async () => {
    const { storage, accounts, db } = server.server.services;
    const account = { id: accounts.byUsername('alice')!.id, username: 'alice' };
    const repoId = storage.table.findRepo(account.id, 'big')!.id;
    db.transaction(() => {
      for (let i = 1000; i < 21_000; i++) {
        storage.table.markDeleted(repoId, 'data', nameOf('big', i), Date.now(), { id: 'x', name: 'x' });
      }
    })();
    const reads: number[] = [];
    const original = storage.table.listDeletedPage.bind(storage.table);
    const spy = vi.spyOn(storage.table, 'listDeletedPage').mockImplementation((...args) => {
      reads.push(performance.now());
      return original(...args);
    });
    let restored = false;
    const restoring = storage.restore(account, 'big').finally(() => (restored = true));
    const answered: number[] = [];
    while (!restored) {
      const other = await rest(`${server.url}/storage/bob/main/config`, 'HEAD', {
        auth: bearerAuth(bob.token),
      });
      expect(other.status).toBe(404);
      answered.push(performance.now());
    }
    spy.mockRestore();
    expect(await restoring).toBeGreaterThanOrEqual(20_000);
    const during = answered.filter((t) => t > reads[0]! && t < reads[reads.length - 1]!).length;
    expect(
      during,
      `bob's answers during the restore: ${during} of ${answered.length}`,
    ).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
