/**
 * The handlers of the account storage's /api routes (src-shared/http-api/storage.ts): the panel's
 * view of repositories and their figures, snapshots as received, recently deleted files with
 * restore and permanent deletion, storage tokens; and the desktop's job reports and figures.
 * Everything goes through the storage service and the session store.
 */
import type { StorageRepositorySummary, storageRoutes } from '../../src-shared/http-api';
import type { Handlers } from '../http/register-routes';
import type { AuditLog } from '../services/audit-log';
import type { Clock } from '../services/clock';
import type { JobReportStore } from '../services/job-reports';
import { ServiceError } from '../services/service-error';
import type { SessionStore } from '../services/sessions';
import type { SignIn } from '../services/sign-in';
import type { RepoRow } from '../storage/object-table';
import { DAY_MS, type StorageService } from '../storage/storage-service';

export interface StoragePanelDeps {
  clock: Clock;
  signIn: SignIn;
  sessions: SessionStore;
  audit: AuditLog;
  storage: StorageService;
  jobReports: JobReportStore;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

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
    };
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
      return {
        ...summary(repo),
        snapshots: storage.receivedSnapshots(repo.id).map((s) => ({
          id: s.name,
          receivedAt: new Date(s.created_at).toISOString(),
          writtenBy: s.writer_name,
          sizeBytes: s.size,
          deletedAt: iso(s.deleted_at),
        })),
        recentlyDeleted: storage.recentlyDeleted(repo.id).map((d) => ({
          type: d.type,
          name: d.name,
          sizeBytes: d.size,
          deletedAt: new Date(d.deleted_at!).toISOString(),
          deletedBy: d.deleter_name,
          purgeAt: new Date(d.deleted_at! + storage.graceMs).toISOString(),
        })),
      };
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
      // Checked as a sign-in is: throttled, replay-safe codes, one answer for any wrong part.
      signIn.confirm(
        auth.account,
        { authKey: body.authKey, totp: body.code, recoveryCode: body.recoveryCode },
        auth.ctx,
      );
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
      audit.record(auth.account.id, 'device_revoked', { ...auth.ctx, device: row.name });
    },

    jobReports: ({ auth }) => jobReports.list(auth.account.id),

    reportJob: ({ auth, body }) => {
      jobReports.add(auth.account.id, auth.device.id, body);
    },

    // The desktop shows its account's storage use beside its account-storage vaults.
    deviceStorage: ({ auth }) => ({
      quotaBytes: storage.quotaBytes(auth.account.id),
      usedBytes: storage.usedBytes(auth.account.id),
    }),
  };
}
