/**
 * `forget`: remove snapshots by policy (per host and paths) or by id, then optionally prune. With ids,
 * `--host` restricts which snapshots the ids may name (an id of another host is refused, nothing removed).
 */
import { EngineError } from '../errors';
import { applyPolicy, groupSnapshots, policyIsEmpty, type KeepPolicy } from '../maintenance/forget';
import { prune } from '../maintenance/prune';
import type { Repository, Snapshot } from '../repository/repository';
import { flag, flags, has, int, UsageError, type Parsed } from './args';
import type { RepositoryCommand } from './command';
import { EXIT, fmtBytes, shortId } from './output';

type Snap = Snapshot & { id: string };

function policyOf(args: Parsed): KeepPolicy {
  return {
    last: int(args, 'keep-last'),
    hourly: int(args, 'keep-hourly'),
    daily: int(args, 'keep-daily'),
    weekly: int(args, 'keep-weekly'),
    monthly: int(args, 'keep-monthly'),
    yearly: int(args, 'keep-yearly'),
    tags: flags(args, 'keep-tag'),
  };
}

/**
 * The snapshot files the given ids name. A readable snapshot of another host than `host` is refused; an
 * unreadable snapshot file can be removed by its id (there is nothing else to do with it), but not under
 * `--host`, which it cannot be shown to match.
 */
async function resolveIds(
  repo: Repository,
  refs: string[],
  all: Snap[],
  host: string | undefined,
): Promise<string[]> {
  const out: string[] = [];
  const inScope = host ? all.filter((s) => s.host === host) : all;
  for (const ref of refs) {
    try {
      out.push((await repo.findSnapshot(ref, inScope)).id);
      continue;
    } catch (err) {
      if (!(err instanceof EngineError) || (err.code !== 'NOT_FOUND' && err.code !== 'CORRUPT')) throw err;
      const elsewhere = host && ref !== 'latest' ? all.filter((s) => s.id.startsWith(ref)) : [];
      if (elsewhere.length === 1) {
        throw new EngineError(
          'INVALID_ARGUMENT',
          `snapshot ${shortId(elsewhere[0]!.id)} belongs to host ${elsewhere[0]!.host}, not ${host}; nothing was removed`,
        );
      }
      const unreadable = [...repo.unreadableSnapshots.keys()].filter((id) => id.startsWith(ref));
      if (unreadable.length === 1 && /^[0-9a-f]{4,64}$/.test(ref)) {
        if (host) {
          throw new EngineError(
            'INVALID_ARGUMENT',
            `snapshot file ${shortId(unreadable[0]!)} cannot be read, so it cannot be shown to belong to host ${host}; run forget without --host to remove it`,
          );
        }
        out.push(unreadable[0]!);
        continue;
      }
      throw err;
    }
  }
  return [...new Set(out)];
}

export const forgetCommand: RepositoryCommand = {
  name: 'forget',
  usage:
    'forget [--keep-last N] [--keep-hourly N] [--keep-daily N] [--keep-weekly N] [--keep-monthly N]\n' +
    '       [--keep-yearly N] [--keep-tag TAG]... [--host NAME] [--dry-run] [--prune] [SNAPSHOT...]',
  flags: {
    value: [
      'keep-last',
      'keep-hourly',
      'keep-daily',
      'keep-weekly',
      'keep-monthly',
      'keep-yearly',
      'keep-tag',
      'host',
    ],
    bool: ['dry-run', 'prune'],
  },
  opensRepository: true,
  async run({ repo, args, out, breakLock }) {
    const policy = policyOf(args);
    const byId = args.positional.length > 0;
    if (byId && !policyIsEmpty(policy))
      throw new UsageError('forget takes either SNAPSHOT ids or a --keep-* policy, not both');
    if (!byId && policyIsEmpty(policy))
      throw new UsageError('forget needs a --keep-* policy or SNAPSHOT ids; refusing to remove everything');
    const dry = has(args, 'dry-run');
    const host = flag(args, 'host');
    let removed: string[] = [];
    let kept: string[] = [];
    const lock = await repo.lock(true, 'forget', { breakStale: breakLock });
    try {
      const all = await repo.listSnapshots();
      const scope = host ? all.filter((s) => s.host === host) : all;
      if (byId) {
        removed = await resolveIds(repo, args.positional, all, host);
        kept = scope.map((s) => s.id).filter((id) => !removed.includes(id));
      } else {
        for (const g of groupSnapshots(scope).values()) {
          const r = applyPolicy(g, policy);
          removed.push(...r.remove.map((s) => s.id));
          kept.push(...r.keep.map((s) => s.id));
        }
      }
      if (!dry) for (const id of removed) await repo.removeSnapshot(id);
    } finally {
      await lock.release();
    }
    const scopeWord = host ? ` of host ${host}` : '';
    out.result(
      `${dry ? 'would remove' : 'removed'} ${removed.length} snapshots${scopeWord}${removed.length ? `: ${removed.map(shortId).join(' ')}` : ''}; kept ${kept.length}`,
      { removed, kept, dryRun: dry },
    );
    if (has(args, 'prune') && !dry) {
      const r = await prune(repo, { breakLock });
      out.result(
        `prune: deleted ${r.packsDeleted} packs, repacked ${r.packsRepacked}, freed ${fmtBytes(r.bytesFreed)}`,
        {
          prune: r,
        },
      );
    }
    return EXIT.ok;
  },
};
