/**
 * `repair index [--read-all-packs]` and `repair snapshots [SNAPSHOT...]`, both with --dry-run: each prints
 * everything it dropped, so no repair loses anything without saying so.
 */
import {
  repairIndex,
  repairSnapshots,
  type RepairIndexResult,
  type RepairSnapshotsResult,
} from '../maintenance/repair';
import { has, UsageError } from './args';
import type { RepositoryCommand } from './command';
import { EXIT, shortId } from './output';

function indexReport(r: RepairIndexResult): string {
  const would = r.dryRun ? 'would ' : '';
  // Set-aside packs whose blobs were found through the index are reported with the salvaged ones.
  const salvaged = new Set(r.packsSalvaged.map((s) => s.pack));
  const unusable = r.packsSetAside.filter((u) => !salvaged.has(u.pack));
  const lines = [
    ...r.unreadableIndexFiles.map((f) => `index file ${f.slice(0, 16)} cannot be read: ${would}replace it`),
    ...r.packsAdded.map((p) => `pack ${p.slice(0, 16)} was in no index: ${would}add it from its header`),
    ...r.packsMissing.map(
      (p) => `DROPPED pack ${p.slice(0, 16)}: in the index but not in the repository; its blobs are lost`,
    ),
    ...unusable.map(
      (u) =>
        `DROPPED pack ${u.pack.slice(0, 16)}: ${u.reason}; none of its blobs can be used: ${would}set it aside (no command uses it; \`strongroom-backup prune\` deletes it)`,
    ),
    ...r.packsReindexed.map(
      (p) => `pack ${p.slice(0, 16)} does not match its index entry: ${would}index it from its header`,
    ),
    ...r.packsSalvaged.flatMap((s) => [
      s.setAside
        ? `damaged pack ${s.pack.slice(0, 16)}: its header cannot be read; ${would}copy its ${s.blobsCopied} intact blobs, found through the index, to a new pack and set it aside (\`strongroom-backup prune\` deletes it)`
        : `damaged pack ${s.pack.slice(0, 16)}: ${would}copy its ${s.blobsCopied} intact blobs to a new pack and remove it`,
      ...s.blobsLost.map(
        (b) => `DROPPED blob ${b.blob.slice(0, 16)} of pack ${s.pack.slice(0, 16)}: ${b.reason}`,
      ),
    ]),
  ];
  const lost =
    r.packsMissing.length + unusable.length + r.packsSalvaged.reduce((n, s) => n + s.blobsLost.length, 0);
  if (r.newIndex)
    lines.push(
      `wrote index ${r.newIndex.slice(0, 16)} (${r.packsIndexed} packs, ${r.blobsIndexed} blobs); removed ${r.indexFilesRemoved} old index files`,
    );
  else if (r.dryRun) lines.push(`would index ${r.packsIndexed} packs, ${r.blobsIndexed} blobs`);
  else
    lines.push(`the index is complete (${r.packsIndexed} packs, ${r.blobsIndexed} blobs); nothing to change`);
  if (lost > 0)
    lines.push(
      'snapshots that used what was dropped: run `strongroom-backup repair snapshots` (a backup of files that still exist stores them again)',
    );
  return lines.join('\n');
}

function snapshotsReport(r: RepairSnapshotsResult): string {
  const lines: string[] = [];
  for (const u of r.unreadableSnapshots) {
    lines.push(
      `snapshot file ${shortId(u.id)} cannot be read (${u.reason}): \`strongroom-backup forget ${shortId(u.id)}\` removes it`,
    );
  }
  for (const s of r.repaired) {
    if (s.alreadyReplacedBy) {
      lines.push(
        `snapshot ${shortId(s.id)} was already replaced by ${shortId(s.alreadyReplacedBy)} (an earlier repair stopped before removing it): ${r.dryRun ? 'would remove' : 'removed'} it`,
      );
      continue;
    }
    if (s.unrepairable) {
      lines.push(`snapshot ${shortId(s.id)}: ${s.unrepairable}`);
      continue;
    }
    lines.push(
      r.dryRun
        ? `snapshot ${shortId(s.id)}: would be rewritten without ${s.dropped.length} paths:`
        : `snapshot ${shortId(s.id)} replaced by ${shortId(s.newId ?? '')}, without ${s.dropped.length} paths:`,
    );
    lines.push(...s.dropped.map((d) => `  dropped ${d}`));
  }
  const changed = r.repaired.filter((s) => !s.unrepairable && !s.alreadyReplacedBy).length;
  lines.push(
    changed === 0
      ? `checked ${r.snapshotsChecked} snapshots: ${r.dryRun ? 'none would be' : 'none were'} modified`
      : `checked ${r.snapshotsChecked} snapshots: ${r.dryRun ? 'would modify' : 'modified'} ${changed}`,
  );
  return lines.join('\n');
}

export const repairCommand: RepositoryCommand = {
  name: 'repair',
  usage:
    'repair index [--read-all-packs] [--dry-run]   rebuild the index from the packs\n' +
    'repair snapshots [--dry-run] [SNAPSHOT...]    rewrite snapshots without what is lost',
  flags: { value: [], bool: ['read-all-packs', 'dry-run'] },
  opensRepository: true,
  async run({ repo, args, out, breakLock }) {
    const what = args.positional[0];
    const dryRun = has(args, 'dry-run');
    if (what === 'index') {
      if (args.positional.length > 1) throw new UsageError('repair index takes no arguments');
      const r = await repairIndex(repo, {
        readAllPacks: has(args, 'read-all-packs'),
        dryRun,
        breakLock,
        onProgress: (d, t) => out.progress(`reading packs ${d}/${t}`),
      });
      out.endProgress();
      out.result(indexReport(r), r);
      return EXIT.ok;
    }
    if (what === 'snapshots') {
      if (has(args, 'read-all-packs')) throw new UsageError('--read-all-packs belongs to repair index');
      const r = await repairSnapshots(repo, { snapshots: args.positional.slice(1), dryRun, breakLock });
      out.result(snapshotsReport(r), r);
      return EXIT.ok;
    }
    throw new UsageError('repair takes index or snapshots');
  },
};
