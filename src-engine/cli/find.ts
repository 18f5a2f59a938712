/**
 * `find PATTERN`: every path matching PATTERN in the chosen snapshots, grouped by path and then by
 * version (distinct content). Exit 1 when nothing matches. `--json` prints the `FindResult` (see
 * src-engine/query/find.ts and README: one object `{ pattern, snapshotsSearched, snapshotsMatching,
 * treesSearched, matches: [{ path, pathBytes?, versions: [{ contentKey, type, size?, mtime,
 * snapshots: [{ id, time }] }] }], unreadable }`).
 */
import { EngineError } from '../errors';
import { findInSnapshots, type FoundPath, type FoundVersion, type SnapshotRef } from '../query/find';
import { selectSnapshots } from '../query/snapshot-filter';
import { flags, has, UsageError, type Parsed } from './args';
import type { RepositoryCommand } from './command';
import { EXIT, fmtBytes, shortId } from './output';

const when = (r: SnapshotRef): string => `${r.time.replace('T', ' ').slice(0, 19)} (${shortId(r.id)})`;

function versionLine(v: FoundVersion): string {
  const what = v.type === 'file' ? `file ${fmtBytes(v.size ?? 0)}` : v.type;
  const first = v.snapshots[0]!;
  const last = v.snapshots[v.snapshots.length - 1]!;
  const kept =
    v.snapshots.length === 1
      ? `in 1 snapshot, ${when(first)}`
      : `kept in ${v.snapshots.length} snapshots, from ${when(first)} to ${when(last)}`;
  return `  ${what}, modified ${v.mtime.replace('T', ' ').slice(0, 19)}, ${kept}`;
}

function pathBlock(m: FoundPath): string {
  return [m.path, ...m.versions.map(versionLine)].join('\n');
}

/** The snapshot filters find (and other commands over many snapshots) take. */
export function snapshotFilterOf(args: Parsed) {
  return {
    ids: flags(args, 'snapshot'),
    hosts: flags(args, 'host'),
    tags: flags(args, 'tag'),
    paths: flags(args, 'path'),
  };
}

export const findCommand: RepositoryCommand = {
  name: 'find',
  usage:
    'find PATTERN [--exact] [--snapshot ID]... [--host NAME]... [--tag TAG]... [--path PATH]...\n' +
    '                                       every version of matching files in every snapshot\n' +
    '                                       (case and accents ignored unless --exact)',
  flags: { value: ['snapshot', 'host', 'tag', 'path'], bool: ['exact'] },
  opensRepository: true,
  async run({ repo, args, out, signal }) {
    const pattern = args.positional[0];
    if (pattern === undefined || pattern === '') throw new UsageError('find needs a PATTERN');
    if (args.positional.length > 1)
      throw new UsageError('find takes one PATTERN (quote it so the shell does not expand * and ?)');
    await repo.loadIndex({ recover: false });
    const snapshots = await selectSnapshots(repo, snapshotFilterOf(args));
    if (snapshots.length === 0) throw new EngineError('NOT_FOUND', 'no snapshots to search');
    const r = await findInSnapshots(repo, pattern, {
      snapshots,
      exact: has(args, 'exact'),
      signal,
      onProgress: (d, t) => out.progress(`searching snapshot ${d}/${t}`),
    });
    out.endProgress();
    for (const u of r.unreadable) out.notice(`warning: not searched: ${u}`);
    if (r.matches.length === 0) {
      throw new EngineError(
        'NOT_FOUND',
        `nothing matches "${pattern}" in ${r.snapshotsSearched} snapshot${r.snapshotsSearched === 1 ? '' : 's'}`,
      );
    }
    const versions = r.matches.reduce((n, m) => n + m.versions.length, 0);
    out.result(
      `${r.matches.map(pathBlock).join('\n')}\n\n` +
        `${r.matches.length} path${r.matches.length === 1 ? '' : 's'}, ${versions} version${versions === 1 ? '' : 's'}, ` +
        `in ${r.snapshotsMatching} of ${r.snapshotsSearched} snapshots`,
      r,
    );
    return EXIT.ok;
  },
};
