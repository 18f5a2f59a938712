/**
 * Retention: forget the snapshots of one protected item (its tag) that the keep policy does not keep,
 * then (optionally) prune the data no snapshot uses any more. As in restic, the policy applies per
 * host and set of paths, so one computer's policy never removes another's backups. Forget holds an
 * exclusive lock; prune takes its own. Stale locks of a crashed job are broken.
 */
import { applyPolicy, groupSnapshots, policyIsEmpty, prune, type KeepPolicy } from '../../src-engine/index';
import type { JobOutcome, JobRequest } from '../../src-shared/job-protocol';
import { emptyOutcome } from '../services/backup/engine-runner';
import { formatBytes, formatCount } from './format';
import type { JobContext } from './job-context';
import { openRepository } from './repository-ops';

export async function retentionOp(
  request: Extract<JobRequest, { op: 'retention' }>,
  ctx: JobContext,
): Promise<JobOutcome> {
  const policy: KeepPolicy = { ...request.policy };
  if (policyIsEmpty(policy)) {
    return emptyOutcome(
      'failed',
      'The retention policy keeps nothing; refusing to remove every backup (choose "Keep everything" instead).',
      'invalid_argument',
    );
  }
  const repo = await openRepository(request, ctx);
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
    const mine = (await repo.listSnapshots()).filter((s) => s.tags.includes(request.tag));
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
  if (request.prune && removed.length > 0) {
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
        (request.prune ? `, freed ${formatBytes(prunedBytes)}.` : '.');
  ctx.log('info', null, message);
  return {
    ...emptyOutcome('success', message, null),
    filesTotal: removed.length,
    filesDone: removed.length,
    value: { forgotten: removed.length, kept, prunedBytes },
  };
}
