/** `backup PATH...`: save a snapshot; exit 3 when some files could not be read or kept changing. */
import { problemsLeaveRunIncomplete } from '../../src-shared/engine-records';
import { backup, type BackupProgress } from '../backup/backup';
import { flag, flags, has, UsageError } from './args';
import type { RepositoryCommand } from './command';
import { countKinds, EXIT, fmtBytes, fmtEta, shortId, type Output } from './output';

function showProgress(out: Output, pr: BackupProgress): void {
  if (pr.phase === 'scan') {
    out.progress(`scanning: ${pr.filesTotal} files, ${fmtBytes(pr.bytesTotal)}`);
    return;
  }
  const pct = pr.bytesTotal ? Math.min(100, (pr.bytesDone / pr.bytesTotal) * 100) : 100;
  const w = 20;
  const fill = Math.round((pct / 100) * w);
  out.progress(
    `[${'#'.repeat(fill)}${'.'.repeat(w - fill)}] ${pct.toFixed(0)}% ${pr.filesDone}/${pr.filesTotal} files ` +
      `${fmtBytes(pr.bytesDone)}/${fmtBytes(pr.bytesTotal)} ${fmtBytes(pr.rate)}/s ETA ${fmtEta(pr.eta)} ${pr.currentFile}`,
  );
}

export const backupCommand: RepositoryCommand = {
  name: 'backup',
  usage: 'backup PATH... [--exclude PATTERN]... [--tag TAG]... [--host NAME] [--parent ID | --force]',
  flags: { value: ['exclude', 'tag', 'host', 'parent'], bool: ['force'] },
  opensRepository: true,
  async run({ repo, args, out, signal, breakLock }) {
    if (args.positional.length === 0) throw new UsageError('backup needs at least one PATH');
    if (has(args, 'force') && has(args, 'parent'))
      throw new UsageError('--force and --parent exclude each other');
    const r = await backup(repo, {
      paths: args.positional,
      excludes: flags(args, 'exclude') ?? [],
      tags: flags(args, 'tag') ?? [],
      host: flag(args, 'host'),
      parent: has(args, 'force') ? null : flag(args, 'parent'),
      breakLock,
      signal,
      onProblem: (p) => out.fileProblem(p),
      onProgress: (pr) => showProgress(out, pr),
    });
    out.endProgress();
    const s = r.snapshot.summary;
    const n = countKinds(r.problems);
    const lines = [
      `snapshot ${shortId(r.snapshotId)} saved${r.snapshot.partial ? ' (PARTIAL: some files could not be read)' : ''}`,
      `files: ${s.filesNew} new, ${s.filesChanged} changed, ${s.filesUnmodified} unmodified; ${s.dirs} dirs`,
      `read ${fmtBytes(s.bytesProcessed)}, added ${fmtBytes(s.bytesAdded)} to the repository in ${(s.durationMs / 1000).toFixed(1)} s`,
    ];
    if (n['not-stored']) lines.push(`${n['not-stored']} paths left out or incomplete (listed above)`);
    if (n.changed)
      lines.push(`${n.changed} files changed while they were read: stored as read, listed above`);
    if (n.metadata) lines.push(`${n.metadata} paths stored without some of their metadata (listed above)`);
    if (n.note) lines.push(`${n.note} notes (above); nothing is missing for them`);
    out.result(lines.join('\n'), { id: r.snapshotId, ...r.snapshot, problems: r.problems });
    const incomplete = problemsLeaveRunIncomplete(r.problems);
    return incomplete ? EXIT.incomplete : EXIT.ok;
  },
};
