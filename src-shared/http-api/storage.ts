/**
 * The account storage's /api routes. The storage itself is restic's REST protocol v2 under
 * /storage/<username>/<repository>/ (docs/server.md), authenticated by a device or storage token
 * and not JSON, so it is not in this table. These are the panel's routes about it (session
 * scope) and the desktop's job reports and storage figures (device scope).
 */
import { z } from 'zod';
import { deviceIdParam } from './account';
import { authKey } from '../account-keys';
import { deviceName, isoTime, repositoryName, secondFactorFields } from './fields';
import { noContent, route } from './route';

/** Restic's REST protocol, served under this prefix (see docs/server.md). */
export const STORAGE_PREFIX = '/storage/';

export const storageFileType = z.enum(['config', 'data', 'keys', 'locks', 'snapshots', 'index']);
export type StorageFileType = z.infer<typeof storageFileType>;
export const repositoryParam = z.object({ name: repositoryName }).strict();

const repositorySummaryShape = {
  name: z.string(),
  sizeBytes: z.number().int().min(0),
  fileCount: z.number().int().min(0),
  lastWriteAt: isoTime.nullable(),
  /** The device or storage token that wrote last (its name when it wrote). */
  lastWriteBy: z.string().nullable(),
  recentlyDeletedBytes: z.number().int().min(0),
  recentlyDeletedCount: z.number().int().min(0),
};
export const storageRepositorySummary = z.strictObject(repositorySummaryShape);
export type StorageRepositorySummary = z.infer<typeof storageRepositorySummary>;

export const storageDeletionAlert = z.strictObject({
  repository: z.string(),
  at: isoTime,
  /**
   * What was deleted: `config` or `keys` (any one, at once: without them the backups cannot be
   * read), `snapshots` (over a quarter of them within a day), `index` (over a quarter of the
   * index bytes within a day, net of index written), `bytes` (over half of all bytes within a day).
   */
  kind: z.enum(['bytes', 'config', 'keys', 'snapshots', 'index']),
  deletedBytes: z.number().int().min(0),
  repositoryBytes: z.number().int().min(0),
  /** Files of that kind deleted, and how many there were. */
  deletedFiles: z.number().int().min(0),
  repositoryFiles: z.number().int().min(0),
  device: z.string().nullable(),
});
export type StorageDeletionAlert = z.infer<typeof storageDeletionAlert>;

export const storageOverview = z.strictObject({
  /** Null: no quota. */
  quotaBytes: z.number().int().min(0).nullable(),
  /** Every stored byte, recently deleted files included (they still use space). */
  usedBytes: z.number().int().min(0),
  graceDays: z.number().min(0),
  repositories: z.array(storageRepositorySummary),
  /** Bursts of deletions in the last 30 days. */
  deletionAlerts: z.array(storageDeletionAlert),
});
export type StorageOverview = z.infer<typeof storageOverview>;

export const receivedSnapshot = z.strictObject({
  id: z.string(),
  /** The server's receive time, whatever time the client wrote inside it. */
  receivedAt: isoTime,
  writtenBy: z.string().nullable(),
  sizeBytes: z.number().int().min(0),
  deletedAt: isoTime.nullable(),
});
export type ReceivedSnapshot = z.infer<typeof receivedSnapshot>;

export const deletedFile = z.strictObject({
  type: storageFileType,
  name: z.string(),
  sizeBytes: z.number().int().min(0),
  deletedAt: isoTime,
  deletedBy: z.string().nullable(),
  /** When the grace period ends and the server purges it. */
  purgeAt: isoTime,
});
export type DeletedFile = z.infer<typeof deletedFile>;

export const storageRepositoryDetail = z.strictObject({
  ...repositorySummaryShape,
  snapshots: z.array(receivedSnapshot),
  recentlyDeleted: z.array(deletedFile),
});
export type StorageRepositoryDetail = z.infer<typeof storageRepositoryDetail>;

const fileRef = z.object({ type: storageFileType, name: z.string().regex(/^[0-9a-f]{64}$|^$/) }).strict();

/** All recently deleted files if `files` is omitted. */
export const restoreDeletedInput = z.object({ files: z.array(fileRef).max(100_000).optional() }).strict();
export type RestoreDeletedInput = z.input<typeof restoreDeletedInput>;

/** Needs two-factor on, the password (its auth key) and a current code or a recovery code. */
export const purgeDeletedInput = z
  .object({
    authKey,
    ...secondFactorFields,
    files: z.array(fileRef).max(100_000).optional(),
  })
  .strict();
export type PurgeDeletedInput = z.input<typeof purgeDeletedInput>;
export const fileCount = z.strictObject({ count: z.number().int().min(0) });
export type FileCount = z.infer<typeof fileCount>;

export const storageToken = z.strictObject({
  id: z.string(),
  name: z.string(),
  createdAt: isoTime,
  lastUsedAt: isoTime.nullable(),
});
export type StorageToken = z.infer<typeof storageToken>;
export const storageTokenList = z.strictObject({ tokens: z.array(storageToken) });
export type StorageTokenList = z.infer<typeof storageTokenList>;

/** With TOTP on, a current code or a recovery code too. */
export const createStorageTokenInput = z.object({ name: deviceName, ...secondFactorFields }).strict();
export type CreateStorageTokenInput = z.input<typeof createStorageTokenInput>;
/** The token is shown once. */
export const createdStorageToken = z.strictObject({ id: z.string(), name: z.string(), token: z.string() });
export type CreatedStorageToken = z.infer<typeof createdStorageToken>;

/** Figures only: never file names. */
export const jobReportInput = z
  .object({
    /** The protected item's name, as the person named it. */
    item: z.string().trim().min(1).max(200),
    kind: z.enum(['backup', 'restore', 'check', 'prune']),
    status: z.enum(['succeeded', 'partial', 'failed', 'cancelled']),
    startedAt: z.iso.datetime(),
    durationMs: z
      .number()
      .int()
      .min(0)
      .max(366 * 24 * 3600 * 1000),
    filesProcessed: z.number().int().min(0),
    filesNew: z.number().int().min(0),
    filesChanged: z.number().int().min(0),
    errors: z.number().int().min(0),
    bytesProcessed: z.number().int().min(0),
    bytesAdded: z.number().int().min(0),
  })
  .strict();
export type JobReportInput = z.input<typeof jobReportInput>;
export const jobReport = z.strictObject({ ...jobReportInput.shape, receivedAt: isoTime });
export type JobReport = z.infer<typeof jobReport>;

/** The latest reports of each device, newest first. */
export const jobReportList = z.strictObject({
  devices: z.array(
    z.strictObject({
      deviceId: z.string(),
      deviceName: z.string(),
      revoked: z.boolean(),
      reports: z.array(jobReport),
    }),
  ),
});
export type JobReportList = z.infer<typeof jobReportList>;

/** The account's storage figures, so the desktop can show its quota use without a session. */
export const deviceStorageUsage = z.strictObject({
  /** Null: no quota. */
  quotaBytes: z.number().int().min(0).nullable(),
  /** Every stored byte of the account, recently deleted files included. */
  usedBytes: z.number().int().min(0),
});
export type DeviceStorageUsage = z.infer<typeof deviceStorageUsage>;

export const storageRoutes = {
  storageOverview: route({
    method: 'GET',
    path: '/api/account/storage',
    auth: { kind: 'session' },
    reply: storageOverview,
  }),
  storageRepository: route({
    method: 'GET',
    path: '/api/account/storage/repositories/:name',
    auth: { kind: 'session' },
    params: repositoryParam,
    reply: storageRepositoryDetail,
  }),
  storageRestore: route({
    method: 'POST',
    path: '/api/account/storage/repositories/:name/restore',
    auth: { kind: 'session' },
    params: repositoryParam,
    body: restoreDeletedInput,
    bodyOptional: true,
    reply: fileCount,
  }),
  /** Auth key and code checked by the route itself, as a sign-in: one answer for any wrong part. */
  storagePurge: route({
    method: 'POST',
    path: '/api/account/storage/repositories/:name/purge',
    auth: { kind: 'fresh' },
    params: repositoryParam,
    body: purgeDeletedInput,
    reply: fileCount,
  }),
  storageTokens: route({
    method: 'GET',
    path: '/api/account/storage-tokens',
    auth: { kind: 'session' },
    reply: storageTokenList,
  }),
  createStorageToken: route({
    method: 'POST',
    path: '/api/account/storage-tokens',
    auth: { kind: 'fresh', secondFactor: true },
    body: createStorageTokenInput,
    reply: createdStorageToken,
    status: 201,
  }),
  revokeStorageToken: route({
    method: 'DELETE',
    path: '/api/account/storage-tokens/:id',
    auth: { kind: 'session' },
    params: deviceIdParam,
    reply: noContent,
    status: 204,
  }),
  jobReports: route({
    method: 'GET',
    path: '/api/account/job-reports',
    auth: { kind: 'session' },
    reply: jobReportList,
  }),
  reportJob: route({
    method: 'POST',
    path: '/api/device/job-reports',
    auth: { kind: 'device' },
    body: jobReportInput,
    reply: noContent,
    status: 201,
  }),
  deviceStorage: route({
    method: 'GET',
    path: '/api/device/storage',
    auth: { kind: 'device' },
    reply: deviceStorageUsage,
  }),
};
