/** Creating and opening a vault's repository: `init`, `open`, and the opening every other op starts with. */
import { LocalFolderStorage, Repository, type Storage } from '../../src-engine/index';
import type { JobOutcome, JobRequest, RepoLocation } from '../../src-shared/job-protocol';
import { emptyOutcome } from '../services/backup/engine-runner';
import type { JobContext } from './job-context';

export function storageFor(location: RepoLocation): Storage {
  switch (location.kind) {
    case 'local':
      return new LocalFolderStorage(location.path);
  }
}

export async function openRepository(request: JobRequest, ctx: JobContext): Promise<Repository> {
  const repo = await Repository.open(storageFor(request.repo), request.password);
  ctx.throwIfCancelled();
  return repo;
}

export async function initOp(
  request: Extract<JobRequest, { op: 'init' }>,
  ctx: JobContext,
): Promise<JobOutcome> {
  const repo = await Repository.init(storageFor(request.repo), request.password);
  ctx.log('info', null, `Created a new vault at ${request.repo.path}.`);
  return {
    ...emptyOutcome('success', `Created a new vault at ${request.repo.path}.`, null),
    value: { repositoryId: repo.config.id },
  };
}

export async function openOp(
  request: Extract<JobRequest, { op: 'open' }>,
  ctx: JobContext,
): Promise<JobOutcome> {
  const repo = await openRepository(request, ctx);
  return {
    ...emptyOutcome('success', `Opened the vault at ${request.repo.path}.`, null),
    value: { repositoryId: repo.config.id },
  };
}
