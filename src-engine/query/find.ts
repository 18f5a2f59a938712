/**
 * Finding files and folders across snapshots: every path matching a pattern, with its versions (one per
 * distinct content, not per snapshot). Each distinct tree is searched once however many snapshots hold
 * it: its matches are kept as a small shared structure (matching entries and the subfolders that hold
 * some), so 100 snapshots of a mostly unchanged tree cost little more than one plus the changes.
 */
import { contentKey } from './content-key';
import { compileFindPattern, type FindPattern } from './find-pattern';
import type { FsPath } from '../fs/fs-names';
import type { Repository, Snapshot } from '../repository/repository';
import type { NodeType, TreeNode } from '../repository/tree';
import { childFsPath, childPath, nsToIso } from './walk';

export interface SnapshotRef {
  id: string;
  time: string;
}

export interface FoundVersion {
  /** See `contentKey`. */
  contentKey: string;
  type: NodeType;
  /** Files: the size in bytes. */
  size?: number;
  /** The modification time in the first snapshot holding this version (ISO 8601). */
  mtime: string;
  /** The snapshots holding this version at this path, oldest first. */
  snapshots: SnapshotRef[];
}

export interface FoundPath {
  /** The snapshot path, printable (see `WalkEntry.path`). */
  path: string;
  /** Only when the path is not valid UTF-8: its exact bytes, base64 (`restore --include` takes `path`). */
  pathBytes?: string;
  /** Oldest first (by the first snapshot holding each); a content that comes back is one version. */
  versions: FoundVersion[];
}

export interface FindResult {
  pattern: string;
  /** How many snapshots were searched, and how many of them hold at least one match. */
  snapshotsSearched: number;
  snapshotsMatching: number;
  /** Distinct trees read (each searched once). */
  treesSearched: number;
  /** Sorted by path. */
  matches: FoundPath[];
  /** Folders whose contents could not be read ("snapshot 0a1b2c3d: /path: why"); the rest was searched. */
  unreadable: string[];
}

export interface FindOptions {
  /** The snapshots to search, oldest first (default: every readable one; see `selectSnapshots`). */
  snapshots?: (Snapshot & { id: string })[];
  /** Compare case and accents exactly (see `compileFindPattern`). */
  exact?: boolean;
  signal?: AbortSignal;
  onProgress?: (snapshotsDone: number, snapshotsTotal: number) => void;
}

/** A matching entry of one tree, with its content key worked out once. */
interface Hit {
  node: TreeNode;
  key: string;
}

/** What one tree holds that matches: its own entries, and subfolders with matches below them. */
interface TreeHits {
  hits: Hit[];
  dirs: { node: TreeNode; sub: TreeHits }[];
}

interface VersionAcc {
  version: FoundVersion;
  lastSnapshot: number;
}

interface PathAcc {
  path: string;
  pathBytes?: string;
  versions: Map<string, VersionAcc>;
}

class TreeSearch {
  /** By tree id (by folder path and tree id for a path pattern); null: nothing matches below it. */
  private readonly memo = new Map<string, TreeHits | null>();
  readonly unreadable: string[] = [];
  treesSearched = 0;

  constructor(
    private readonly repo: Repository,
    private readonly pattern: FindPattern,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async search(treeId: string, dir: string, snapshotId: string): Promise<TreeHits | null> {
    const memoKey = this.pattern.byPath ? `${dir}\0${treeId}` : treeId;
    const known = this.memo.get(memoKey);
    if (known !== undefined) return known;
    this.signal?.throwIfAborted();
    let nodes: TreeNode[];
    try {
      nodes = (await this.repo.readTree(treeId, { keep: false })).nodes;
    } catch (err) {
      this.unreadable.push(`snapshot ${snapshotId.slice(0, 8)}: ${dir}: ${(err as Error).message}`);
      return null;
    }
    this.treesSearched++;
    const hits: Hit[] = [];
    const dirs: TreeHits['dirs'] = [];
    for (const n of nodes) {
      const p = this.pattern.byPath ? childPath(dir, n.name) : '';
      if (this.pattern.matches(n.name, p)) hits.push({ node: n, key: contentKey(n) });
      if (n.type === 'dir' && n.subtree) {
        const sub = await this.search(n.subtree, p || childPath(dir, n.name), snapshotId);
        if (sub) dirs.push({ node: n, sub });
      }
    }
    const result = hits.length || dirs.length ? { hits, dirs } : null;
    this.memo.set(memoKey, result);
    return result;
  }
}

/** Every path matching `pattern` in the chosen snapshots, grouped by path and then by version. */
export async function findInSnapshots(
  repo: Repository,
  pattern: string,
  opts: FindOptions = {},
): Promise<FindResult> {
  const compiled = compileFindPattern(pattern, { exact: opts.exact });
  await repo.loadIndex({ recover: false });
  const snaps = opts.snapshots ?? (await repo.listSnapshots());
  const search = new TreeSearch(repo, compiled, opts.signal);
  const found = new Map<string, PathAcc>();
  let matching = 0;
  for (const [i, snap] of snaps.entries()) {
    const top = await search.search(snap.tree, '/', snap.id);
    if (top) {
      matching++;
      const ref = { id: snap.id, time: snap.time };
      const record = (dir: string, fsDir: FsPath, t: TreeHits): void => {
        for (const h of t.hits) {
          const p = childPath(dir, h.node.name);
          const fsp = childFsPath(fsDir, h.node);
          const pathKey = typeof fsp === 'string' ? fsp : `\0${fsp.toString('base64')}`;
          let acc = found.get(pathKey);
          if (!acc) {
            acc = {
              path: p,
              ...(typeof fsp === 'string' ? {} : { pathBytes: fsp.toString('base64') }),
              versions: new Map(),
            };
            found.set(pathKey, acc);
          }
          const v = acc.versions.get(h.key);
          // A name listed twice in one (crafted) tree counts once per snapshot.
          if (v?.lastSnapshot === i) continue;
          if (v) {
            v.version.snapshots.push(ref);
            v.lastSnapshot = i;
          } else {
            acc.versions.set(h.key, {
              lastSnapshot: i,
              version: {
                contentKey: h.key,
                type: h.node.type,
                ...(h.node.type === 'file' ? { size: h.node.size ?? 0 } : {}),
                mtime: nsToIso(h.node.mtimeNs),
                snapshots: [ref],
              },
            });
          }
        }
        for (const d of t.dirs) record(childPath(dir, d.node.name), childFsPath(fsDir, d.node), d.sub);
      };
      record('/', '/', top);
    }
    opts.onProgress?.(i + 1, snaps.length);
  }
  const matches = [...found.values()]
    .map((a) => ({
      path: a.path,
      ...(a.pathBytes !== undefined ? { pathBytes: a.pathBytes } : {}),
      versions: [...a.versions.values()].map((v) => v.version),
    }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    pattern,
    snapshotsSearched: snaps.length,
    snapshotsMatching: matching,
    treesSearched: search.treesSearched,
    matches,
    unreadable: search.unreadable,
  };
}
