/** Choosing snapshots the way the commands do: by id (or `latest`), host, tag and backed-up path. */
import path from 'node:path';
import type { Repository, Snapshot } from '../repository/repository';

export interface SnapshotFilter {
  /** Ids, unique id prefixes or `latest`; each must name a snapshot. */
  ids?: string[];
  /** Snapshots of any of these hosts. */
  hosts?: string[];
  /** Snapshots holding any of these tags. */
  tags?: string[];
  /** Snapshots that backed up any of these paths (absolute, or resolved against the working folder). */
  paths?: string[];
}

/** The readable snapshots that pass every given filter, oldest first. */
export async function selectSnapshots(
  repo: Repository,
  filter: SnapshotFilter = {},
): Promise<(Snapshot & { id: string })[]> {
  const all = await repo.listSnapshots();
  let out = all;
  if (filter.ids?.length) {
    const ids = new Set<string>();
    for (const ref of filter.ids) ids.add((await repo.findSnapshot(ref, all)).id);
    out = out.filter((s) => ids.has(s.id));
  }
  const { hosts, tags } = filter;
  if (hosts?.length) out = out.filter((s) => hosts.includes(s.host));
  if (tags?.length) out = out.filter((s) => tags.some((t) => s.tags.includes(t)));
  if (filter.paths?.length) {
    const paths = filter.paths.map((p) => path.resolve(p));
    out = out.filter((s) => paths.some((p) => s.paths.includes(p)));
  }
  return out;
}
