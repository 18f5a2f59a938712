/**
 * The restore wizard's questions: which snapshots are there (newest first, each with its file count
 * and size), and what one folder of a snapshot holds (one level, for lazy browsing). Both run on the
 * repository the process holds open (a session answers many of them with one key derivation).
 */
import path from 'node:path';
import type { Repository } from '../../src-engine/index';
import {
  emptyOutcome,
  type JobOutcome,
  type JobRequest,
  type LsEntry,
  type SnapshotInfo,
} from '../../src-shared/job-protocol';
import { formatCount } from '../../src-shared/units';
import type { JobContext } from './job-context';
import type { ListedSnapshot, RepositoryHolder, SnapshotTotals } from './opened-repository';
import { SnapshotTotalsCache } from './snapshot-totals-cache';

/** Files and bytes under each tree, memoised by tree id: snapshots share unchanged folders. */
async function treeTotals(
  repo: Repository,
  treeId: string,
  memo: Map<string, SnapshotTotals>,
): Promise<SnapshotTotals> {
  const known = memo.get(treeId);
  if (known) return known;
  const t: SnapshotTotals = { files: 0, bytes: 0 };
  for (const n of (await repo.readTree(treeId)).nodes) {
    if (n.type === 'file') {
      t.files++;
      t.bytes += n.size ?? 0;
    } else if (n.type === 'dir' && n.subtree) {
      const sub = await treeTotals(repo, n.subtree, memo);
      t.files += sub.files;
      t.bytes += sub.bytes;
    }
  }
  memo.set(treeId, t);
  return t;
}

/**
 * What the snapshot's summary says it holds; undefined when it does not say (made before the totals
 * were recorded) or cannot be trusted (a repair dropped paths after the backup counted them).
 */
function summaryTotals(s: ListedSnapshot): SnapshotTotals | undefined {
  const files = s.summary?.totalFilesProcessed;
  const bytes = s.summary?.totalBytesProcessed;
  if (s.repaired || typeof files !== 'number' || typeof bytes !== 'number') return undefined;
  return { files, bytes };
}

export async function snapshotsOp(
  request: Extract<JobRequest, { op: 'snapshots' }>,
  ctx: JobContext,
  held: RepositoryHolder,
): Promise<JobOutcome> {
  const opened = await held.open(request, ctx);
  const { repo } = opened;
  const listed = await opened.listSnapshots();
  const all = listed.filter((s) => request.tag === undefined || s.tags.includes(request.tag));
  const cache = request.totalsCacheDir
    ? new SnapshotTotalsCache(request.totalsCacheDir, repo.config.id)
    : undefined;
  const cached = cache?.read() ?? new Map<string, SnapshotTotals>();
  let walked = false;
  const memo = new Map<string, SnapshotTotals>();
  const snapshots: SnapshotInfo[] = [];
  for (const s of [...all].reverse()) {
    ctx.throwIfCancelled();
    let totals = summaryTotals(s) ?? opened.walkedTotals.get(s.id) ?? cached.get(s.id);
    if (!totals) {
      // Only now is the index needed: to find the trees of a snapshot that has no totals.
      await opened.currentIndex();
      totals = await treeTotals(repo, s.tree, memo);
      walked = true;
    }
    if (!summaryTotals(s)) opened.walkedTotals.set(s.id, totals);
    snapshots.push({
      id: s.id,
      time: s.time,
      host: s.host,
      paths: s.paths,
      tags: s.tags,
      files: totals.files,
      bytes: totals.bytes,
      partial: s.partial,
    });
  }
  if (cache) {
    // Kept: what this session knows of snapshots still in the repository (any tag), and nothing else.
    const present = new Set(listed.map((s) => s.id));
    const keep = new Map<string, SnapshotTotals>();
    for (const [id, t] of [...cached, ...opened.walkedTotals]) if (present.has(id)) keep.set(id, t);
    const stale = [...cached.keys()].some((id) => !present.has(id));
    if (walked || stale || keep.size !== cached.size) {
      try {
        cache.write(keep);
      } catch (err) {
        ctx.log(
          'warning',
          null,
          `The backups' sizes could not be kept for next time: ${(err as Error).message}`,
        );
      }
    }
  }
  // The list is shown; a backup chosen next is browsed with the index this reads meanwhile.
  opened.warmIndex();
  return {
    ...emptyOutcome('success', `${formatCount(snapshots.length, 'backup')} in the vault.`, null),
    value: { op: 'snapshots', snapshots },
  };
}

/**
 * One folder of a snapshot. The engine's listTree walks everything under the path; browsing needs one
 * level, so this follows the path down the trees and lists the one it reaches.
 */
export async function lsOp(
  request: Extract<JobRequest, { op: 'ls' }>,
  ctx: JobContext,
  held: RepositoryHolder,
): Promise<JobOutcome> {
  const opened = await held.open(request, ctx);
  const { repo } = opened;
  await opened.currentIndex();
  const snap = await repo.findSnapshot(request.snapshotId, await opened.listSnapshots());
  const folder = path.posix.normalize(`/${request.path}`).replace(/(.)\/$/, '$1');
  let tree = await repo.readTree(snap.tree);
  for (const name of folder.split('/').filter(Boolean)) {
    const node = tree.nodes.find((n) => n.name === name);
    if (node?.type !== 'dir' || !node.subtree) {
      return emptyOutcome('failed', `${folder} is not a folder in this backup.`, 'NOT_FOUND');
    }
    tree = await repo.readTree(node.subtree);
  }
  const entries: LsEntry[] = tree.nodes.map((n) => ({
    name: n.name,
    path: folder === '/' ? `/${n.name}` : `${folder}/${n.name}`,
    // FIFOs and device files are kept by the engine; the browser shows them as 'other'.
    type: n.type === 'file' || n.type === 'dir' || n.type === 'symlink' ? n.type : 'other',
    size: n.type === 'file' ? (n.size ?? 0) : null,
    mtime: new Date(Number(BigInt(n.mtimeNs) / 1_000_000n)).toISOString(),
  }));
  return {
    ...emptyOutcome('success', `${formatCount(entries.length, 'entry', 'entries')} in ${folder}.`, null),
    value: { op: 'ls', entries },
  };
}
