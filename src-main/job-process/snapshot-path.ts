/** Following a snapshot path down its trees, for the ops that look at one entry or one folder. */
import path from 'node:path';
import type { Repository } from '../../src-engine/index';
import type { TreeNode } from '../../src-engine/repository/tree';

/** "/a/b/" and "a//b" -> "/a/b"; "" -> "/". */
export function normaliseSnapshotPath(p: string): string {
  return path.posix.normalize(`/${p}`).replace(/(.)\/$/, '$1');
}

/** The node at `snapshotPath` under the tree `rootTree`, or null when the snapshot does not hold it. */
export async function findNode(
  repo: Repository,
  rootTree: string,
  snapshotPath: string,
): Promise<TreeNode | null> {
  const names = normaliseSnapshotPath(snapshotPath).split('/').filter(Boolean);
  let tree = await repo.readTree(rootTree);
  for (let i = 0; i < names.length; i++) {
    const node = tree.nodes.find((n) => n.name === names[i]);
    if (!node) return null;
    if (i === names.length - 1) return node;
    if (node.type !== 'dir' || !node.subtree) return null;
    tree = await repo.readTree(node.subtree);
  }
  return null;
}
