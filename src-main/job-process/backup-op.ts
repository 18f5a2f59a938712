/**
 * Backup: the engine scans first (totals for the progress bar), then saves. Each file it cannot read
 * is logged with its path and reason and counted; the snapshot is then partial and the job ends with
 * status 'warning', as it does when a file changed while it was read. Stale locks left by a crashed
 * job are broken (a dead process on this host, or not refreshed for 30 minutes); a live lock fails the
 * job with 'locked'.
 */
import { backup, type BackupProgress } from '../../src-engine/index';
import type { JobOutcome, JobRequest } from '../../src-shared/job-protocol';
import { formatBytes, formatCount } from './format';
import { transferProgress, type JobContext } from './job-context';
import { repoPlace } from '../services/backup/repo-location';
import { openRepository } from './repository-ops';

export async function backupOp(
  request: Extract<JobRequest, { op: 'backup' }>,
  ctx: JobContext,
): Promise<JobOutcome> {
  const repo = await openRepository(request, ctx);
  ctx.log('info', null, `Backing up ${request.paths.join(', ')} to the vault ${repoPlace(request.repo)}.`);
  let scanLogged = false;
  const { snapshotId, snapshot, problems } = await backup(repo, {
    paths: request.paths,
    excludes: request.excludes,
    tags: request.tags,
    host: request.host,
    breakLock: true,
    signal: ctx.signal,
    onProblem: (p) => ctx.engineProblem(p),
    onProgress: (p: BackupProgress) => {
      if (p.phase !== 'scan' && !scanLogged) {
        scanLogged = true;
        ctx.log(
          'info',
          null,
          `Found ${formatCount(p.filesTotal, 'file')} (${formatBytes(p.bytesTotal)}) to back up.`,
        );
      }
      ctx.progress(transferProgress(p.phase, p));
    },
  });
  const s = snapshot.summary;
  const files = s.filesNew + s.filesChanged + s.filesUnmodified;
  const totals = ctx.countsSoFar();
  const failed = ctx.filesFailed;
  const summary =
    `${formatCount(files, 'file')} in snapshot ${snapshotId.slice(0, 8)}: ` +
    `${formatBytes(s.bytesProcessed)} read, ${formatBytes(s.bytesAdded)} added to the vault`;
  const changed = problems.filter((p) => p.kind === 'changed').length;
  const incomplete = snapshot.partial || changed > 0;
  let message = `Backed up ${summary}.`;
  if (snapshot.partial)
    message += ` ${formatCount(failed, 'file')} could not be read and ${failed === 1 ? 'is' : 'are'} not in this backup (see the log).`;
  if (changed > 0)
    message += ` ${formatCount(changed, 'file')} changed while ${changed === 1 ? 'it was' : 'they were'} read: stored as read (see the log).`;
  ctx.log(incomplete ? 'warning' : 'info', null, message);
  return {
    status: incomplete ? 'warning' : 'success',
    message,
    errorCode: null,
    snapshotId,
    filesTotal: totals.filesTotal,
    filesDone: files,
    filesFailed: failed,
    bytesTotal: totals.bytesTotal,
    bytesDone: s.bytesProcessed,
    bytesAdded: s.bytesAdded,
    filesNew: s.filesNew,
    filesChanged: s.filesChanged,
    value: null,
  };
}
