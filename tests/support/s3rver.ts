/** An S3-compatible server for tests (the s3rver package, no download): port 0, a temporary folder. */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface S3Event {
  Records: Array<{ eventName: string; s3: { object: { key: string } } }>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  on(event: 'event', listener: (e: S3Event) => void): void;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

export interface TestS3 {
  endpoint: string;
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /**
   * Objects created or removed so far, in order: `ObjectCreated:Put` for a PutObject,
   * `ObjectCreated:Post` for a completed multipart upload, `ObjectRemoved:Delete`.
   */
  events: Array<{ name: string; key: string }>;
  close(): Promise<void>;
}

export async function startTestS3(bucket = 'strongroom-test'): Promise<TestS3> {
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
  const directory = mkdtempSync(join(tmpdir(), 'strongroom-s3rver-'));
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: [{ name: bucket }],
  });
  const events: TestS3['events'] = [];
  s3.on('event', (e) => {
    for (const r of e.Records) events.push({ name: r.eventName, key: r.s3.object.key });
  });
  const address = await s3.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket,
    // s3rver's fixed development credentials.
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    events,
    async close() {
      await s3.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
