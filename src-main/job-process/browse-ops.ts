/**
 * The restore wizard's questions: which snapshots are there (newest first, each with its file count
 * and size), and what one folder of a snapshot holds (one level, for lazy browsing).
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
import { formatCount } from './format';
import type { JobContext } from './job-context';
import { openRepository } from './repository-ops';

interface TreeTotals {
  files: number;
  bytes: number;
}

/** Files and bytes under each tree, memoised by tree id: snapshots share unchanged folders. */
async function treeTotals(
  repo: Repository,
  treeId: string,
  memo: Map<string, TreeTotals>,
): Promise<TreeTotals> {
  const known = memo.get(treeId);
  if (known) return known;
  const t: TreeTotals = { files: 0, bytes: 0 };
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

export async function snapshotsOp(
  request: Extract<JobRequest, { op: 'snapshots' }>,
  ctx: JobContext,
): Promise<JobOutcome> {
  const repo = await openRepository(request, ctx);
  await repo.loadIndex({ recover: false });
  const all = (await repo.listSnapshots()).filter(
    (s) => request.tag === undefined || s.tags.includes(request.tag),
  );
  const memo = new Map<string, TreeTotals>();
  const snapshots: SnapshotInfo[] = [];
  for (const s of all.reverse()) {
    ctx.throwIfCancelled();
    const totals = await treeTotals(repo, s.tree, memo);
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
  return {
    ...emptyOutcome('success', `${formatCount(snapshots.length, 'backup')} in the vault.`, null),
    value: { op: 'snapshots', snapshots },
  };
}

/**
 * One folder of a snapshot. The engine's listTree walks everything under the path; browsing needs one
 * level, so this follows the path down the trees and lists the one it reaches.
 */
export async function lsOp(request: Extract<JobRequest, { op: 'ls' }>, ctx: JobContext): Promise<JobOutcome> {
  const repo = await openRepository(request, ctx);
  await repo.loadIndex({ recover: false });
  const snap = await repo.findSnapshot(request.snapshotId);
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
