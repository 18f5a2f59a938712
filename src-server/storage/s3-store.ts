/**
 * The object store in an S3-compatible bucket (AWS, MinIO, Ceph, R2). S3 has no rename, so a
 * body becomes visible only once checked: a small one is spooled to the server's disk, checked
 * there and uploaded in one PUT; a large one goes up in parts as it arrives, and the multipart
 * upload is completed only after its last byte matched the size and hash. Both create-only
 * (`If-None-Match: *` where the store supports it, after a HEAD check either way). Ranged GETs
 * pass straight through to the bucket.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client, S3ClientConfig, S3ServiceException } from '@aws-sdk/client-s3';
import { BodyCheck, writeChecked } from './body-check';
import {
  ObjectExistsError,
  ObjectNotFoundError,
  OUT_OF_SPACE,
  StoreFullError,
  type ByteRange,
  type ObjectStore,
  type PutOptions,
  type StoredObject,
} from './object-store';

/**
 * Bodies up to this size are spooled to the server's disk, checked, and sent in one PUT (one
 * request, billed once); larger ones go up as they arrive, in parts.
 */
export const MULTIPART_THRESHOLD = 64 * 1024 * 1024;
/** Part size of those uploads: two parts in memory per upload (one filling, one sending), and up to 160 GiB in S3's 10,000 parts. */
export const PART_SIZE = 16 * 1024 * 1024;

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
  /** Bodies above this go up in parts as they arrive (default MULTIPART_THRESHOLD). */
  multipartThreshold?: number;
  /** Default PART_SIZE, or the threshold if smaller; S3's smallest part is 5 MiB. */
  partSize?: number;
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
  private readonly partSize: number;
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
    this.partSize = opts.partSize ?? Math.min(PART_SIZE, this.multipartThreshold);
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
    // The body is left unread: the caller may still check it against the name (a retry).
    if (await this.stat(key)) throw new ObjectExistsError(key);
    if (opts.size > this.multipartThreshold) return this.putStreaming(key, body, opts);
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
      await this.putSpooled(key, spool, opts.size);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') throw new StoreFullError(OUT_OF_SPACE);
      throw error;
    } finally {
      await rm(spool, { force: true }).catch(() => undefined);
    }
  }

  /** A small body, checked in the spool, goes up in one PUT. */
  private async putSpooled(key: string, spool: string, size: number): Promise<void> {
    const { s3, sdk } = await this.sdk();
    try {
      await s3.send(
        new sdk.PutObjectCommand({
          Bucket: this.bucket,
          Key: this.fullKey(key),
          ContentLength: size,
          Body: createReadStream(spool),
          ...(this.conditionalWrites ? { IfNoneMatch: '*' } : {}),
        }),
      );
    } catch (error) {
      throw mapPutError(error, key);
    }
  }

  /**
   * A large body goes up as it arrives, one part uploading while the next fills (memory: two
   * parts, whatever the size). The parts are invisible until CompleteMultipartUpload, which is
   * sent only once the whole body matched its size and hash; anything else aborts the upload.
   */
  private async putStreaming(key: string, body: Readable, opts: PutOptions): Promise<void> {
    const { s3, sdk } = await this.sdk();
    const target = { Bucket: this.bucket, Key: this.fullKey(key) };
    const { UploadId } = await s3.send(new sdk.CreateMultipartUploadCommand(target));
    const parts: Array<{ ETag: string; PartNumber: number }> = [];
    let uploading: Promise<void> | null = null;
    const sendPart = async (bytes: Buffer) => {
      if (uploading) await uploading;
      const PartNumber = parts.length + 1;
      const part = { ETag: '', PartNumber };
      parts.push(part);
      const sent = s3
        .send(
          new sdk.UploadPartCommand({
            ...target,
            UploadId,
            PartNumber,
            Body: bytes,
            ContentLength: bytes.length,
          }),
        )
        .then((answer) => {
          part.ETag = answer.ETag ?? '';
        });
      // Awaited before the next part or at the end; until then a failure must not go unhandled.
      sent.catch(() => undefined);
      uploading = sent;
    };
    const check = new BodyCheck(opts);
    try {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for await (const chunk of checkedChunks(body, check)) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= this.partSize) {
          const part = Buffer.concat(pending, pendingBytes);
          pending = [];
          pendingBytes = 0;
          await sendPart(part);
        }
      }
      check.verify();
      if (pendingBytes > 0 || parts.length === 0) await sendPart(Buffer.concat(pending, pendingBytes));
      await uploading;
      await s3.send(
        new sdk.CompleteMultipartUploadCommand({
          ...target,
          UploadId,
          MultipartUpload: { Parts: parts },
          ...(this.conditionalWrites ? { IfNoneMatch: '*' } : {}),
        }),
      );
    } catch (error) {
      await (uploading as Promise<void> | null)?.catch(() => undefined);
      await s3.send(new sdk.AbortMultipartUploadCommand({ ...target, UploadId })).catch(() => undefined);
      // Refused at completion: the body was read and checked in full before.
      const mapped = mapPutError(error, key);
      throw mapped instanceof ObjectExistsError ? new ObjectExistsError(key, true) : mapped;
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

  async removeTemporary(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.spoolDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    const parts = names.filter((n) => n.endsWith('.part'));
    for (const name of parts) await rm(join(this.spoolDir, name), { force: true });
    return parts.length;
  }

  /**
   * Aborts the multipart uploads of this key that a crash left open (their parts are billed and
   * invisible). Stores that cannot list them (s3rver) are left to their own expiry rules.
   */
  async abandon(key: string): Promise<void> {
    const { s3, sdk } = await this.sdk();
    try {
      const open = await s3.send(
        new sdk.ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.fullKey(key) }),
      );
      for (const upload of open.Uploads ?? []) {
        if (upload.Key !== this.fullKey(key) || !upload.UploadId) continue;
        await s3.send(
          new sdk.AbortMultipartUploadCommand({
            Bucket: this.bucket,
            Key: upload.Key,
            UploadId: upload.UploadId,
          }),
        );
      }
    } catch (error) {
      if ((error as Error).name !== 'NotImplemented') throw error;
    }
  }

  async destroy(): Promise<void> {
    if (this.client) (await this.client).s3.destroy();
  }
}

function mapPutError(error: unknown, key: string): unknown {
  const status = (error as S3ServiceException).$metadata?.httpStatusCode;
  if (status === 412 || (error as Error).name === 'PreconditionFailed') return new ObjectExistsError(key);
  if ((error as Error).name === 'EntityTooLarge' || (error as Error).name === 'QuotaExceeded') {
    return new StoreFullError('The object store refused the upload for lack of space.');
  }
  return error;
}

/** The body's pieces after the size and hash check; a cut-off connection ends the loop with an error. */
async function* checkedChunks(body: Readable, check: BodyCheck): AsyncIterable<Buffer> {
  body.once('error', (error) => check.destroy(error));
  body.once('aborted', () => check.destroy(new Error('The upload was cut off.')));
  yield* body.pipe(check) as AsyncIterable<Buffer>;
}

function isNotFound(error: unknown): boolean {
  const e = error as S3ServiceException;
  return e.$metadata?.httpStatusCode === 404 || e.name === 'NoSuchKey' || e.name === 'NotFound';
}
