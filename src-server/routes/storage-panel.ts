/**
 * The panel's view of the account storage (session scope): repositories and their figures,
 * snapshots as received, recently deleted files with restore and permanent deletion, storage
 * tokens; and the desktop's job reports (device scope).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  createStorageTokenInput,
  deviceIdParam,
  jobReportInput,
  purgeDeletedInput,
  repositoryParam,
  restoreDeletedInput,
  routes,
  type CreatedStorageToken,
  type DeviceStorageUsage,
  type FileCount,
  type JobReportList,
  type StorageOverview,
  type StorageRepositoryDetail,
  type StorageRepositorySummary,
  type StorageTokenList,
} from '../../src-shared/http-api';
import { AuthGate } from '../http/auth';
import { withBody, withParams } from '../http/validation';
import type { AccountRecords } from '../services/account-records';
import type { AuditLog } from '../services/audit-log';
import type { Clock } from '../services/clock';
import { JobReportStore } from '../services/job-reports';
import { ServiceError } from '../services/service-error';
import type { SessionStore } from '../services/sessions';
import type { SignIn } from '../services/sign-in';
import type { Db } from '../db/database';
import type { RepoRow } from '../storage/object-table';
import { DAY_MS, type StorageService } from '../storage/storage-service';

/** Permanent deletion needs a session signed in this recently, besides password and code. */
export const FRESH_SESSION_MS = 15 * 60 * 1000;

export interface StoragePanelDeps {
  db: Db;
  clock: Clock;
  accounts: AccountRecords;
  signIn: SignIn;
  sessions: SessionStore;
  audit: AuditLog;
  storage: StorageService;
}

type Validated = {
  schema: Record<string, unknown>;
  preValidation: (request: FastifyRequest) => Promise<void>;
};

/** Both route options at once: the schemas merged, params checked before the body. */
function paramsAndBody(params: Validated, body: Validated): Validated {
  return {
    schema: { ...params.schema, ...body.schema },
    preValidation: async (request) => {
      await params.preValidation(request);
      await body.preValidation(request);
    },
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function registerStoragePanelRoutes(app: FastifyInstance, deps: StoragePanelDeps): void {
  const { accounts, signIn, sessions, audit, storage, clock } = deps;
  const gate = new AuthGate(sessions, accounts);
  const jobs = new JobReportStore(deps.db, clock);

  const summary = (repo: RepoRow): StorageRepositorySummary => {
    const f = storage.table.figures(repo.id);
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
    const repo = storage.table.findRepo(accountId, name);
    if (!repo) throw new ServiceError('not_found', `There is no repository ${name}.`);
    return repo;
  };

  app.get(routes.storageOverview.path, async (request): Promise<StorageOverview> => {
    const auth = gate.session(request);
    const id = auth.account.id;
    return {
      quotaBytes: storage.quotaBytes(id),
      usedBytes: storage.usedBytes(id),
      graceDays: storage.graceMs / DAY_MS,
      repositories: storage.listRepos(id).map(summary),
      deletionAlerts: storage.deletionAlerts(id),
    };
  });

  app.get(
    routes.storageRepository.path,
    withParams(repositoryParam),
    async (request): Promise<StorageRepositoryDetail> => {
      const auth = gate.session(request);
      const { name } = request.params as z.output<typeof repositoryParam>;
      const repo = findRepo(auth.account.id, name);
      return {
        ...summary(repo),
        snapshots: storage.table.listByType(repo.id, 'snapshots').map((s) => ({
          id: s.name,
          receivedAt: new Date(s.created_at).toISOString(),
          writtenBy: s.writer_name,
          sizeBytes: s.size,
          deletedAt: iso(s.deleted_at),
        })),
        recentlyDeleted: storage.table.listDeleted(repo.id).map((d) => ({
          type: d.type,
          name: d.name,
          sizeBytes: d.size,
          deletedAt: new Date(d.deleted_at!).toISOString(),
          deletedBy: d.deleter_name,
          purgeAt: new Date(d.deleted_at! + storage.graceMs).toISOString(),
        })),
      };
    },
  );

  app.post(
    routes.storageRestore.path,
    paramsAndBody(withParams(repositoryParam), withBody(restoreDeletedInput, { emptyIsObject: true })),
    async (request): Promise<FileCount> => {
      const auth = gate.session(request);
      const { name } = request.params as z.output<typeof repositoryParam>;
      const input = request.body as z.output<typeof restoreDeletedInput>;
      findRepo(auth.account.id, name);
      return { count: await storage.restore(auth.account, name, input.files) };
    },
  );

  app.post(
    routes.storagePurge.path,
    paramsAndBody(withParams(repositoryParam), withBody(purgeDeletedInput)),
    async (request): Promise<FileCount> => {
      const auth = gate.session(request);
      const { name } = request.params as z.output<typeof repositoryParam>;
      const input = request.body as z.output<typeof purgeDeletedInput>;
      findRepo(auth.account.id, name);
      if (auth.account.totp_secret_enc === null) {
        throw new ServiceError(
          'totp_not_enabled',
          'Turn on two-factor authentication first: deleting backups for good needs a code.',
        );
      }
      if (clock.now() - auth.session.created_at > FRESH_SESSION_MS) {
        throw new ServiceError(
          'reauthentication_required',
          'Sign out and in again: deleting for good needs a session opened in the last 15 minutes.',
        );
      }
      if (input.code === undefined && input.recoveryCode === undefined) {
        throw new ServiceError('bad_request', 'Enter a two-factor code or a recovery code.');
      }
      // The sign-in decision itself: throttled, replay-safe codes, one answer for any wrong part.
      await signIn.signIn(
        {
          username: auth.account.username,
          password: input.password,
          totp: input.code,
          recoveryCode: input.recoveryCode,
        },
        auth.ctx,
      );
      const count = await storage.purge(auth.account, name, input.files);
      audit.record(auth.account.id, 'storage_purged', auth.ctx);
      return { count };
    },
  );

  app.get(routes.storageTokens.path, async (request): Promise<StorageTokenList> => {
    const auth = gate.session(request);
    return {
      tokens: sessions.listDevices(auth.account.id, 'storage').map((d) => ({
        id: d.id,
        name: d.name,
        createdAt: d.createdAt,
        lastUsedAt: d.lastSeenAt,
      })),
    };
  });

  app.post(routes.createStorageToken.path, withBody(createStorageTokenInput), async (request, reply) => {
    const auth = gate.session(request);
    const input = request.body as z.output<typeof createStorageTokenInput>;
    const { id, token } = sessions.createDevice(auth.account.id, input.name, 'storage');
    audit.record(auth.account.id, 'storage_token_created', { ...auth.ctx, device: input.name });
    const created: CreatedStorageToken = { id, name: input.name, token };
    return reply.code(201).send(created);
  });

  app.delete(routes.revokeStorageToken.path, withParams(deviceIdParam), async (request, reply) => {
    const auth = gate.session(request);
    const { id } = request.params as z.output<typeof deviceIdParam>;
    const row = sessions.revokeDevice(auth.account.id, id, 'storage');
    audit.record(auth.account.id, 'device_revoked', { ...auth.ctx, device: row.name });
    return reply.code(204).send();
  });

  app.get(routes.jobReports.path, async (request): Promise<JobReportList> => {
    const auth = gate.session(request);
    return jobs.list(auth.account.id);
  });

  app.post(routes.reportJob.path, withBody(jobReportInput), async (request, reply) => {
    const auth = gate.device(request);
    jobs.add(auth.account.id, auth.device.id, request.body as z.output<typeof jobReportInput>);
    return reply.code(201).send();
  });

  // The desktop shows its account's storage use beside its account-storage vaults (device scope).
  app.get(routes.deviceStorage.path, async (request): Promise<DeviceStorageUsage> => {
    const auth = gate.device(request);
    return { quotaBytes: storage.quotaBytes(auth.account.id), usedBytes: storage.usedBytes(auth.account.id) };
  });
}
