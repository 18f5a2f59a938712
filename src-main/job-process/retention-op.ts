/**
 * Retention: forget the snapshots of one protected item (its tag) that the keep policy does not keep,
 * then (optionally) prune the data no snapshot uses any more. As in restic, the policy applies per
 * host and set of paths, so one computer's policy never removes another's backups. Forget holds an
 * exclusive lock; prune takes its own. Stale locks of a crashed job are broken.
 */
import {
  EngineError,
  applyPolicy,
  groupSnapshots,
  policyIsEmpty,
  prune,
  type KeepPolicy,
  type Repository,
} from '../../src-engine/index';
import { emptyOutcome, type JobOutcome, type JobRequest } from '../../src-shared/job-protocol';
import { formatBytes, formatCount } from '../../src-shared/units';
import type { JobContext } from './job-context';
import { openRepository } from './repository-ops';

export async function retentionOp(
  request: Extract<JobRequest, { op: 'retention' }>,
  ctx: JobContext,
): Promise<JobOutcome> {
  if (policyIsEmpty({ ...request.policy })) return emptyOutcome('failed', KEEPS_NOTHING, 'INVALID_ARGUMENT');
  const repo = await openRepository(request, ctx);
  const r = await applyRetention(repo, request, ctx);
  return {
    ...emptyOutcome('success', r.message, null),
    filesTotal: r.forgotten,
    filesDone: r.forgotten,
    value: { op: 'retention', forgotten: r.forgotten, kept: r.kept, prunedBytes: r.prunedBytes },
  };
}

const KEEPS_NOTHING =
  'The retention policy keeps nothing; refusing to remove every backup (choose "Keep everything" instead).';

export interface RetentionParams {
  /** Only snapshots with this tag are considered ("item:<id>"). */
  tag: string;
  policy: KeepPolicy;
  prune: boolean;
}

export interface RetentionResult {
  forgotten: number;
  kept: number;
  prunedBytes: number;
  /** What was done, in one sentence (also the last line logged). */
  message: string;
}

/**
 * Forgets what the policy does not keep in an opened repository, then prunes: the `retention` op, and
 * the clean-up phase of a backup. Throws an EngineError (INVALID_ARGUMENT for a policy that keeps
 * nothing, CANCELLED, or the repository's own) when it cannot.
 */
export async function applyRetention(
  repo: Repository,
  params: RetentionParams,
  ctx: JobContext,
): Promise<RetentionResult> {
  const policy: KeepPolicy = { ...params.policy };
  if (policyIsEmpty(policy)) throw new EngineError('INVALID_ARGUMENT', KEEPS_NOTHING);
  const progress = (done: number, total: number) =>
    ctx.progress({
      phase: 'retention',
      filesDone: done,
      filesTotal: total,
      bytesDone: 0,
      bytesTotal: 0,
      currentFile: null,
      rate: 0,
      eta: null,
    });

  const removed: string[] = [];
  let kept = 0;
  const lock = await repo.lock(true, 'forget', { breakStale: true });
  try {
    const mine = (await repo.listSnapshots()).filter((s) => s.tags.includes(params.tag));
    for (const group of groupSnapshots(mine).values()) {
      const r = applyPolicy(group, policy);
      removed.push(...r.remove.map((s) => s.id));
      kept += r.keep.length;
    }
    progress(0, removed.length);
    for (const [i, id] of removed.entries()) {
      ctx.throwIfCancelled();
      await repo.removeSnapshot(id);
      ctx.log('info', null, `Removed snapshot ${id.slice(0, 8)} (not kept by the retention policy).`);
      progress(i + 1, removed.length);
    }
  } finally {
    await lock.release();
  }

  let prunedBytes = 0;
  if (params.prune && removed.length > 0) {
    const r = await prune(repo, {
      breakLock: true,
      // Prune deletes nothing until its new index is written, so stopping between packs is safe.
      onProgress: (done, total) => {
        ctx.throwIfCancelled();
        progress(done, total);
      },
    });
    prunedBytes = Math.max(0, r.bytesFreed);
    ctx.log(
      'info',
      null,
      `Pruned ${formatCount(r.packsDeleted, 'pack')}, freed ${formatBytes(prunedBytes)}.`,
    );
  }
  const message =
    removed.length === 0
      ? `Retention: nothing to remove; ${formatCount(kept, 'backup')} kept.`
      : `Retention: removed ${formatCount(removed.length, 'backup')}, kept ${kept}` +
        (params.prune ? `, freed ${formatBytes(prunedBytes)}.` : '.');
  ctx.log('info', null, message);
  return { forgotten: removed.length, kept, prunedBytes, message };
}
