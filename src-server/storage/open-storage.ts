/** Builds the account storage (store, object table, service) from the server's options. */
import { join } from 'node:path';
import type { Db } from '../db/database';
import type { AuditLog } from '../services/audit-log';
import type { Clock } from '../services/clock';
import { DiskObjectStore } from './disk-store';
import type { ObjectStore } from './object-store';
import { SqliteObjectTable } from './object-table';
import { S3ObjectStore, parseS3Url } from './s3-store';
import { StorageService } from './storage-service';
import { DEFAULT_UPLOAD_PACE, type PaceOptions } from './upload-pace';

export interface StorageOptions {
  /** A folder, or s3://BUCKET/PREFIX; default: storage/ in the data directory. */
  storage?: string;
  s3Endpoint?: string;
  s3Region?: string;
  /** Default: path-style when an endpoint is given (MinIO, s3rver), virtual-host style for AWS. */
  s3ForcePathStyle?: boolean;
  /** Send `If-None-Match: *` on uploads; default on. */
  s3ConditionalWrites?: boolean;
  /** Bodies above this go up to S3 in parts as they arrive (default 64 MiB; smaller only for tests). */
  s3MultipartThreshold?: number;
  /** Explicit S3 credentials (tests); otherwise AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ... */
  s3Credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Days a file deleted by a device stays restorable (default 30). */
  deletionGraceDays?: number;
  /** Quota of accounts without their own; default unlimited. */
  defaultQuotaBytes?: number | null;
  /** Share of a repository's bytes deleted within a day that raises an alert (default 0.5). */
  deletionBurstShare?: number;
  /** Repositories per account (default 100). */
  maxRepositories?: number;
  /** Uploads in flight per account (default 16). */
  maxUploadsPerAccount?: number;
  /** The slowest an upload may go (default 16 KiB/s over a minute after 10 s); null: no floor. */
  uploadPace?: PaceOptions | null;
}

export function openObjectStore(dataDir: string, opts: StorageOptions): ObjectStore {
  const spec = opts.storage ?? join(dataDir, 'storage');
  if (!spec.startsWith('s3://')) return new DiskObjectStore(spec);
  const { bucket, prefix } = parseS3Url(spec);
  return new S3ObjectStore({
    bucket,
    prefix,
    ...(opts.s3Endpoint !== undefined ? { endpoint: opts.s3Endpoint } : {}),
    ...(opts.s3Region !== undefined ? { region: opts.s3Region } : {}),
    ...(opts.s3ForcePathStyle !== undefined ? { forcePathStyle: opts.s3ForcePathStyle } : {}),
    ...(opts.s3ConditionalWrites !== undefined ? { conditionalWrites: opts.s3ConditionalWrites } : {}),
    ...(opts.s3Credentials ? { credentials: opts.s3Credentials } : {}),
    ...(opts.s3MultipartThreshold !== undefined ? { multipartThreshold: opts.s3MultipartThreshold } : {}),
    spoolDir: join(dataDir, 'spool'),
  });
}

export function openStorageService(
  db: Db,
  clock: Clock,
  audit: AuditLog,
  dataDir: string,
  opts: StorageOptions,
): StorageService {
  if (opts.deletionGraceDays !== undefined && !(opts.deletionGraceDays >= 0)) {
    throw new Error('--deletion-grace-days must be 0 or more.');
  }
  return new StorageService({
    store: openObjectStore(dataDir, opts),
    table: new SqliteObjectTable(db),
    clock,
    audit,
    ...(opts.deletionGraceDays !== undefined ? { graceDays: opts.deletionGraceDays } : {}),
    defaultQuotaBytes: opts.defaultQuotaBytes ?? null,
    ...(opts.deletionBurstShare !== undefined ? { burstShare: opts.deletionBurstShare } : {}),
    ...(opts.maxRepositories !== undefined ? { maxRepositories: opts.maxRepositories } : {}),
    ...(opts.maxUploadsPerAccount !== undefined ? { maxUploadsPerAccount: opts.maxUploadsPerAccount } : {}),
    uploadPace: opts.uploadPace === undefined ? DEFAULT_UPLOAD_PACE : opts.uploadPace,
  });
}
