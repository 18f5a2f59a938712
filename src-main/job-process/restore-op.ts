/**
 * Restore: the chosen paths of a snapshot (or everything) into a folder ("/" puts files back where they
 * were). Files already there are overwritten, skipped or kept beside the restored copy. Each file that
 * could not be written is logged with its path and reason; the job then ends with status 'warning'
 * and says how many. A damaged pack fails the job, after everything else was restored. Into a folder,
 * the selection must fit there first (restore-space.ts), unless the person chose to restore what fits.
 * With `saveAs` it is "Save a copy as…" (save-copy-op.ts): one file, to exactly that path.
 */
import path from 'node:path';
import { restore } from '../../src-engine/index';
import {
  emptyOutcome,
  KEPT_BOTH_SHOWN,
  type JobOutcome,
  type JobRequest,
} from '../../src-shared/job-protocol';
import { formatBytes, formatCount } from '../../src-shared/units';
import { transferProgress, type JobContext } from './job-context';
import { openRepository } from './repository-ops';
import { tooLittleSpace, type RestoreSpace } from './restore-space';
import { saveCopyOp } from './save-copy-op';

export async function restoreOp(
  request: Extract<JobRequest, { op: 'restore' }>,
  ctx: JobContext,
): Promise<JobOutcome> {
  if (request.saveAs !== undefined) return saveCopyOp(request, request.saveAs, ctx);
  const repo = await openRepository(request, ctx);
  const stripPrefix =
    request.stripPrefix === undefined
      ? undefined
      : coveringFolder(request.stripPrefix, (await repo.findSnapshot(request.snapshotId)).paths);
  if (request.target !== '/' && request.whenTooLittleSpace !== 'restore-what-fits') {
    const space = await tooLittleSpace(repo, request, ctx.signal);
    if (space) return tooLittleSpaceOutcome(request, space, ctx);
  }
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
    ...(stripPrefix !== undefined ? { stripPrefix } : {}),
    breakLock: true,
    signal: ctx.signal,
    onProblem: (p) => ctx.engineProblem(p),
    onProgress: (p) => ctx.progress(transferProgress('restore', p)),
  });
  const totals = ctx.countsSoFar();
  const failed = ctx.filesFailed;
  const parts = [
    `Restored ${formatCount(r.filesRestored, 'file')} (${formatBytes(r.bytesRestored)}) to ${request.target === '/' ? (r.filesRestored === 1 ? 'its original location' : 'their original location') : request.target}`,
  ];
  if (r.filesSkipped > 0)
    parts.push(
      `${formatCount(r.filesSkipped, 'file')} already there ${r.filesSkipped === 1 ? 'was' : 'were'} skipped`,
    );
  if (failed > 0) parts.push(`${formatCount(failed, 'file')} could not be restored (see the log)`);
  const renamed =
    r.keptBoth.length === 1
      ? ` Restored as “${path.basename(r.keptBoth[0]!.restoredAs)}” beside the file that was there.`
      : r.keptBoth.length > 1
        ? ` ${r.keptBoth.length} files were restored under new names beside the files that were there.`
        : '';
  const message = `${parts.join('; ')}.${renamed}`;
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
    value: {
      op: 'restore',
      target: request.target,
      keptBoth: r.keptBoth.slice(0, KEPT_BOTH_SHOWN),
      keptBothCount: r.keptBoth.length,
    },
  };
}

/** Nothing written: the selection does not fit in the folder. The person chooses what happens next. */
function tooLittleSpaceOutcome(
  request: Extract<JobRequest, { op: 'restore' }>,
  space: RestoreSpace,
  ctx: JobContext,
): JobOutcome {
  const message =
    `Not enough space: the files chosen need ${formatBytes(space.neededBytes)} and ${request.target} has ` +
    `${formatBytes(space.freeBytes)} free. Nothing was restored: choose another folder, or restore what ` +
    `fits (each file that does not fit is named).`;
  ctx.log('error', null, message);
  return {
    ...emptyOutcome('failed', message, 'DISK_FULL'),
    snapshotId: request.snapshotId,
    value: { op: 'restore', target: request.target, keptBoth: [], keptBothCount: 0, tooLittleSpace: space },
  };
}

/**
 * `prefix`, or the nearest folder above it that holds every one of the snapshot's paths: the item's
 * folders may have changed since this backup, and a path outside the prefix would not be restored.
 */
export function coveringFolder(prefix: string, snapshotPaths: string[]): string {
  let root = path.posix.resolve(prefix);
  for (const p of snapshotPaths.map((s) => path.posix.resolve(s))) {
    while (root !== '/' && p !== root && !p.startsWith(`${root}/`)) root = path.posix.dirname(root);
  }
  return root;
}
