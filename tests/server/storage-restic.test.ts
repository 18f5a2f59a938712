import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { resticOk } from './restic';
import { accountWithDevice, type StorageAccountFixture } from './storage-helpers';

let server: TestAccountServer;
let alice: StorageAccountFixture;
let work: string;
let repo: string;

beforeAll(async () => {
  server = await startTestAccountServer();
  alice = await accountWithDevice(server, 'alice');
  work = mkdtempSync(join(tmpdir(), 'strongroom-restic-'));
  repo = `rest:http://alice:${alice.token}@127.0.0.1:${server.server.port}/storage/alice/main/`;
});
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

function writeTree(root: string, seed: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  mkdirSync(join(root, 'sub'), { recursive: true });
  files.set('big.bin', randomBytes(3 * 1024 * 1024));
  files.set('sub/small.txt', Buffer.from(`small file ${seed}\n`));
  files.set('sub/medium.bin', randomBytes(200_000));
  for (const [name, bytes] of files) writeFileSync(join(root, name), bytes);
  return files;
}

function expectRestored(target: string, source: string, files: Map<string, Buffer>): void {
  for (const [name, bytes] of files) {
    expect(readFileSync(join(target, source, name)).equals(bytes), name).toBe(true);
  }
}

describe('restic (Debian package) against the account storage', () => {
  it('inits, backs up, lists snapshots, restores byte for byte and checks with --read-data', async () => {
    const source = join(work, 'src');
    const files = writeTree(source, 'one');
    await resticOk(repo, ['init']);
    await resticOk(repo, ['backup', source]);
    const snapshots = JSON.parse(await resticOk(repo, ['snapshots', '--json'])) as Array<{ id: string }>;
    expect(snapshots).toHaveLength(1);
    const target = join(work, 'restore-1');
    await resticOk(repo, ['restore', 'latest', '--target', target]);
    expectRestored(target, source, files);
    await resticOk(repo, ['check', '--read-data']);
  });

  it('forget --prune with a device token leaves everything restorable from recently deleted', async () => {
    const source = join(work, 'src');
    const before = JSON.parse(await resticOk(repo, ['snapshots', '--json'])) as Array<{ id: string }>;
    const first = before[0]!.id;
    const firstFiles = new Map<string, Buffer>();
    for (const name of ['big.bin', 'sub/small.txt', 'sub/medium.bin']) {
      firstFiles.set(name, readFileSync(join(source, name)));
    }
    // A second, different backup, then forget the first and prune: its data is deleted.
    rmSync(source, { recursive: true });
    writeTree(source, 'two');
    await resticOk(repo, ['backup', source]);
    await resticOk(repo, ['forget', first, '--prune']);
    const after = JSON.parse(await resticOk(repo, ['snapshots', '--json'])) as Array<{ id: string }>;
    expect(after.map((s) => s.id)).not.toContain(first);

    const { storage, accounts } = server.server.services;
    const account = accounts.byUsername('alice')!;
    const repoRow = storage.table.findRepo(account.id, 'main')!;
    const deleted = storage.table.listDeleted(repoRow.id);
    expect(deleted.some((d) => d.type === 'data')).toBe(true);
    expect(deleted.some((d) => d.type === 'snapshots' && first.startsWith(d.name.slice(0, 8)))).toBe(true);
    expect(deleted.every((d) => d.deleter_name === 'laptop')).toBe(true);

    // The owner restores the deleted files: the forgotten snapshot restores byte for byte.
    expect(await storage.restore(account, 'main')).toBe(deleted.length);
    const target = join(work, 'restore-first');
    await resticOk(repo, ['restore', first, '--target', target]);
    expectRestored(target, source, firstFiles);
    await resticOk(repo, ['check']);
  });
});
