/** Browsing a snapshot: every node under a path, depth first, with its snapshot path. */
import path from 'node:path';
import { EngineError } from '../errors';
import type { Repository } from '../repository/repository';
import type { TreeNode } from '../repository/tree';

export interface ListedNode {
  path: string;
  type: TreeNode['type'];
  mode: number;
  size?: number;
  mtime: string;
  target?: string;
}

export async function listTree(
  repo: Repository,
  treeId: string,
  under = '/',
  recursive = true,
): Promise<ListedNode[]> {
  const want = path.posix.normalize(`/${under}`).replace(/(.)\/$/, '$1');
  const out: ListedNode[] = [];
  let found = want === '/';
  const visit = async (id: string, dir: string): Promise<void> => {
    const tree = await repo.readTree(id);
    for (const n of tree.nodes) {
      const p = dir === '/' ? `/${n.name}` : `${dir}/${n.name}`;
      const inside = want === '/' || p === want || p.startsWith(`${want}/`);
      const above = want.startsWith(`${p}/`);
      if (!inside && !above) continue;
      if (p === want) found = true;
      if (inside && (recursive || path.posix.dirname(p) === want || p === want)) {
        out.push({
          path: p,
          type: n.type,
          mode: n.mode,
          ...(n.size !== undefined ? { size: n.size } : {}),
          mtime: new Date(Number(BigInt(n.mtimeNs) / 1_000_000n)).toISOString(),
          ...(n.target !== undefined ? { target: n.target } : {}),
        });
      }
      if (n.type === 'dir' && n.subtree) await visit(n.subtree, p);
    }
  };
  await repo.loadIndex({ recover: false });
  await visit(treeId, '/');
  if (!found) throw new EngineError('NOT_FOUND', `${want} is not in this snapshot`);
  return out;
}
