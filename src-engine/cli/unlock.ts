/** `unlock [--remove-all]`: remove stale locks, or every lock. */
import { describeLock, isStale } from '../repository/lock';
import { has } from './args';
import type { RepositoryCommand } from './command';
import { EXIT } from './output';

export const unlockCommand: RepositoryCommand = {
  name: 'unlock',
  usage: 'unlock [--remove-all]                  remove stale locks (or every lock)',
  flags: { value: [], bool: ['remove-all'] },
  opensRepository: true,
  async run({ repo, args, out }) {
    const all = has(args, 'remove-all');
    const removed: string[] = [];
    const kept: string[] = [];
    for (const id of await repo.listLocks()) {
      const info = await repo.readLock(id);
      if (all || !info || isStale(info)) {
        await repo.removeLock(id);
        removed.push(info ? describeLock(id, info) : `unreadable lock ${id.slice(0, 8)}`);
      } else kept.push(describeLock(id, info));
    }
    const text = [
      removed.length ? `removed ${removed.join('\nremoved ')}` : all ? 'no locks' : 'no stale locks',
      ...kept.map((k) => `kept ${k} (its holder is alive; --remove-all removes it)`),
    ];
    out.result(text.join('\n'), { removed, kept });
    return EXIT.ok;
  },
};
