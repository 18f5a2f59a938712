/**
 * s3rver for the storage benchmark, in its own process: `storage-s3rver.ts <folder> <port>`,
 * one bucket named `bench`, s3rver's fixed credentials (S3RVER / S3RVER).
 */
import { createRequire } from 'node:module';

const [folder, port] = process.argv.slice(2);
if (!folder || !port) {
  console.error('usage: storage-s3rver.ts <folder> <port>');
  process.exit(2);
}
type S3rverClass = new (options: Record<string, unknown>) => {
  run(): Promise<unknown>;
  close(): Promise<void>;
};
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
const s3 = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory: folder,
  silent: true,
  configureBuckets: [{ name: 'bench' }],
});
await s3.run();
process.once('SIGTERM', () => {
  void s3.close().then(() => process.exit(0));
});
