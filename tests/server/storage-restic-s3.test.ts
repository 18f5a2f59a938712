/** Debian's restic against the account server whose storage is an S3 bucket (s3rver). */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { startTestS3, type TestS3 } from '../support/s3rver';
import { resticOk } from './restic';
import { accountWithDevice } from './storage-helpers';

let s3: TestS3;
let server: TestAccountServer;
let work: string;
let repo: string;

beforeAll(async () => {
  s3 = await startTestS3();
  server = await startTestAccountServer({
    storage: `s3://${s3.bucket}/accounts`,
    s3Endpoint: s3.endpoint,
    s3Credentials: s3.credentials,
  });
  const alice = await accountWithDevice(server, 'alice');
  work = mkdtempSync(join(tmpdir(), 'strongroom-restic-s3-'));
  repo = `rest:http://alice:${alice.token}@127.0.0.1:${server.server.port}/storage/alice/main/`;
});
afterAll(async () => {
  await server?.close();
  await s3?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('restic against the account storage on S3', () => {
  it('inits, backs up, restores byte for byte and checks with --read-data', async () => {
    const source = join(work, 'src');
    mkdirSync(join(source, 'sub'), { recursive: true });
    const files = new Map<string, Buffer>([
      ['big.bin', randomBytes(6 * 1024 * 1024)],
      ['sub/small.txt', Buffer.from('a small file\n')],
      ['sub/medium.bin', randomBytes(300_000)],
      ['sub/empty', Buffer.alloc(0)],
    ]);
    for (const [name, bytes] of files) writeFileSync(join(source, name), bytes);

    await resticOk(repo, ['init']);
    await resticOk(repo, ['backup', source]);
    const target = join(work, 'restore');
    await resticOk(repo, ['restore', 'latest', '--target', target]);
    for (const [name, bytes] of files) {
      expect(readFileSync(join(target, source, name)).equals(bytes), name).toBe(true);
    }
    await resticOk(repo, ['check', '--read-data']);

    // The bytes are in the bucket, under the account's prefix: config, keys, data, index, snapshots.
    const created = s3.events.filter((e) => e.name.startsWith('ObjectCreated')).map((e) => e.key);
    for (const folder of ['config', 'keys/', 'data/', 'index/', 'snapshots/']) {
      expect(
        created.some((k) => k.startsWith(`accounts/alice/main/${folder}`)),
        folder,
      ).toBe(true);
    }
  }, 120_000);
});
