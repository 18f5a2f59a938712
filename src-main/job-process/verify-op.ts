/**
 * Verify: the structure of the vault (every index, pack header, snapshot and folder listing decrypts
 * and agrees), and with readData every byte of every pack. Problems are logged one by one, with the
 * snapshots and files a damaged pack affects; the job then fails with errorCode 'CORRUPT'.
 */
import { check } from '../../src-engine/index';
import { emptyOutcome, type JobOutcome, type JobRequest } from '../../src-shared/job-protocol';
import { formatBytes, formatCount } from '../../src-shared/units';
import type { JobContext } from './job-context';
import { openRepository } from './repository-ops';

export async function verifyOp(
  request: Extract<JobRequest, { op: 'verify' }>,
  ctx: JobContext,
): Promise<JobOutcome> {
  const repo = await openRepository(request, ctx);
  const started = Date.now();
  let packBytes = 0;
  const result = await check(repo, {
    readDataPercent: request.readData ? 100 : 0,
    breakLock: true,
    // check takes no signal; its progress callback is where a cancel can stop it between packs.
    onProgress: (done, total, phase) => {
      ctx.throwIfCancelled();
      if (packBytes === 0)
        for (const entries of repo.packs.values()) for (const e of entries) packBytes += e.length;
      // Progress counts packs; bytes are estimated from the share of packs done.
      const bytesDone = total > 0 ? Math.round((packBytes * done) / total) : 0;
      const secs = (Date.now() - started) / 1000;
      const rate = phase === 'read-data' && secs > 0 ? bytesDone / secs : 0;
      ctx.progress({
        phase: 'verify',
        filesDone: done,
        filesTotal: total,
        bytesDone,
        bytesTotal: packBytes,
        currentFile: null,
        rate,
        eta: rate > 0 ? (packBytes - bytesDone) / rate : null,
      });
    },
  });
  for (const w of result.warnings) ctx.log('warning', null, w);
  for (const e of result.errors) ctx.log('error', null, e);
  for (const d of result.damagedPacks) {
    for (const l of d.lost)
      ctx.log(
        'error',
        l.path,
        `${l.kind === 'folder' ? 'folder lost' : 'lost'} to damaged pack ${d.pack.slice(0, 16)} (snapshots ${l.snapshots.map((s) => s.slice(0, 8)).join(', ')})`,
      );
    if (d.lostCount > d.lost.length)
      ctx.log(
        'error',
        null,
        `damaged pack ${d.pack.slice(0, 16)}: and ${d.lostCount - d.lost.length} more paths`,
      );
  }
  const scope = request.readData
    ? `${formatCount(result.packsRead, 'pack')} (${formatBytes(packBytes)}) read in full`
    : 'structure checked';
  const counts = {
    filesTotal: result.packsChecked,
    filesDone: result.packsChecked,
    bytesTotal: request.readData ? packBytes : 0,
    bytesDone: request.readData ? packBytes : 0,
  };
  if (!result.ok) {
    const first = result.errors[0] ?? 'damaged data';
    const more =
      result.errors.length > 1 ? ` (and ${result.errors.length - 1} more; see the log)` : ' (see the log)';
    return {
      ...emptyOutcome('failed', `Verify found problems in the vault: ${first}${more}.`, 'CORRUPT'),
      ...counts,
      filesFailed: result.damagedPacks.length,
    };
  }
  const message = `Verified the vault: ${formatCount(result.snapshots, 'snapshot')}, ${formatCount(result.packsChecked, 'pack')}, ${scope}; no problems found.`;
  ctx.log('info', null, message);
  return { ...emptyOutcome('success', message, null), ...counts };
}
