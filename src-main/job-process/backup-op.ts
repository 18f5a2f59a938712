/**
 * Backup: the engine scans first (totals for the progress bar), then saves. Each file it cannot read
 * is reported with its path and reason and counted; the snapshot is then partial and the job ends with
 * status 'warning', as it does when a file changed while it was read. Stale locks left by a crashed
 * job are broken (a dead process on this host, or not refreshed for 30 minutes); a live lock fails the
 * job with 'locked'.
 *
 * Once the snapshot is saved, its phases run in this same process with the repository already open
 * (one key derivation, one index): the clean-up of old backups (the item's retention policy), then
 * the search index (the vault's file catalogue). A phase that fails leaves the backup saved: the job
 * ends 'warning', saying which phase failed and why; a cancel during a phase stops the phases.
 */
import { backup, type BackupProgress, type Repository } from '../../src-engine/index';
import type { BackupPhase, JobOutcome, JobRequest } from '../../src-shared/job-protocol';
import { formatBytes, formatCount } from '../../src-shared/units';
import { transferProgress, type JobContext } from './job-context';
import { repoPlace } from '../../src-shared/repo-location';
import { openRepository } from './repository-ops';
import { updateCatalogue } from './catalogue-op';
import { describeFailure } from './failure';
import { applyRetention } from './retention-op';

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
  const phases = await runPhases(repo, request, ctx);
  const phaseFailed = phases.find((p) => p.status === 'failed');
  for (const p of phases) if (p.status !== 'success') message += ` ${p.message}`;
  return {
    status: incomplete || phaseFailed ? 'warning' : 'success',
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
    value: {
      op: 'backup',
      filesNew: s.filesNew,
      filesChanged: s.filesChanged,
      filesUnmodified: s.filesUnmodified,
      phases,
    },
  };
}

const PHASE_NAMES: Record<BackupPhase['phase'], string> = {
  retention: 'The clean-up of old backups',
  catalogue: 'The search index update',
};

/** The phases asked for, in order; each one's failure is its record, never the backup's. */
async function runPhases(
  repo: Repository,
  request: Extract<JobRequest, { op: 'backup' }>,
  ctx: JobContext,
): Promise<BackupPhase[]> {
  const phases: BackupPhase[] = [];
  const run = async (phase: BackupPhase['phase'], body: () => Promise<string>): Promise<boolean> => {
    try {
      ctx.throwIfCancelled();
      phases.push({ phase, status: 'success', message: await body() });
      return true;
    } catch (err) {
      const f = describeFailure(err, request);
      const message =
        f.status === 'cancelled'
          ? `${PHASE_NAMES[phase]} was cancelled.`
          : `${PHASE_NAMES[phase]} failed: ${f.message}`;
      ctx.log(f.status === 'cancelled' ? 'info' : 'error', null, message);
      phases.push({ phase, status: f.status, message });
      return f.status !== 'cancelled';
    }
  };
  let goOn = true;
  if (request.retention) {
    const retention = request.retention;
    goOn = await run('retention', async () => {
      const r = await applyRetention(repo, retention, ctx);
      // Prune rewrote the index: what is in memory may name packs that are gone.
      if (r.forgotten > 0 && retention.prune) repo.clearIndex();
      return r.message;
    });
  }
  if (goOn && request.catalogueFile !== undefined) {
    const file = request.catalogueFile;
    await run('catalogue', async () => {
      await repo.loadIndex({ recover: false });
      return (await updateCatalogue(repo, file, false, ctx)).message;
    });
  }
  return phases;
}
