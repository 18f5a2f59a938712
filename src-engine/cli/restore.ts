/** `restore SNAPSHOT --target DIR`: every path not restored is named with its reason, and exits 3. */
import path from 'node:path';
import { problemsLeaveRunIncomplete } from '../../src-shared/engine-records';
import { restore, type ConflictMode } from '../restore/restore';
import { flag, flags, UsageError } from './args';
import type { RepositoryCommand } from './command';
import { countKinds, EXIT, fmtBytes, fmtEta } from './output';

const CONFLICT_MODES: readonly string[] = ['skip', 'overwrite', 'keep-both'];

export const restoreCommand: RepositoryCommand = {
  name: 'restore',
  usage:
    'restore SNAPSHOT --target DIR [--include PATH]... [--strip-prefix FOLDER] [--conflict overwrite|skip|keep-both]',
  flags: { value: ['target', 'include', 'conflict', 'strip-prefix'], bool: [] },
  opensRepository: true,
  async run({ repo, args, out, signal, breakLock }) {
    const ref = args.positional[0];
    const target = flag(args, 'target');
    if (!ref) throw new UsageError('restore needs a SNAPSHOT (an id or "latest")');
    if (!target) throw new UsageError('restore needs --target DIR (use --target / for the original place)');
    const conflict = flag(args, 'conflict') ?? 'overwrite';
    if (!CONFLICT_MODES.includes(conflict))
      throw new UsageError('--conflict is overwrite, skip or keep-both');
    const r = await restore(repo, ref, {
      target,
      include: flags(args, 'include'),
      stripPrefix: flag(args, 'strip-prefix') ?? '/',
      conflict: conflict as ConflictMode,
      signal,
      breakLock,
      onProblem: (p) => out.fileProblem(p),
      onProgress: (pr) => {
        const pct = pr.bytesTotal ? Math.min(100, (pr.bytesDone / pr.bytesTotal) * 100) : 100;
        out.progress(
          `restoring ${pct.toFixed(0)}% ${pr.filesDone}/${pr.filesTotal} files ${fmtBytes(pr.bytesDone)}/${fmtBytes(pr.bytesTotal)} ${fmtBytes(pr.rate)}/s ETA ${fmtEta(pr.eta)}`,
        );
      },
    });
    out.endProgress();
    const n = countKinds(r.problems);
    out.result(
      `restored ${r.filesRestored} files (${fmtBytes(r.bytesRestored)}), ${r.dirs} dirs, ${r.symlinks} symlinks to ${path.resolve(target)}` +
        (r.filesSkipped ? `; skipped ${r.filesSkipped} existing files` : '') +
        (n['not-restored']
          ? `\nINCOMPLETE: ${n['not-restored']} paths were not restored (listed above)` +
            (r.filesNotRestored ? `, ${r.filesNotRestored} files in all` : '')
          : '') +
        (n.metadata
          ? `\n${n.metadata} paths were restored without some of their metadata (listed above)`
          : ''),
      r,
    );
    return problemsLeaveRunIncomplete(r.problems) ? EXIT.incomplete : EXIT.ok;
  },
};
