/**
 * What changed between two snapshots: entries added, removed, modified (content or type) and changed
 * in metadata only. Both trees are walked side by side and a subtree with the same id on both sides is
 * skipped unread, so the cost follows the changes, not the size of the snapshots.
 */
import { contentKey } from './content-key';
import type { FsPath } from '../fs/fs-names';
import type { Repository } from '../repository/repository';
import { nodeKey, type NodeType, type TreeNode } from '../repository/tree';
import { childFsPath, childPath, nsToIso, walkTree } from './walk';

/**
 * `added` (+), `removed` (-), `modified` (M: the content key changed), `type` (T: a file became a folder
 * or a link...), `metadata` (U: same content, other mode, owner, modification time or extended attributes).
 */
export type ChangeKind = 'added' | 'removed' | 'modified' | 'type' | 'metadata';

export interface DiffSide {
  type: NodeType;
  /** Files: the size in bytes. */
  size?: number;
  mode: number;
  mtime: string;
  contentKey: string;
}

export interface DiffChange {
  kind: ChangeKind;
  /** The snapshot path, printable (see `WalkEntry.path`). */
  path: string;
  /** Only when the path is not valid UTF-8: its exact bytes, base64. */
  pathBytes?: string;
  /** The entry in the first snapshot (absent when added). */
  before?: DiffSide;
  /** The entry in the second snapshot (absent when removed). */
  after?: DiffSide;
}

export interface DiffCounts {
  added: number;
  removed: number;
  /** Content or type changed. */
  modified: number;
  /** Metadata only. */
  metadata: number;
}

export interface DiffSummary {
  files: DiffCounts;
  dirs: DiffCounts;
  /** Symlinks and special files. */
  others: DiffCounts;
  /**
   * Stored data (uncompressed blob sizes) the second snapshot's changed files hold that the first one's
   * changed files do not, and the reverse; like restic diff's "Added" and "Removed".
   */
  bytesAdded: number;
  bytesRemoved: number;
}

export interface DiffOptions {
  signal?: AbortSignal;
}

const emptyCounts = (): DiffCounts => ({ added: 0, removed: 0, modified: 0, metadata: 0 });

export function emptySummary(): DiffSummary {
  return { files: emptyCounts(), dirs: emptyCounts(), others: emptyCounts(), bytesAdded: 0, bytesRemoved: 0 };
}

function side(n: TreeNode): DiffSide {
  return {
    type: n.type,
    ...(n.type === 'file' ? { size: n.size ?? 0 } : {}),
    mode: n.mode,
    mtime: nsToIso(n.mtimeNs),
    contentKey: contentKey(n),
  };
}

function sameMetadata(a: TreeNode, b: TreeNode): boolean {
  return (
    a.mode === b.mode &&
    a.mtimeNs === b.mtimeNs &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    JSON.stringify(a.xattrs ?? []) === JSON.stringify(b.xattrs ?? [])
  );
}

function change(kind: ChangeKind, p: string, fsp: FsPath, before?: TreeNode, after?: TreeNode): DiffChange {
  return {
    kind,
    path: p,
    ...(typeof fsp === 'string' ? {} : { pathBytes: fsp.toString('base64') }),
    ...(before ? { before: side(before) } : {}),
    ...(after ? { after: side(after) } : {}),
  };
}

/**
 * The changes from tree `fromTree` to tree `toTree` (snapshots' `tree`s), depth first in name order, a
 * folder's own change before its contents. Everything under an added or removed folder is listed.
 * `summary` (when given) is filled in as the changes are yielded, and complete when the walk ends.
 */
export async function* diffTrees(
  repo: Repository,
  fromTree: string,
  toTree: string,
  summary: DiffSummary = emptySummary(),
  opts: DiffOptions = {},
): AsyncGenerator<DiffChange, void, undefined> {
  await repo.loadIndex({ recover: false });
  const blobsBefore = new Set<string>();
  const blobsAfter = new Set<string>();
  const count = (kind: ChangeKind, type: NodeType): void => {
    const c = type === 'file' ? summary.files : type === 'dir' ? summary.dirs : summary.others;
    if (kind === 'type') c.modified++;
    else c[kind]++;
  };

  /** An added or removed entry (unless `self` is false), and everything below it when it is a folder. */
  async function* whole(
    kind: 'added' | 'removed',
    p: string,
    fsp: FsPath,
    n: TreeNode,
    self = true,
  ): AsyncGenerator<DiffChange> {
    const blobs = kind === 'added' ? blobsAfter : blobsBefore;
    const one = (q: string, fq: FsPath, m: TreeNode): DiffChange => {
      count(kind, m.type);
      for (const b of m.content ?? []) blobs.add(b);
      return kind === 'added' ? change(kind, q, fq, undefined, m) : change(kind, q, fq, m, undefined);
    };
    if (self) yield one(p, fsp, n);
    if (n.type !== 'dir' || !n.subtree) return;
    for await (const e of walkTree(repo, n.subtree, { signal: opts.signal })) {
      yield one(childPath(p, e.path.slice(1)), joinFs(fsp, e.fsPath), e.node);
    }
  }

  async function* compare(a: string, b: string, dir: string, fsDir: FsPath): AsyncGenerator<DiffChange> {
    if (a === b) return;
    opts.signal?.throwIfAborted();
    const [ta, tb] = await Promise.all([
      repo.readTree(a, { keep: false }),
      repo.readTree(b, { keep: false }),
    ]);
    const before = new Map(ta.nodes.map((n) => [nodeKey(n), n]));
    const after = new Map(tb.nodes.map((n) => [nodeKey(n), n]));
    const keys = [...new Set([...before.keys(), ...after.keys()])].sort((x, y) => {
      const nx = (before.get(x) ?? after.get(x))!.name;
      const ny = (before.get(y) ?? after.get(y))!.name;
      return nx < ny ? -1 : nx > ny ? 1 : x < y ? -1 : x > y ? 1 : 0;
    });
    for (const k of keys) {
      const x = before.get(k);
      const y = after.get(k);
      const n = (x ?? y)!;
      const p = childPath(dir, n.name);
      const fsp = childFsPath(fsDir, n);
      if (!y) {
        yield* whole('removed', p, fsp, x!);
        continue;
      }
      if (!x) {
        yield* whole('added', p, fsp, y);
        continue;
      }
      if (x.type !== y.type) {
        // The old entry goes (with its contents, if a folder), the new one comes: both are listed below it.
        count('type', y.type);
        for (const bl of x.content ?? []) blobsBefore.add(bl);
        for (const bl of y.content ?? []) blobsAfter.add(bl);
        yield change('type', p, fsp, x, y);
        yield* whole('removed', p, fsp, x, false);
        yield* whole('added', p, fsp, y, false);
        continue;
      }
      if (x.type === 'dir') {
        if (!sameMetadata(x, y)) {
          count('metadata', 'dir');
          yield change('metadata', p, fsp, x, y);
        }
        if (x.subtree && y.subtree) yield* compare(x.subtree, y.subtree, p, fsp);
        else {
          yield* whole('removed', p, fsp, x, false);
          yield* whole('added', p, fsp, y, false);
        }
        continue;
      }
      if (contentKey(x) !== contentKey(y)) {
        count('modified', y.type);
        for (const bl of x.content ?? []) blobsBefore.add(bl);
        for (const bl of y.content ?? []) blobsAfter.add(bl);
        yield change('modified', p, fsp, x, y);
      } else if (!sameMetadata(x, y)) {
        count('metadata', y.type);
        yield change('metadata', p, fsp, x, y);
      }
    }
  }

  yield* compare(fromTree, toTree, '/', '/');
  const size = (id: string): number => repo.index.get(id)?.rawLength ?? 0;
  for (const b of blobsAfter) if (!blobsBefore.has(b)) summary.bytesAdded += size(b);
  for (const b of blobsBefore) if (!blobsAfter.has(b)) summary.bytesRemoved += size(b);
}

/** `base` joined with a walk's path below it (which starts with `/`). */
function joinFs(base: FsPath, below: FsPath): FsPath {
  if (typeof base === 'string' && typeof below === 'string') return base === '/' ? below : `${base}${below}`;
  return Buffer.concat([Buffer.from(base === '/' ? '' : base), Buffer.from(below)]);
}
