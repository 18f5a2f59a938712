/**
 * The engine against the account server's storage through RestHttpStorage: init, backup,
 * restore byte for byte, check with data, prune (its deletions land in "recently deleted").
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../src-engine/backup/backup';
import { check } from '../../src-engine/maintenance/check';
import { Repository } from '../../src-engine/repository/repository';
import { restore } from '../../src-engine/restore/restore';
import { openRepositoryStorage, parseRestUrl, RestHttpStorage } from '../../src-engine/storage';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { PASSWORD, SMALL, prng, tempDir, writeFile } from './helpers';

let server: TestAccountServer;
let token: string;
let url: string;
let work: string;

beforeAll(async () => {
  server = await startTestAccountServer();
  await server.createUser('alice', 'correct horse battery');
  const account = server.server.services.accounts.byUsername('alice')!;
  token = server.server.services.sessions.createDevice(account.id, 'engine laptop').token;
  url = `rest:${server.url}/storage/alice/engine/`;
  work = await tempDir('http-storage');
});
afterAll(async () => {
  await server.close();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('RestHttpStorage', () => {
  it('backs up to the server, restores byte for byte and checks the data', async () => {
    const src = path.join(work, 'src');
    writeFile(path.join(src, 'a.bin'), prng('a', 700_000));
    writeFile(path.join(src, 'dir/b.txt'), 'hello over http\n');
    writeFile(path.join(src, 'dir/c.bin'), prng('c', 90_000));
    const repo = await Repository.init(new RestHttpStorage(url, token), PASSWORD, SMALL);
    const result = await backup(repo, { paths: [src] });
    // A second run finds everything there already.
    const reopened = await Repository.open(new RestHttpStorage(url, token), PASSWORD);
    await backup(reopened, { paths: [src] });
    const target = path.join(work, 'restore');
    await restore(await Repository.open(new RestHttpStorage(url, token), PASSWORD), result.snapshotId, {
      target,
    });
    for (const name of ['a.bin', 'dir/b.txt', 'dir/c.bin']) {
      const restored = fs.readFileSync(path.join(target, src, name));
      expect(restored.equals(fs.readFileSync(path.join(src, name))), name).toBe(true);
    }
    const checked = await check(await Repository.open(new RestHttpStorage(url, token), PASSWORD), {
      readDataPercent: 100,
    });
    expect(checked.errors).toEqual([]);
    expect(checked.ok).toBe(true);
    // Every file the engine wrote is in the object table, named by the device that wrote it.
    const { storage } = server.server.services;
    const repoRow = storage.table.findRepo(
      server.server.services.accounts.byUsername('alice')!.id,
      'engine',
    )!;
    expect(storage.table.listByType(repoRow.id, 'data').length).toBeGreaterThan(0);
    expect(
      storage.table.listByType(repoRow.id, 'snapshots').every((s) => s.writer_name === 'engine laptop'),
    ).toBe(true);
    // The engine's locks were really removed (its own), not left as recently deleted.
    expect(storage.table.listByType(repoRow.id, 'locks')).toEqual([]);
  });

  it('refuses to create over an existing repository and explains a revoked token', async () => {
    await expect(Repository.init(new RestHttpStorage(url, token), PASSWORD, SMALL)).rejects.toMatchObject({
      code: 'REPOSITORY_EXISTS',
    });
    await expect(
      Repository.open(new RestHttpStorage(url, 'srd_not-a-token'), PASSWORD),
    ).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      status: 401,
      message: expect.stringMatching(/refused the token \(401\)/),
    });
  });

  it('takes the token from the environment or a file, never from the address', () => {
    expect(() => parseRestUrl('rest:http://alice:secret@127.0.0.1:1/storage/alice/x/')).toThrow(
      /no token in the address/,
    );
    expect(() => openRepositoryStorage('rest:http://127.0.0.1:1/storage/alice/x/', {})).toThrow(
      /STRONGROOM_STORAGE_TOKEN/,
    );
    const file = path.join(work, 'token');
    fs.writeFileSync(file, `${token}\n`);
    const storage = openRepositoryStorage('rest:http://127.0.0.1:1/storage/alice/x', {
      STRONGROOM_STORAGE_TOKEN_FILE: file,
    });
    expect(storage.descriptor).toMatchObject({
      kind: 'rest',
      url: 'http://127.0.0.1:1/storage/alice/x/',
      token,
    });
  });
});
