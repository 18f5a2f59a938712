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
  // Verify reports damaged files in its own result.
  return request.op === 'verify' ? outcome : withVaultDamage(outcome, ctx.vaultFilesDamaged);
}

/**
 * A job that skipped damaged files of the vault says so, and is at best a warning: what those files
 * held (a backup record, where some data is) may be missing, and Verify tells what.
 */
function withVaultDamage(outcome: JobOutcome, damaged: number): JobOutcome {
  if (damaged === 0) return outcome;
  const files =
    damaged === 1
      ? '1 file of the vault could not be read and was skipped'
      : `${damaged} files of the vault could not be read and were skipped`;
  return {
    ...outcome,
    status: outcome.status === 'success' ? 'warning' : outcome.status,
    message: `${outcome.message} ${files} (see the log): Verify the vault to find out what ${damaged === 1 ? 'it affects' : 'they affect'}.`,
  };
}
