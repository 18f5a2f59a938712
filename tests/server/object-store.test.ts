import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskObjectStore } from '../../src-server/storage/disk-store';
import {
  BodyMismatchError,
  ObjectExistsError,
  ObjectNotFoundError,
  type ObjectStore,
} from '../../src-server/storage/object-store';
import { S3ObjectStore } from '../../src-server/storage/s3-store';
import { startTestS3, type TestS3 } from '../support/s3rver';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const body = (b: Buffer) => Readable.from([b.subarray(0, 7), b.subarray(7)]);

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function keys(store: ObjectStore, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out.sort();
}

/** The same behaviour is asked of every store. */
function storeSuite(name: string, open: () => ObjectStore, spoolOrTmp: () => string) {
  describe(name, () => {
    let store: ObjectStore;
    beforeAll(() => {
      store = open();
    });

    it('stores a checked body and reads it back whole and by range', async () => {
      const data = randomBytes(100_000);
      await store.putIfAbsent('u/r/data/ab/one', body(data), { size: data.length, sha256: sha(data) });
      expect(await store.stat('u/r/data/ab/one')).toEqual({ size: 100_000 });
      expect((await readAll(await store.get('u/r/data/ab/one'))).equals(data)).toBe(true);
      const part = await readAll(await store.get('u/r/data/ab/one', { start: 1000, end: 1999 }));
      expect(part.equals(data.subarray(1000, 2000))).toBe(true);
    });

    it('never overwrites an existing key', async () => {
      const first = randomBytes(10);
      await store.putIfAbsent('u/r/config', body(first), { size: 10 });
      await expect(
        store.putIfAbsent('u/r/config', body(randomBytes(10)), { size: 10 }),
      ).rejects.toBeInstanceOf(ObjectExistsError);
      expect((await readAll(await store.get('u/r/config'))).equals(first)).toBe(true);
    });

    it('stores nothing when the hash or the length is wrong, and leaves no temporary file', async () => {
      const data = randomBytes(500);
      await expect(
        store.putIfAbsent('u/r/index/bad', body(data), { size: 500, sha256: sha(randomBytes(5)) }),
      ).rejects.toBeInstanceOf(BodyMismatchError);
      await expect(store.putIfAbsent('u/r/index/short', body(data), { size: 600 })).rejects.toBeInstanceOf(
        BodyMismatchError,
      );
      await expect(store.putIfAbsent('u/r/index/long', body(data), { size: 400 })).rejects.toBeInstanceOf(
        BodyMismatchError,
      );
      expect(await store.stat('u/r/index/bad')).toBeNull();
      expect(await store.stat('u/r/index/short')).toBeNull();
      expect(await store.stat('u/r/index/long')).toBeNull();
      let leftovers: string[] = [];
      try {
        leftovers = readdirSync(spoolOrTmp());
      } catch {
        // never created
      }
      expect(leftovers).toEqual([]);
    });

    it('lists by prefix, says null/NotFound for a missing key, and deletes (twice is fine)', async () => {
      await store.putIfAbsent('u/r/keys/k1', body(Buffer.from('key one!')), { size: 8 });
      expect(await keys(store, 'u/r/keys/')).toEqual(['u/r/keys/k1']);
      expect(await store.stat('u/r/keys/none')).toBeNull();
      await expect(store.get('u/r/keys/none')).rejects.toBeInstanceOf(ObjectNotFoundError);
      await store.delete('u/r/keys/k1');
      await store.delete('u/r/keys/k1');
      expect(await store.stat('u/r/keys/k1')).toBeNull();
      expect(await keys(store)).toContain('u/r/config');
    });
  });
}

const root = mkdtempSync(join(tmpdir(), 'strongroom-store-'));
let s3: TestS3;
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(async () => {
  await s3?.close();
  rmSync(root, { recursive: true, force: true });
});

storeSuite(
  'DiskObjectStore',
  () => new DiskObjectStore(join(root, 'disk')),
  () => join(root, 'disk', 'tmp'),
);
storeSuite(
  'S3ObjectStore on s3rver',
  () =>
    new S3ObjectStore({
      bucket: s3.bucket,
      prefix: 'accounts',
      endpoint: s3.endpoint,
      credentials: s3.credentials,
      spoolDir: join(root, 'spool'),
    }),
  () => join(root, 'spool'),
);
