/**
 * `diff SNAPSHOT1 SNAPSHOT2`: what changed from the first to the second, like restic diff: one line per
 * change (`+` added, `-` removed, `M` content modified, `T` type changed, `U` metadata only, shown with
 * --metadata), folders with a trailing `/`, then a summary. `--json` prints one object `{ from, to,
 * changes: DiffChange[], summary: DiffSummary }` (see src-engine/query/diff.ts).
 */
import { diffTrees, emptySummary, type ChangeKind, type DiffChange, type DiffCounts } from '../query/diff';
import { has, UsageError } from './args';
import type { RepositoryCommand } from './command';
import { EXIT, fmtBytes, shortId } from './output';

const MARK: Record<ChangeKind, string> = {
  added: '+',
  removed: '-',
  modified: 'M',
  type: 'T',
  metadata: 'U',
};

function line(c: DiffChange): string {
  const isDir = (c.after ?? c.before)!.type === 'dir';
  return `${MARK[c.kind]}    ${c.path}${isDir ? '/' : ''}`;
}

const counts = (c: DiffCounts): string =>
  `${c.added} new, ${c.removed} removed, ${c.modified} changed, ${c.metadata} metadata only`;

export const diffCommand: RepositoryCommand = {
  name: 'diff',
  usage: 'diff SNAPSHOT1 SNAPSHOT2 [--metadata]    what changed between two snapshots (U lines: --metadata)',
  flags: { value: [], bool: ['metadata'] },
  opensRepository: true,
  async run({ repo, args, io, out, signal }) {
    if (args.positional.length !== 2) throw new UsageError('diff needs two SNAPSHOTs (ids or "latest")');
    await repo.loadIndex({ recover: false });
    const all = await repo.listSnapshots();
    const from = await repo.findSnapshot(args.positional[0]!, all);
    const to = await repo.findSnapshot(args.positional[1]!, all);
    const withMetadata = has(args, 'metadata');
    const summary = emptySummary();
    const changes: DiffChange[] = [];
    let shown = 0;
    if (!out.json) io.stdout.write(`comparing snapshot ${shortId(from.id)} to ${shortId(to.id)}:\n\n`);
    for await (const c of diffTrees(repo, from.tree, to.tree, summary, { signal })) {
      if (c.kind === 'metadata' && !withMetadata) continue;
      shown++;
      // Text streams; --json is one object, so it is gathered.
      if (out.json) changes.push(c);
      else io.stdout.write(`${line(c)}\n`);
    }
    out.result(
      `${shown === 0 ? 'no differences\n' : ''}\nFiles:   ${counts(summary.files)}\nDirs:    ${counts(summary.dirs)}\nOthers:  ${counts(summary.others)}\n` +
        `Added:   ${fmtBytes(summary.bytesAdded)}\nRemoved: ${fmtBytes(summary.bytesRemoved)}`,
      { from: { id: from.id, time: from.time }, to: { id: to.id, time: to.time }, changes, summary },
    );
    return EXIT.ok;
  },
};
