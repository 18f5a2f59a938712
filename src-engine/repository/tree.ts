/** Tree objects: one JSON blob per directory, nodes sorted by name, so an unchanged directory keeps its id. */
import type { FsPath } from '../fs/fs-names';
import type { Xattr } from '../fs/fs-xattrs';

/** `fifo`, `chardev` and `blockdev` are special files (with `rdev` for devices); older trees have none. */
export type NodeType = 'file' | 'dir' | 'symlink' | 'fifo' | 'chardev' | 'blockdev';

export interface TreeNode {
  /** The name; for a name that is not valid UTF-8, a printable form (see `nameBytes`). */
  name: string;
  /** Only for a name that is not valid UTF-8: its exact bytes, base64. Restore uses these. */
  nameBytes?: string;
  type: NodeType;
  mode: number;
  /** Nanoseconds since the epoch, as decimal strings (beyond Number's exact range). */
  mtimeNs: string;
  ctimeNs: string;
  inode: string;
  uid: number;
  gid: number;
  /** file */
  size?: number;
  content?: string[];
  /** dir */
  subtree?: string;
  /** symlink */
  target?: string;
  /** symlink whose target is not valid UTF-8: its exact bytes, base64 (`target` is then printable). */
  targetBytes?: string;
  /** chardev, blockdev: the device number (st_rdev), decimal. */
  rdev?: string;
  /** Extended attributes (ACLs included), sorted by name; absent when there are none. */
  xattrs?: Xattr[];
  /**
   * file with more than one hard link at backup time: "dev:inode". Restore links the files of one
   * snapshot that share it instead of writing the data twice.
   */
  hardlink?: string;
}

export interface Tree {
  nodes: TreeNode[];
}

/** The order of nodes in an encoded tree: by name (a stable sort keeps ties as given). */
export function sortNodes(nodes: TreeNode[]): TreeNode[] {
  return [...nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function encodeTree(tree: Tree): Buffer {
  return Buffer.from(JSON.stringify({ nodes: sortNodes(tree.nodes) }));
}

export function decodeTree(buf: Buffer, where: string): Tree {
  const t = JSON.parse(buf.toString('utf8')) as Tree;
  if (!t || !Array.isArray(t.nodes)) throw new Error(`${where}: not a tree`);
  for (const n of t.nodes) {
    // Names come from the repository: refuse any that could escape the restore target.
    const bytes = typeof n.nameBytes === 'string' ? Buffer.from(n.nameBytes, 'base64') : undefined;
    if (typeof n.name !== 'string' || !safeName(n.name) || (bytes && !safeName(bytes.toString('latin1')))) {
      throw new Error(`${where}: invalid entry name ${JSON.stringify(n.name)}`);
    }
  }
  return t;
}

function safeName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

/** The name as the file system takes it: its stored bytes when it has them, else the string. */
export function nodeName(n: TreeNode): FsPath {
  return n.nameBytes !== undefined ? Buffer.from(n.nameBytes, 'base64') : n.name;
}

/** A symlink's target as the file system takes it. */
export function nodeTarget(n: TreeNode): FsPath {
  return n.targetBytes !== undefined ? Buffer.from(n.targetBytes, 'base64') : (n.target ?? '');
}

/** A key that tells two entries of one tree apart even when their printable names coincide. */
export function nodeKey(n: TreeNode): string {
  return n.nameBytes !== undefined ? `\0${n.nameBytes}` : n.name;
}
