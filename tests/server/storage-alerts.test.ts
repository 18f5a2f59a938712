/**
 * Deletions are judged by what they remove, not by bytes: config or a key at once, a quarter of
 * the snapshots (or of the index, net of a prune's rewrite) within a day; and the sweep never
 * purges the last config or key of a repository that still has packs.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepStorage } from '../../src-server/app';
import { DAY_MS } from '../../src-server/storage/storage-service';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { ManualClock, PanelClient } from './helpers';
import { resticOk } from './restic';
import {
  accountWithDevice,
  basicAuth,
  bearerAuth,
  rest,
  sha256,
  type StorageAccountFixture,
} from './storage-helpers';

let server: TestAccountServer;
let work: string | undefined;
afterEach(async () => {
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
  work = undefined;
});

async function setup() {
  const clock = new ManualClock();
  server = await startTestAccountServer({ clock });
  const alice = await accountWithDevice(server, 'alice');
  await rest(`${alice.base}?create=true`, 'POST', { auth: bearerAuth(alice.token) });
  return { clock, alice };
}

const put = (f: StorageAccountFixture, path: string, body: Buffer) =>
  rest(f.base + path, 'POST', { auth: bearerAuth(f.token), body });
const del = (f: StorageAccountFixture, path: string) =>
  rest(f.base + path, 'DELETE', { auth: bearerAuth(f.token) });

async function alerts(alice: StorageAccountFixture): Promise<Array<Record<string, unknown>>> {
  const client = new PanelClient(server.url);
  await client.signIn(alice.username, alice.password);
  const overview = await client.request('GET', '/api/account/storage');
  return overview.body.deletionAlerts as Array<Record<string, unknown>>;
}

/** A key file as restic writes it (the server takes nothing else in keys/). */
const resticKey = () =>
  Buffer.from(
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

const kinds = async (alice: StorageAccountFixture) => (await alerts(alice)).map((a) => a.kind).sort();

describe('deletion alerts by kind', () => {
  it('alerts at once when config or a key is deleted, however small', async () => {
    const { alice } = await setup();
    const pack = randomBytes(1024 * 1024);
    await put(alice, `data/${sha256(pack)}`, pack);
    await put(alice, 'config', randomBytes(200));
    const keys = [resticKey(), resticKey()];
    for (const k of keys) await put(alice, `keys/${sha256(k)}`, k);
    expect(await alerts(alice)).toEqual([]);

    await del(alice, `keys/${sha256(keys[0]!)}`);
    expect(await alerts(alice)).toEqual([
      expect.objectContaining({
        repository: 'main',
        kind: 'keys',
        deletedFiles: 1,
        repositoryFiles: 2,
        device: 'laptop',
      }),
    ]);
    await del(alice, 'config');
    expect(await kinds(alice)).toEqual(['config', 'keys']);
  });

  it('alerts when over a quarter of the snapshots go within a day, not for a daily forget', async () => {
    const { clock, alice } = await setup();
    const snaps = Array.from({ length: 8 }, () => randomBytes(300));
    for (const s of snaps) await put(alice, `snapshots/${sha256(s)}`, s);
    // A day of backup and forget: one snapshot in, one out.
    clock.advance(DAY_MS + 1);
    const next = randomBytes(300);
    await put(alice, `snapshots/${sha256(next)}`, next);
    await del(alice, `snapshots/${sha256(snaps[0]!)}`);
    expect(await alerts(alice)).toEqual([]);
    await del(alice, `snapshots/${sha256(snaps[1]!)}`);
    expect(await alerts(alice)).toEqual([]);
    // A third within the same day: 3 of the 8 there were a day ago.
    await del(alice, `snapshots/${sha256(snaps[2]!)}`);
    expect(await alerts(alice)).toEqual([
      expect.objectContaining({ kind: 'snapshots', deletedFiles: 3, repositoryFiles: 8 }),
    ]);
  });

  it('does not let junk snapshots uploaded first hide the deletion of the real ones', async () => {
    const { alice } = await setup();
    const real = Array.from({ length: 4 }, () => randomBytes(300));
    for (const s of real) await put(alice, `snapshots/${sha256(s)}`, s);
    for (let i = 0; i < 40; i++) {
      const junk = randomBytes(300);
      await put(alice, `snapshots/${sha256(junk)}`, junk);
    }
    await del(alice, `snapshots/${sha256(real[0]!)}`);
    await del(alice, `snapshots/${sha256(real[1]!)}`);
    expect(await kinds(alice)).toEqual(['snapshots']);
  });

  it('alerts when over a quarter of the index goes, but not for a prune that rewrites it', async () => {
    const { clock, alice } = await setup();
    const index = Array.from({ length: 4 }, () => randomBytes(10_000));
    for (const i of index) await put(alice, `index/${sha256(i)}`, i);
    const pack = randomBytes(200_000);
    await put(alice, `data/${sha256(pack)}`, pack);
    clock.advance(DAY_MS + 1);
    // A prune: the new index first, then every old one deleted.
    const rewritten = randomBytes(36_000);
    await put(alice, `index/${sha256(rewritten)}`, rewritten);
    for (const i of index) await del(alice, `index/${sha256(i)}`);
    expect(await alerts(alice)).toEqual([]);
    // Deleting the index and writing nothing back.
    await del(alice, `index/${sha256(rewritten)}`);
    expect(await kinds(alice)).toEqual(['index']);
  });

  it('alerts for each kind when config, keys, snapshots and index of a restic repository go, and the sweep keeps config and keys while packs remain', async () => {
    const { clock, alice } = await setup();
    work = mkdtempSync(join(tmpdir(), 'strongroom-alerts-'));
    const source = join(work, 'src');
    mkdirSync(source);
    writeFileSync(join(source, 'big.bin'), randomBytes(2 * 1024 * 1024));
    const repo = `rest:http://alice:${alice.token}@127.0.0.1:${server.server.port}/storage/alice/main/`;
    await resticOk(repo, ['init']);
    for (let i = 0; i < 3; i++) {
      writeFileSync(join(source, `f${i}.txt`), `version ${i}\n`);
      await resticOk(repo, ['backup', source]);
    }
    clock.advance(DAY_MS + 1);
    // The attacker with the token deletes everything small, leaving the packs.
    const auth = basicAuth('alice', alice.token);
    for (const type of ['keys', 'snapshots', 'index']) {
      const names = JSON.parse(
        (await rest(`${alice.base}${type}/`, 'GET', { auth })).body.toString(),
      ) as string[];
      for (const name of names) await rest(`${alice.base}${type}/${name}`, 'DELETE', { auth });
    }
    await rest(`${alice.base}config`, 'DELETE', { auth });
    expect(await kinds(alice)).toEqual(expect.arrayContaining(['config', 'index', 'keys', 'snapshots']));

    // Past the grace period, the sweep purges the snapshots and index but keeps config and keys.
    clock.advance(31 * DAY_MS);
    await sweepStorage(server.server.services);
    const { storage, accounts } = server.server.services;
    const repoRow = storage.table.findRepo(accounts.byUsername('alice')!.id, 'main')!;
    const left = storage.table.listDeleted(repoRow.id).map((r) => r.type);
    expect(left.sort()).toEqual(['config', 'keys']);
    // Restored, they open the packs again: restic can read the repository (index rebuilt from packs).
    await storage.restore({ id: repoRow.account_id, username: 'alice' }, 'main');
    await resticOk(repo, ['rebuild-index']);
    await resticOk(repo, ['check', '--read-data']);
  }, 120_000);

  it('purges a deleted key when another key is live, and config and keys once no pack remains', async () => {
    const { clock, alice } = await setup();
    const pack = randomBytes(5000);
    await put(alice, `data/${sha256(pack)}`, pack);
    await put(alice, 'config', randomBytes(200));
    const keys = [resticKey(), resticKey()];
    for (const k of keys) await put(alice, `keys/${sha256(k)}`, k);
    await del(alice, `keys/${sha256(keys[0]!)}`);
    clock.advance(31 * DAY_MS);
    expect(await sweepStorage(server.server.services)).toBe(1);

    await del(alice, `keys/${sha256(keys[1]!)}`);
    await del(alice, 'config');
    clock.advance(31 * DAY_MS);
    expect(await sweepStorage(server.server.services)).toBe(0);
    await del(alice, `data/${sha256(pack)}`);
    clock.advance(31 * DAY_MS);
    expect(await sweepStorage(server.server.services)).toBe(3);
  });
});
