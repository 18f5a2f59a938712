/**
 * The object store in an S3-compatible bucket (AWS, MinIO, Ceph, R2). S3 has no rename, so the
 * "temporary object" is a spool file on the server's disk: the body is written and checked there,
 * and only a checked body is uploaded, create-only (`If-None-Match: *` where the store supports
 * it, after a HEAD check either way). Ranged GETs pass straight through to the bucket.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client, S3ClientConfig, S3ServiceException } from '@aws-sdk/client-s3';
import { BodyCheck, writeChecked } from './body-check';
import {
  ObjectExistsError,
  ObjectNotFoundError,
  StoreFullError,
  type ByteRange,
  type ObjectStore,
  type PutOptions,
  type StoredObject,
} from './object-store';

/** Bodies above this go up as a multipart upload (lib-storage), in parts of this size. */
export const MULTIPART_THRESHOLD = 64 * 1024 * 1024;

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing slash ('' for none). */
  prefix: string;
  /** e.g. http://127.0.0.1:9000 for MinIO; omitted for AWS. */
  endpoint?: string;
  region?: string;
  /** Path-style URLs (http://host/bucket/key), which MinIO and s3rver need; default: on with an endpoint. */
  forcePathStyle?: boolean;
  /** Send `If-None-Match: *` on uploads (AWS, MinIO, R2 honour it); default on. */
  conditionalWrites?: boolean;
  /** Explicit credentials (tests); otherwise the AWS SDK reads AWS_ACCESS_KEY_ID etc. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Where bodies are spooled and checked before the upload. */
  spoolDir: string;
  /** Bodies above this go up in parts of this size (default MULTIPART_THRESHOLD; S3's minimum is 5 MiB). */
  multipartThreshold?: number;
}

/** Parses `s3://BUCKET/PREFIX`. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!match) throw new Error(`--storage: not an s3://BUCKET/PREFIX address: ${url}`);
  return { bucket: match[1]!, prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

export class S3ObjectStore implements ObjectStore {
  private client: Promise<{ s3: S3Client; sdk: typeof S3Sdk }> | null = null;
  private readonly clientOptions: S3ClientConfig;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly conditionalWrites: boolean;
  private readonly spoolDir: string;
  private readonly multipartThreshold: number;
  /**
   * Uploads in progress by key. A second upload of the same key waits for the first and then
   * finds the name taken: create-only within this server even where the store ignores
   * `If-None-Match` (s3rver, older MinIO and Ceph), between the HEAD check and the upload.
   */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(opts: S3StoreOptions) {
    this.bucket = opts.bucket;
    this.prefix = opts.prefix === '' ? '' : `${opts.prefix}/`;
    this.conditionalWrites = opts.conditionalWrites ?? true;
    this.spoolDir = opts.spoolDir;
    this.multipartThreshold = opts.multipartThreshold ?? MULTIPART_THRESHOLD;
    this.clientOptions = {
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      region: opts.region ?? process.env.AWS_REGION ?? 'us-east-1',
      forcePathStyle: opts.forcePathStyle ?? opts.endpoint !== undefined,
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      // Newer SDKs add CRC32 trailers to every upload, which many S3-compatible stores reject;
      // the server checks SHA-256 itself before uploading.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
  }

  /** The SDK is loaded on first use: the admin CLI and disk-only servers never pay for it. */
  private sdk(): Promise<{ s3: S3Client; sdk: typeof S3Sdk }> {
    this.client ??= import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      s3: new sdk.S3Client(this.clientOptions),
    }));
    return this.client;
  }

  get description(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  private fullKey(key: string): string {
    return this.prefix + key;
  }

  async putIfAbsent(key: string, body: Readable, opts: PutOptions): Promise<void> {
    for (let earlier = this.inFlight.get(key); earlier; earlier = this.inFlight.get(key)) {
      await earlier.catch(() => undefined);
    }
    const put = this.putChecked(key, body, opts);
    this.inFlight.set(key, put);
    try {
      await put;
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async putChecked(key: string, body: Readable, opts: PutOptions): Promise<void> {
    if (await this.stat(key)) {
      body.resume();
      throw new ObjectExistsError(key);
    }
    await mkdir(this.spoolDir, { recursive: true, mode: 0o700 });
    const spool = join(this.spoolDir, `${randomBytes(12).toString('hex')}.part`);
    const check = new BodyCheck(opts);
    try {
      const file = await open(spool, 'wx', 0o600);
      try {
        await writeChecked(body, check, file);
      } finally {
        await file.close().catch(() => undefined);
      }
      check.verify();
      await this.upload(key, spool, opts.size);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        throw new StoreFullError('The server is out of spool space.');
      }
      throw error;
    } finally {
      await rm(spool, { force: true }).catch(() => undefined);
    }
  }

  private async upload(key: string, spool: string, size: number): Promise<void> {
    const params = { Bucket: this.bucket, Key: this.fullKey(key), ContentLength: size };
    const { s3, sdk } = await this.sdk();
    try {
      if (size > this.multipartThreshold) {
        const { Upload } = await import('@aws-sdk/lib-storage');
        // A multipart upload is only visible once completed; lib-storage passes If-None-Match on
        // to CompleteMultipartUpload (AWS, MinIO), and the HEAD check above guards the rest.
        await new Upload({
          client: s3,
          params: {
            Bucket: params.Bucket,
            Key: params.Key,
            Body: createReadStream(spool),
            ...(this.conditionalWrites ? { IfNoneMatch: '*' } : {}),
          },
          partSize: this.multipartThreshold,
          queueSize: 2,
        }).done();
      } else {
        await s3.send(
          new sdk.PutObjectCommand({
            ...params,
            Body: createReadStream(spool),
            ...(this.conditionalWrites ? { IfNoneMatch: '*' } : {}),
          }),
        );
      }
    } catch (error) {
      const status = (error as S3ServiceException).$metadata?.httpStatusCode;
      if (status === 412 || (error as Error).name === 'PreconditionFailed') throw new ObjectExistsError(key);
      if ((error as Error).name === 'EntityTooLarge' || (error as Error).name === 'QuotaExceeded') {
        throw new StoreFullError('The object store refused the upload for lack of space.');
      }
      throw error;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const { s3, sdk } = await this.sdk();
    try {
      const answer = await s3.send(
        new sdk.GetObjectCommand({
          Bucket: this.bucket,
          Key: this.fullKey(key),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return answer.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  async stat(key: string): Promise<{ size: number } | null> {
    const { s3, sdk } = await this.sdk();
    try {
      const head = await s3.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
      return { size: head.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const { s3, sdk } = await this.sdk();
    await s3.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    const { s3, sdk } = await this.sdk();
    let token: string | undefined;
    do {
      const page = await s3.send(
        new sdk.ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.fullKey(prefix),
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined) continue;
        yield { key: item.Key.slice(this.prefix.length), size: item.Size ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async destroy(): Promise<void> {
    if (this.client) (await this.client).s3.destroy();
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as S3ServiceException;
  return e.$metadata?.httpStatusCode === 404 || e.name === 'NoSuchKey' || e.name === 'NotFound';
}
