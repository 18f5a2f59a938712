/** `ls SNAPSHOT [PATH]`: a snapshot's files, depth first. */
import { listTree, type ListedNode } from '../query/ls';
import { UsageError } from './args';
import type { RepositoryCommand } from './command';
import { EXIT } from './output';

function line(n: ListedNode): string {
  const kind = n.type === 'dir' ? 'd' : n.type === 'symlink' ? 'l' : '-';
  const mode = (n.mode & 0o7777).toString(8).padStart(4, '0');
  return `${kind} ${mode} ${String(n.size ?? '').padStart(12)} ${n.mtime}  ${n.path}${n.target !== undefined ? ` -> ${n.target}` : ''}`;
}

export const lsCommand: RepositoryCommand = {
  name: 'ls',
  usage: 'ls SNAPSHOT [PATH]                     list a snapshot\'s files ("latest" = newest snapshot)',
  flags: { value: [], bool: [] },
  opensRepository: true,
  async run({ repo, args, out }) {
    const ref = args.positional[0];
    if (!ref) throw new UsageError('ls needs a SNAPSHOT (an id or "latest")');
    await repo.loadIndex({ recover: false });
    const snap = await repo.findSnapshot(ref);
    const nodes = await listTree(repo, snap.tree, args.positional[1] ?? '/');
    out.result(nodes.map(line).join('\n'), { snapshot: snap.id, nodes });
    return EXIT.ok;
  },
};
