/** `snapshots`: list snapshots, oldest first. */
import type { Snapshot } from '../repository/repository';
import { flag, flags } from './args';
import type { RepositoryCommand } from './command';
import { EXIT, shortId } from './output';

function line(s: Snapshot & { id: string }): string {
  const notes = [
    s.partial ? '(partial)' : '',
    s.repaired ? `(repaired from ${shortId(s.repaired.original)}: ${s.repaired.droppedCount} dropped)` : '',
  ].filter(Boolean);
  return `${shortId(s.id)}  ${s.time.replace('T', ' ').slice(0, 19)}  ${s.host}  ${s.tags.join(',') || '-'}  ${s.paths.join(' ')}${notes.length ? `  ${notes.join(' ')}` : ''}`;
}

export const snapshotsCommand: RepositoryCommand = {
  name: 'snapshots',
  usage: 'snapshots [--host NAME] [--tag TAG]    list snapshots, oldest first',
  flags: { value: ['host', 'tag'], bool: [] },
  opensRepository: true,
  async run({ repo, args, out }) {
    let snaps = await repo.listSnapshots();
    const host = flag(args, 'host');
    const tags = flags(args, 'tag');
    if (host) snaps = snaps.filter((s) => s.host === host);
    if (tags) snaps = snaps.filter((s) => tags.some((t) => s.tags.includes(t)));
    out.result(
      snaps.length
        ? `ID        Time                 Host  Tags  Paths\n${snaps.map(line).join('\n')}`
        : 'no snapshots',
      snaps,
    );
    return EXIT.ok;
  },
};
