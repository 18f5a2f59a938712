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
  /** When its owner deleted the whole repository (restorable until its files are purged); null: live. */
  deletedAt: isoTime.nullable(),
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

/** What the job report carrying a backup's id said of it: the protected item, its start, the computer. */
export const reportedBackup = z.strictObject({
  item: z.string(),
  startedAt: isoTime,
  deviceName: z.string(),
});
export type ReportedBackup = z.infer<typeof reportedBackup>;

export const receivedSnapshot = z.strictObject({
  id: z.string(),
  /** The server's receive time, whatever time the client wrote inside it. */
  receivedAt: isoTime,
  writtenBy: z.string().nullable(),
  sizeBytes: z.number().int().min(0),
  deletedAt: isoTime.nullable(),
  /** Null when no device reported it (restic, or an app from before reports carried ids). */
  reported: reportedBackup.nullable(),
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
  /** Which deletion (an index into the detail's `deletions`) it was part of. */
  deletion: z.number().int().min(0),
});
export type DeletedFile = z.infer<typeof deletedFile>;

/**
 * A deleted backup record (a `snapshots` file): the server cannot read it (it is sealed), so it is
 * named by when it arrived, who wrote it, and what the job report carrying its id said.
 */
export const deletedBackup = z.strictObject({
  id: z.string(),
  receivedAt: isoTime,
  writtenBy: z.string().nullable(),
  /** From the job report of the backup that made it; null when no device reported it (restic). */
  reported: reportedBackup.nullable(),
});
export type DeletedBackup = z.infer<typeof deletedBackup>;

/**
 * One deletion as a person thinks of it: the files one device or token deleted together (none
 * more than DELETION_GAP_MS after the one before), by kind, with the backups whose records went.
 */
export const deletion = z.strictObject({
  firstAt: isoTime,
  lastAt: isoTime,
  deletedBy: z.string().nullable(),
  /** When the first of its files is purged. */
  purgeAt: isoTime,
  files: z.number().int().min(0),
  bytes: z.number().int().min(0),
  kinds: z.array(
    z.strictObject({
      type: storageFileType,
      files: z.number().int().min(0),
      bytes: z.number().int().min(0),
    }),
  ),
  backups: z.array(deletedBackup),
});
export type Deletion = z.infer<typeof deletion>;
/** Deletions by one device further apart than this are told apart. */
export const DELETION_GAP_MS = 10 * 60 * 1000;

/** A purge of recently deleted files the owner asked for without two-factor: it runs at `dueAt` unless cancelled. */
export const pendingPurge = z.strictObject({
  requestedAt: isoTime,
  dueAt: isoTime,
});
export type PendingPurge = z.infer<typeof pendingPurge>;

export const storageRepositoryDetail = z.strictObject({
  ...repositorySummaryShape,
  snapshots: z.array(receivedSnapshot),
  recentlyDeleted: z.array(deletedFile),
  /** The recently deleted files grouped by deletion, newest first. */
  deletions: z.array(deletion),
  pendingPurges: z.array(pendingPurge),
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

/**
 * Key files the panel reads and shows per repository. A repository takes no more than 20 live
 * ones (restic gives up after trying twenty), so this shows every key file of any repository the
 * server checked; one from before then may hold more, and the answer says how many.
 */
export const KEY_FILES_LISTED = 20;
/** Lock files listed per repository (the server takes at most 100); they are sealed, so only named. */
export const LOCK_FILES_LISTED = 100;

const storedFileShape = {
  name: z.string().regex(/^[0-9a-f]{64}$/),
  sizeBytes: z.number().int().min(0),
  receivedAt: isoTime,
  writtenBy: z.string().nullable(),
};
/**
 * A key file as its format shows it: restic's key, or the engine's password slot, account slot or
 * drive envelope (src-shared/repository-key-files.ts); `unreadable` when it is none of them (stored
 * before the server checked key files), with `problem` saying why. Host, user and creation time are
 * what the client wrote in the file, unverified, and null where the kind has none.
 */
export const storageKeyFile = z.strictObject({
  ...storedFileShape,
  kind: z.enum(['restic', 'password', 'account', 'envelope', 'unreadable']),
  host: z.string().nullable(),
  username: z.string().nullable(),
  created: z.string().nullable(),
  problem: z.string().nullable(),
});
export type StorageKeyFile = z.infer<typeof storageKeyFile>;
export const storageLockFile = z.strictObject(storedFileShape);
export type StorageLockFile = z.infer<typeof storageLockFile>;

/** The live key and lock files of a repository: at most the bound of each, with how many there are in all. */
export const storageRepositoryFiles = z.strictObject({
  keys: z.array(storageKeyFile),
  keyFilesTotal: z.number().int().min(0),
  locks: z.array(storageLockFile),
  lockFilesTotal: z.number().int().min(0),
});
export type StorageRepositoryFiles = z.infer<typeof storageRepositoryFiles>;

/**
 * Removes one live key or lock file (a key file that locks clients out, a stale lock). A key file
 * goes to recently deleted, restorable as any; a lock file, which holds no backup data, is removed.
 */
export const removeStorageFileInput = z
  .object({
    type: z.enum(['keys', 'locks']),
    name: z.string().regex(/^[0-9a-f]{64}$/, 'A key or lock file is named by 64 hex digits.'),
    ...secondFactorFields,
  })
  .strict();
export type RemoveStorageFileInput = z.input<typeof removeStorageFileInput>;

/**
 * The password again (its auth key) and, with two-factor on, a code or a recovery code: for
 * deleting a whole repository (into recently deleted) and for a purge carried out a day later.
 */
export const ownerConfirmationInput = z.object({ authKey, ...secondFactorFields }).strict();
export type OwnerConfirmationInput = z.input<typeof ownerConfirmationInput>;
/** How long a purge asked for without two-factor waits, so the owner can notice and cancel it. */
export const DELAYED_PURGE_MS = 24 * 60 * 60 * 1000;
export const requestedPurge = z.strictObject({ dueAt: isoTime });
export type RequestedPurge = z.infer<typeof requestedPurge>;

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
    /**
     * The backup's id (its record's file name in the vault), so the panel can say which backup a
     * deleted record was; the server cannot read the record itself.
     */
    backupId: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .nullable()
      .optional(),
  })
  .strict();
export type JobReportInput = z.input<typeof jobReportInput>;
export const jobReport = z.strictObject({ ...jobReportInput.shape, receivedAt: isoTime });
export type JobReport = z.infer<typeof jobReport>;

/** The latest reports of each computer (all its sign-ins together), newest first. */
export const jobReportList = z.strictObject({
  devices: z.array(
    z.strictObject({
      /** The latest device of this computer that reported (every sign-in of a computer is one device). */
      deviceId: z.string(),
      deviceName: z.string(),
      /** The computer whose devices' reports these are; null for a device from before computer ids. */
      computerId: z.string().nullable(),
      /** No device of this computer is signed in any more. */
      revoked: z.boolean(),
      reports: z.array(jobReport),
    }),
  ),
});
export type JobReportList = z.infer<typeof jobReportList>;

/**
 * The account's storage figures and deletion alerts, so the desktop can show its quota use and
 * warn of deleted files without a session. Alerts name repositories and counts, nothing secret.
 */
export const deviceStorageUsage = z.strictObject({
  /** Null: no quota. */
  quotaBytes: z.number().int().min(0).nullable(),
  /** Every stored byte of the account, recently deleted files included. */
  usedBytes: z.number().int().min(0),
  /** How long deleted files stay restorable in the panel's Storage page. */
  graceDays: z.number().min(0),
  /** The account's deletion alerts of the last 30 days, newest first, as the panel shows them. */
  deletionAlerts: z.array(storageDeletionAlert),
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
  storageRepositoryFiles: route({
    method: 'GET',
    path: '/api/account/storage/repositories/:name/files',
    auth: { kind: 'session' },
    params: repositoryParam,
    reply: storageRepositoryFiles,
  }),
  /** What lasts (a removed key file locks out whoever used it): a recent sign-in and the code. */
  storageRemoveFile: route({
    method: 'POST',
    path: '/api/account/storage/repositories/:name/remove-file',
    auth: { kind: 'fresh', secondFactor: true },
    params: repositoryParam,
    body: removeStorageFileInput,
    reply: fileCount,
  }),
  /** Auth key and code checked by the route itself, as a sign-in; into recently deleted. */
  storageDeleteRepository: route({
    method: 'POST',
    path: '/api/account/storage/repositories/:name/delete',
    auth: { kind: 'fresh' },
    params: repositoryParam,
    body: ownerConfirmationInput,
    reply: fileCount,
  }),
  /** The purge of an account without two-factor: the auth key again, carried out a day later. */
  storageRequestPurge: route({
    method: 'POST',
    path: '/api/account/storage/repositories/:name/purge-later',
    auth: { kind: 'fresh' },
    params: repositoryParam,
    body: ownerConfirmationInput,
    reply: requestedPurge,
    status: 201,
  }),
  /** Calling off a purge only protects backups, so a session does. */
  storageCancelPurge: route({
    method: 'DELETE',
    path: '/api/account/storage/repositories/:name/purge-later',
    auth: { kind: 'session' },
    params: repositoryParam,
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
