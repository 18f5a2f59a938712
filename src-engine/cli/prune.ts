/** `prune`: delete data no snapshot uses (exclusive lock); refuses while the index or a snapshot is unreadable. */
import { prune } from '../maintenance/prune';
import { has } from './args';
import type { RepositoryCommand } from './command';
import { EXIT, fmtBytes } from './output';

export const pruneCommand: RepositoryCommand = {
  name: 'prune',
  usage: 'prune [--dry-run]                      delete data no snapshot uses (exclusive lock)',
  flags: { value: [], bool: ['dry-run'] },
  opensRepository: true,
  async run({ repo, args, out, breakLock }) {
    const dry = has(args, 'dry-run');
    const r = await prune(repo, {
      dryRun: dry,
      breakLock,
      onProgress: (d, t) => out.progress(`repacking ${d}/${t}`),
    });
    out.endProgress();
    out.result(
      `${dry ? 'would delete' : 'deleted'} ${r.packsDeleted} packs, repacked ${r.packsRepacked} into ${r.packsWritten}, ` +
        `removed ${r.blobsRemoved} blobs, freed ${fmtBytes(Math.max(0, r.bytesFreed))}`,
      r,
    );
    return EXIT.ok;
  },
};
