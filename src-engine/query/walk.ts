/**
 * Walking a snapshot: every node of a tree, depth first, with its full snapshot path, one directory
 * listing in memory per level (never the whole snapshot). The caller can skip a directory's contents,
 * e.g. when its subtree id is one it has already seen: that is what makes cataloguing a snapshot where
 * little changed, or searching many snapshots of the same tree, cost little more than the changes.
 */
import type { FsPath } from '../fs/fs-names';
import type { Repository } from '../repository/repository';
import { nodeKey, nodeName, type NodeType, type TreeNode } from '../repository/tree';

export interface WalkEntry {
  /**
   * The snapshot path as `ls`, `find` and `restore --include` name it: `/` then the printable names
   * joined by `/` (a name that is not valid UTF-8 shows its other bytes as `\xNN`).
   */
  path: string;
  /** The exact path: equal to `path` when every name is valid UTF-8, else its bytes. */
  fsPath: FsPath;
  /** The printable name (the last part of `path`). */
  name: string;
  /** 1 for the entries of the root tree. */
  depth: number;
  type: NodeType;
  /** Files only: the size in bytes. */
  size: number | undefined;
  /** Modification time, nanoseconds since the epoch, decimal (negative before 1970). */
  mtimeNs: string;
  /** Directories only: the id of the tree that lists their contents. */
  subtree: string | undefined;
  /** The id of the tree this entry is listed in. */
  parentTree: string;
  /** The whole stored node (content blob ids, mode, owner, xattrs...); see `contentKey`. */
  node: TreeNode;
  /**
   * Directories: do not descend into this one (call before asking for the next entry). Its entry has
   * been seen; nothing below it will be.
   */
  skip(): void;
}

export interface WalkOptions {
  /**
   * A tree that cannot be read (damaged, missing from the index). Without this handler the walk throws;
   * with it the walk reports the directory (`path` is `/` for the root) and goes on without its contents.
   */
  onUnreadable?: (path: string, treeId: string, err: Error) => void;
  signal?: AbortSignal;
}

interface Level {
  nodes: TreeNode[];
  next: number;
  treeId: string;
  path: string;
  fsPath: FsPath;
  depth: number;
  seen: Set<string>;
}

/** `parent/name` for snapshot paths (the root is `/`). */
export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** The exact path of node `n` of the directory `parent`: a string while every name is UTF-8. */
export function childFsPath(parent: FsPath, n: TreeNode): FsPath {
  const name = nodeName(n);
  if (typeof parent === 'string' && typeof name === 'string') return childPath(parent, name);
  const p = Buffer.from(parent);
  return Buffer.concat([p, Buffer.from(p.length === 1 ? '' : '/'), Buffer.from(name)]);
}

/**
 * Every node under the tree `treeId` (a snapshot's `tree` for a whole snapshot), depth first, each
 * directory's entries in stored (byte) order, a directory before its contents. Each tree is read once
 * and not kept (only the repository's pack cache, at most 64 MiB, is shared between reads): memory stays
 * one listing per level of depth. Skip subtrees already seen to avoid reading them again.
 * A name listed twice in one tree (only a crafted tree has that) is yielded once, as restore does.
 */
export async function* walkTree(
  repo: Repository,
  treeId: string,
  opts: WalkOptions = {},
): AsyncGenerator<WalkEntry, void, undefined> {
  await repo.loadIndex({ recover: false });
  const stack: Level[] = [];
  const push = async (id: string, path: string, fsPath: FsPath, depth: number): Promise<void> => {
    opts.signal?.throwIfAborted();
    let nodes: TreeNode[];
    try {
      nodes = (await repo.readTree(id, { keep: false })).nodes;
    } catch (err) {
      if (!opts.onUnreadable) throw err;
      opts.onUnreadable(path, id, err as Error);
      return;
    }
    stack.push({ nodes, next: 0, treeId: id, path, fsPath, depth, seen: new Set() });
  };
  await push(treeId, '/', '/', 0);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next >= top.nodes.length) {
      stack.pop();
      continue;
    }
    const n = top.nodes[top.next++]!;
    const key = nodeKey(n);
    if (top.seen.has(key)) continue;
    top.seen.add(key);
    let skipped = false;
    const entry: WalkEntry = {
      path: childPath(top.path, n.name),
      fsPath: childFsPath(top.fsPath, n),
      name: n.name,
      depth: top.depth + 1,
      type: n.type,
      size: n.type === 'file' ? (n.size ?? 0) : undefined,
      mtimeNs: n.mtimeNs,
      subtree: n.type === 'dir' ? n.subtree : undefined,
      parentTree: top.treeId,
      node: n,
      skip: () => {
        skipped = true;
      },
    };
    yield entry;
    if (n.type === 'dir' && n.subtree && !skipped) {
      await push(n.subtree, entry.path, entry.fsPath, entry.depth);
    }
  }
}

/** A stored time (nanoseconds since the epoch, decimal) as an ISO 8601 string, to the millisecond. */
export function nsToIso(ns: string): string {
  return new Date(Number(BigInt(ns) / 1_000_000n)).toISOString();
}
