/**
 * Runs one request on the engine and always answers an outcome: an operation's own result, or its
 * failure in words (describeFailure) with the counts it reached. Never throws.
 */
import type { JobOutcome, JobRequest } from '../../src-shared/job-protocol';
import { accountSlotOp } from './account-slot-op';
import { backupOp } from './backup-op';
import { lsOp, snapshotsOp } from './browse-ops';
import { catalogueOp } from './catalogue-op';
import { describeFailure, failureOutcome } from './failure';
import { openDriveOp } from './open-drive-op';
import type { JobContext } from './job-context';
import type { RepositoryHolder } from './opened-repository';
import { initOp, openOp, rekeyOp } from './repository-ops';
import { restoreOp } from './restore-op';
import { retentionOp } from './retention-op';
import { verifyOp } from './verify-op';

function dispatch(request: JobRequest, ctx: JobContext, held: RepositoryHolder): Promise<JobOutcome> {
  switch (request.op) {
    case 'init':
      return initOp(request, ctx);
    case 'open':
      return openOp(request, ctx);
    case 'backup':
      return backupOp(request, ctx);
    case 'restore':
      return restoreOp(request, ctx);
    case 'verify':
      return verifyOp(request, ctx);
    case 'retention':
      return retentionOp(request, ctx);
    case 'snapshots':
      return snapshotsOp(request, ctx, held);
    case 'ls':
      return lsOp(request, ctx, held);
    case 'catalogue':
      return catalogueOp(request, ctx);
    case 'accountSlot':
      return accountSlotOp(request, ctx);
    case 'rekey':
      return rekeyOp(request, ctx);
    case 'openDrive':
      return openDriveOp(request, ctx);
  }
}

/** `held`: the repository the process keeps open between requests (the queries use it). */
export async function runJob(
  request: JobRequest,
  ctx: JobContext,
  held: RepositoryHolder,
): Promise<JobOutcome> {
  let outcome: JobOutcome;
  try {
    outcome = await dispatch(request, ctx, held);
  } catch (err) {
    const failure = describeFailure(err, request);
    ctx.log(failure.status === 'cancelled' ? 'info' : 'error', null, failure.message);
    outcome = failureOutcome(failure, ctx.countsSoFar());
  }
  ctx.flushProgress();
  return outcome;
}
