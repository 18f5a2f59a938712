/**
 * The S3 store's multipart path, against s3rver: bodies above the threshold (5 MiB here, S3's
 * smallest part; 64 MiB in the server) go up in parts as they arrive, and keep the same guarantees
 * as single PUTs: nothing becomes visible before the whole body was checked, and a name is never
 * replaced.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BodyMismatchError, ObjectExistsError } from '../../src-server/storage/object-store';
import { S3ObjectStore } from '../../src-server/storage/s3-store';
import { startTestS3, type TestS3 } from '../support/s3rver';

const PART = 5 * 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** A request body as it arrives: in pieces of 64 KiB. */
const body = (b: Buffer) =>
  Readable.from(
    (function* () {
      for (let i = 0; i < b.length; i += 65536) yield b.subarray(i, i + 65536);
    })(),
  );

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

let s3: TestS3;
let store: S3ObjectStore;
const root = mkdtempSync(join(tmpdir(), 'strongroom-s3-multipart-'));
const spoolDir = join(root, 'spool');

beforeAll(async () => {
  s3 = await startTestS3();
  store = new S3ObjectStore({
    bucket: s3.bucket,
    prefix: 'accounts',
    endpoint: s3.endpoint,
    credentials: s3.credentials,
    spoolDir,
    multipartThreshold: PART,
  });
});
afterAll(async () => {
  await store?.destroy();
  await s3?.close();
  rmSync(root, { recursive: true, force: true });
});

const spoolLeftovers = () => {
  try {
    return readdirSync(spoolDir);
  } catch {
    return [];
  }
};

describe('S3ObjectStore, bodies above the multipart threshold', () => {
  it('uploads in parts, and reads back whole and across a part boundary', async () => {
    const data = randomBytes(2 * PART + 12345);
    await store.putIfAbsent('u/r/data/aa/big', body(data), { size: data.length, sha256: sha(data) });
    // s3rver names a completed multipart upload ObjectCreated:Post (a PutObject is :Put).
    expect(s3.events).toContainEqual({ name: 'ObjectCreated:Post', key: 'accounts/u/r/data/aa/big' });
    expect(s3.events).not.toContainEqual({ name: 'ObjectCreated:Put', key: 'accounts/u/r/data/aa/big' });
    expect((await readAll(await store.get('u/r/data/aa/big'))).equals(data)).toBe(true);
    const across = await readAll(await store.get('u/r/data/aa/big', { start: PART - 100, end: PART + 99 }));
    expect(across.equals(data.subarray(PART - 100, PART + 100))).toBe(true);
    expect(spoolLeftovers()).toEqual([]);
  });

  it('refuses a body whose SHA-256 does not match, and commits nothing of it', async () => {
    const data = randomBytes(PART + 1000);
    await expect(
      store.putIfAbsent('u/r/data/bb/bad', body(data), { size: data.length, sha256: sha(randomBytes(8)) }),
    ).rejects.toBeInstanceOf(BodyMismatchError);
    expect(await store.stat('u/r/data/bb/bad')).toBeNull();
    expect(s3.events.filter((e) => e.key.endsWith('/bad'))).toEqual([]);
    expect(spoolLeftovers()).toEqual([]);
  });

  it('never replaces an existing object, not even with a concurrent upload of the same name', async () => {
    const first = randomBytes(PART + 10);
    await store.putIfAbsent('u/r/keys/taken', body(first), { size: first.length });
    await expect(
      store.putIfAbsent('u/r/keys/taken', body(randomBytes(PART + 10)), { size: PART + 10 }),
    ).rejects.toBeInstanceOf(ObjectExistsError);
    expect((await readAll(await store.get('u/r/keys/taken'))).equals(first)).toBe(true);

    // Two uploads of one new name at once: both pass the HEAD check before either is stored.
    const a = randomBytes(PART + 20);
    const b = randomBytes(PART + 30);
    const results = await Promise.allSettled([
      store.putIfAbsent('u/r/keys/race', body(a), { size: a.length }),
      store.putIfAbsent('u/r/keys/race', body(b), { size: b.length }),
    ]);
    const won = results.findIndex((r) => r.status === 'fulfilled');
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    expect(won).toBeGreaterThanOrEqual(0);
    expect(lost?.reason).toBeInstanceOf(ObjectExistsError);
    expect((await readAll(await store.get('u/r/keys/race'))).equals(won === 0 ? a : b)).toBe(true);
  });
});
