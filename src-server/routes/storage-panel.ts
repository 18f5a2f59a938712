/**
 * The handlers of the account storage's /api routes (src-shared/http-api/storage.ts): the panel's
 * view of repositories and their figures, snapshots as received, key and lock files (removable),
 * recently deleted files with restore and permanent deletion (at once with two-factor, a day later
 * without), deleting a whole repository, storage tokens; and the desktop's job reports and figures.
 * Everything goes through the storage service and the session store.
 */
import {
  DELAYED_PURGE_MS,
  KEY_FILES_LISTED,
  LOCK_FILES_LISTED,
  type StorageKeyFile,
  type StorageRepositorySummary,
  type storageRoutes,
} from '../../src-shared/http-api';
import type { SessionAuth } from '../http/auth';
import type { Handlers } from '../http/register-routes';
import type { AuditLog } from '../services/audit-log';
import type { Clock } from '../services/clock';
import type { JobReportStore } from '../services/job-reports';
import { ServiceError } from '../services/service-error';
import type { SessionStore } from '../services/sessions';
import type { SignIn } from '../services/sign-in';
import { groupDeletions } from '../storage/deletion-groups';
import type { RepoRow, Writer } from '../storage/object-table';
import { DAY_MS, type KeyFileEntry, type StorageService } from '../storage/storage-service';

export interface StoragePanelDeps {
  clock: Clock;
  signIn: SignIn;
  sessions: SessionStore;
  audit: AuditLog;
  storage: StorageService;
  jobReports: JobReportStore;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** What the panel shows of a key file: what its format names, as the client wrote it. */
function keyFileView({ row, parsed }: KeyFileEntry): StorageKeyFile {
  const stored = {
    name: row.name,
    sizeBytes: row.size,
    receivedAt: new Date(row.created_at).toISOString(),
    writtenBy: row.writer_name,
  };
  if (!parsed.ok) {
    return {
      ...stored,
      kind: 'unreadable',
      host: null,
      username: null,
      created: null,
      problem: parsed.reason,
    };
  }
  const { key } = parsed;
  const file = key.file;
  return {
    ...stored,
    kind: key.kind,
    host: key.kind === 'restic' ? key.file.hostname : key.kind === 'envelope' ? null : key.file.host,
    username: file.username,
    created: file.created,
    problem: null,
  };
}

export function storagePanelHandlers(deps: StoragePanelDeps): Handlers<typeof storageRoutes> {
  const { signIn, sessions, audit, storage, jobReports } = deps;

  const summary = (repo: RepoRow): StorageRepositorySummary => {
    const f = storage.figures(repo.id);
    return {
      name: repo.name,
      sizeBytes: f.liveBytes,
      fileCount: f.liveFiles,
      lastWriteAt: iso(f.lastWrite?.at ?? null),
      lastWriteBy: f.lastWrite?.by ?? null,
      recentlyDeletedBytes: f.deletedBytes,
      recentlyDeletedCount: f.deletedFiles,
      deletedAt: iso(repo.deleted_at),
    };
  };

  // The owner's own acts in the panel, named in the object table (and its "deleted by") as such.
  const panelWriter: Writer = { id: 'panel', name: 'web panel' };

  // Checked as a sign-in is: throttled, replay-safe codes, one answer for any wrong part.
  const confirmOwner = (
    auth: SessionAuth,
    body: { authKey: string; code?: string | undefined; recoveryCode?: string | undefined },
  ) => {
    signIn.confirm(
      auth.account,
      { authKey: body.authKey, totp: body.code, recoveryCode: body.recoveryCode },
      auth.ctx,
    );
  };

  const findRepo = (accountId: number, name: string): RepoRow => {
    const repo = storage.findRepo(accountId, name);
    if (!repo) throw new ServiceError('not_found', `There is no repository ${name}.`);
    return repo;
  };

  return {
    storageOverview: ({ auth }) => {
      const id = auth.account.id;
      return {
        quotaBytes: storage.quotaBytes(id),
        usedBytes: storage.usedBytes(id),
        graceDays: storage.graceMs / DAY_MS,
        repositories: storage.listRepos(id).map(summary),
        deletionAlerts: storage.deletionAlerts(id),
      };
    },

    storageRepository: ({ auth, params }) => {
      const repo = findRepo(auth.account.id, params.name);
      const deleted = storage.recentlyDeleted(repo.id);
      const reported = jobReports.byBackupId(auth.account.id);
      const grouped = groupDeletions(deleted, storage.graceMs, reported);
      return {
        ...summary(repo),
        snapshots: storage.receivedSnapshots(repo.id).map((s) => ({
          id: s.name,
          receivedAt: new Date(s.created_at).toISOString(),
          writtenBy: s.writer_name,
          sizeBytes: s.size,
          deletedAt: iso(s.deleted_at),
          reported: reported.get(s.name) ?? null,
        })),
        recentlyDeleted: deleted.map((d, i) => ({
          type: d.type,
          name: d.name,
          sizeBytes: d.size,
          deletedAt: new Date(d.deleted_at!).toISOString(),
          deletedBy: d.deleter_name,
          purgeAt: new Date(d.deleted_at! + storage.graceMs).toISOString(),
          deletion: grouped.deletionOf[i]!,
        })),
        deletions: grouped.deletions,
        pendingPurges: storage.pendingPurges(auth.account, repo.name).map((p) => ({
          requestedAt: new Date(p.requestedAt).toISOString(),
          dueAt: new Date(p.dueAt).toISOString(),
        })),
      };
    },

    storageRepositoryFiles: async ({ auth, params }) => {
      findRepo(auth.account.id, params.name);
      const files = await storage.keyAndLockFiles(
        auth.account,
        params.name,
        KEY_FILES_LISTED,
        LOCK_FILES_LISTED,
      );
      return {
        keys: files.keys.map(keyFileView),
        keyFilesTotal: files.keyFilesTotal,
        locks: files.locks.map((row) => ({
          name: row.name,
          sizeBytes: row.size,
          receivedAt: new Date(row.created_at).toISOString(),
          writtenBy: row.writer_name,
        })),
        lockFilesTotal: files.lockFilesTotal,
      };
    },

    // Fresh session and, with TOTP on, a code: checked by the gate.
    storageRemoveFile: async ({ auth, params, body }) => {
      findRepo(auth.account.id, params.name);
      const count = await storage.removeByOwner(auth.account, params.name, body.type, body.name, panelWriter);
      if (count > 0) audit.record(auth.account.id, 'storage_file_removed', auth.ctx);
      return { count };
    },

    storageDeleteRepository: async ({ auth, params, body }) => {
      findRepo(auth.account.id, params.name);
      confirmOwner(auth, body);
      const count = await storage.deleteRepository(auth.account, params.name, panelWriter);
      audit.record(auth.account.id, 'storage_repository_deleted', auth.ctx);
      return { count };
    },

    // Without two-factor, nothing but the password proves the owner: the day's delay is the time
    // to notice (the panel shows it) and cancel, before anything is gone.
    storageRequestPurge: ({ auth, params, body }) => {
      findRepo(auth.account.id, params.name);
      confirmOwner(auth, body);
      const { dueAt } = storage.requestPurge(
        auth.account,
        params.name,
        undefined,
        auth.ctx.device ?? 'web panel',
        DELAYED_PURGE_MS,
      );
      audit.record(auth.account.id, 'storage_purge_requested', auth.ctx);
      return { dueAt: new Date(dueAt).toISOString() };
    },

    storageCancelPurge: ({ auth, params }) => {
      findRepo(auth.account.id, params.name);
      const count = storage.cancelPurges(auth.account, params.name);
      if (count > 0) audit.record(auth.account.id, 'storage_purge_cancelled', auth.ctx);
      return { count };
    },

    storageRestore: async ({ auth, params, body }) => {
      findRepo(auth.account.id, params.name);
      return { count: await storage.restore(auth.account, params.name, body.files) };
    },

    // The gate has checked that the session's full sign-in is recent; this asks for the
    // password (its auth key) and a code again, with TOTP required: nothing can be undone after it.
    storagePurge: async ({ auth, params, body }) => {
      findRepo(auth.account.id, params.name);
      if (auth.account.totp_secret_enc === null) {
        throw new ServiceError(
          'totp_not_enabled',
          'Turn on two-factor authentication first: deleting backups for good needs a code.',
        );
      }
      if (body.code === undefined && body.recoveryCode === undefined) {
        throw new ServiceError('bad_request', 'Enter a two-factor code or a recovery code.');
      }
      confirmOwner(auth, body);
      const count = await storage.purge(auth.account, params.name, body.files);
      audit.record(auth.account.id, 'storage_purged', auth.ctx);
      return { count };
    },

    storageTokens: ({ auth }) => ({
      tokens: sessions.listDevices(auth.account.id, 'storage').map((d) => ({
        id: d.id,
        name: d.name,
        createdAt: d.createdAt,
        lastUsedAt: d.lastSeenAt,
      })),
    }),

    // Fresh session and, with TOTP on, a code: checked by the gate. A token made from a desktop
    // session belongs to that desktop's device, and is revoked with it.
    createStorageToken: ({ auth, body }) => {
      const { id, token } = sessions.createStorageToken(auth.account.id, body.name, auth.session.device_id);
      audit.record(auth.account.id, 'storage_token_created', { ...auth.ctx, device: body.name });
      return { id, name: body.name, token };
    },

    revokeStorageToken: ({ auth, params }) => {
      const row = sessions.revokeDevice(auth.account.id, params.id, 'storage');
      audit.record(auth.account.id, 'storage_token_revoked', { ...auth.ctx, device: row.name });
    },

    jobReports: ({ auth }) => jobReports.list(auth.account.id),

    reportJob: ({ auth, body }) => {
      jobReports.add(auth.account.id, auth.device.id, body);
    },

    // The desktop shows its account's storage use beside its account-storage vaults, and warns
    // when files that matter were deleted from one of them.
    deviceStorage: ({ auth }) => ({
      quotaBytes: storage.quotaBytes(auth.account.id),
      usedBytes: storage.usedBytes(auth.account.id),
      graceDays: storage.graceMs / DAY_MS,
      deletionAlerts: storage.deletionAlerts(auth.account.id),
    }),
  };
}
