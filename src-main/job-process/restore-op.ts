/**
 * Restore: the chosen paths of a snapshot (or everything) into a folder ("/" puts files back where they
 * were). Files already there are overwritten, skipped or kept beside the restored copy. Each file that
 * could not be written is logged with its path and reason; the job then ends with status 'warning'
 * and says how many. A damaged pack fails the job, after everything else was restored.
 * With `saveAs` it is "Save a copy as…" (save-copy-op.ts): one file, to exactly that path.
 */
import { restore } from '../../src-engine/index';
import type { JobOutcome, JobRequest } from '../../src-shared/job-protocol';
import { formatBytes, formatCount } from './format';
import { transferProgress, type JobContext } from './job-context';
import { openRepository } from './repository-ops';
import { saveCopyOp } from './save-copy-op';

export async function restoreOp(
  request: Extract<JobRequest, { op: 'restore' }>,
  ctx: JobContext,
): Promise<JobOutcome> {
  if (request.saveAs !== undefined) return saveCopyOp(request, request.saveAs, ctx);
  const repo = await openRepository(request, ctx);
  const what = request.include.length > 0 ? request.include.join(', ') : 'everything';
  ctx.log(
    'info',
    null,
    `Restoring ${what} from snapshot ${request.snapshotId.slice(0, 8)} to ${request.target}.`,
  );
  const r = await restore(repo, request.snapshotId, {
    target: request.target,
    include: request.include,
    conflict: request.conflict,
    breakLock: true,
    signal: ctx.signal,
    onProblem: (p) => ctx.engineProblem(p),
    onProgress: (p) => ctx.progress(transferProgress('restore', p)),
  });
  const totals = ctx.countsSoFar();
  const failed = ctx.filesFailed;
  const parts = [
    `Restored ${formatCount(r.filesRestored, 'file')} (${formatBytes(r.bytesRestored)}) to ${request.target}`,
  ];
  if (r.filesSkipped > 0)
    parts.push(
      `${formatCount(r.filesSkipped, 'file')} already there ${r.filesSkipped === 1 ? 'was' : 'were'} skipped`,
    );
  if (failed > 0) parts.push(`${formatCount(failed, 'file')} could not be restored (see the log)`);
  const message = `${parts.join('; ')}.`;
  ctx.log(failed > 0 ? 'warning' : 'info', null, message);
  return {
    status: failed > 0 ? 'warning' : 'success',
    message,
    errorCode: null,
    snapshotId: request.snapshotId,
    filesTotal: Math.max(totals.filesTotal, r.filesRestored + r.filesSkipped + failed),
    filesDone: r.filesRestored,
    filesFailed: failed,
    bytesTotal: totals.bytesTotal,
    bytesDone: r.bytesRestored,
    bytesAdded: 0,
    value: null,
  };
}
