/** Creating and opening a vault's repository: `init`, `open`, and the opening every other op starts with. */
import {
  EngineError,
  LocalFolderStorage,
  Repository,
  RestHttpStorage,
  type Storage,
} from '../../src-engine/index';
import {
  emptyOutcome,
  type JobOutcome,
  type JobRequest,
  type RepoLocation,
} from '../../src-shared/job-protocol';
import { repoPlace } from '../../src-shared/repo-location';
import type { JobContext } from './job-context';

/** The one place a RepoLocation becomes the engine's Storage. */
export function storageFor(location: RepoLocation): Storage {
  switch (location.kind) {
    case 'local':
      return new LocalFolderStorage(location.path);
    case 'account':
      // The device token goes as a Bearer header; it is in no message the storage writes.
      return new RestHttpStorage(location.url, location.token);
  }
}

export async function openRepository(
  request: Extract<JobRequest, { password: string }>,
  ctx: JobContext,
): Promise<Repository> {
  const repo = await Repository.open(storageFor(request.repo), request.password, {
    onProblem: (p) => ctx.vaultProblem(p),
  });
  ctx.throwIfCancelled();
  return repo;
}

export async function initOp(
  request: Extract<JobRequest, { op: 'init' }>,
  ctx: JobContext,
): Promise<JobOutcome> {
  const repo = await Repository.init(storageFor(request.repo), request.password);
  const message = `Created a new vault ${repoPlace(request.repo)}.`;
  ctx.log('info', null, message);
  return {
    ...emptyOutcome('success', message, null),
    value: { op: request.op, repositoryId: repo.config.id },
  };
}

export async function openOp(
  request: Extract<JobRequest, { op: 'open' }>,
  ctx: JobContext,
): Promise<JobOutcome> {
  const repo = await openRepository(request, ctx);
  return {
    ...emptyOutcome('success', `Opened the vault ${repoPlace(request.repo)}.`, null),
    value: { op: request.op, repositoryId: repo.config.id },
  };
}

export async function rekeyOp(
  request: Extract<JobRequest, { op: 'rekey' }>,
  ctx: JobContext,
): Promise<JobOutcome> {
  const repo = await Repository.open(storageFor(request.repo), request.password);
  ctx.throwIfCancelled();
  const old = repo.openedWith;
  if (old === undefined) throw new Error('the repository did not say which key opened it');
  if (request.step === 'remove') {
    // Only when the new password opens the repository through a slot of its own.
    const next = await Repository.open(storageFor(request.repo), request.newPassword);
    if (next.openedWith === undefined || next.openedWith === old) {
      throw new EngineError(
        'INVALID_ARGUMENT',
        'the new password does not open the vault through a slot of its own',
      );
    }
  } else {
    // The new slot first: the repository always has a password slot that opens it.
    await repo.addKey(request.newPassword);
  }
  if (request.step !== 'add') await repo.removeKey(old);
  const message = `Replaced the vault's password key ${repoPlace(request.repo)}.`;
  ctx.log('info', null, message);
  return { ...emptyOutcome('success', message, null), value: { op: 'rekey', repositoryId: repo.config.id } };
}
