/** Tree objects: one JSON blob per directory, nodes sorted by name, so an unchanged directory keeps its id. */
export type NodeType = 'file' | 'dir' | 'symlink';

export interface TreeNode {
  name: string;
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
  /**
   * file with more than one hard link at backup time: "dev:inode". Restore links the files of one
   * snapshot that share it instead of writing the data twice.
   */
  hardlink?: string;
}

export interface Tree {
  nodes: TreeNode[];
}

export function encodeTree(tree: Tree): Buffer {
  const nodes = [...tree.nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return Buffer.from(JSON.stringify({ nodes }));
}

export function decodeTree(buf: Buffer, where: string): Tree {
  const t = JSON.parse(buf.toString('utf8')) as Tree;
  if (!t || !Array.isArray(t.nodes)) throw new Error(`${where}: not a tree`);
  for (const n of t.nodes) {
    // Names come from the repository: refuse any that could escape the restore target.
    if (
      typeof n.name !== 'string' ||
      n.name === '' ||
      n.name === '.' ||
      n.name === '..' ||
      n.name.includes('/') ||
      n.name.includes('\0')
    ) {
      throw new Error(`${where}: invalid entry name ${JSON.stringify(n.name)}`);
    }
  }
  return t;
}
