/**
 * Backup's save phase: turns the scanned tree into tree blobs, bottom-up, comparing each folder with the
 * parent snapshot's. A file whose size, mtime, ctime and inode match the parent's reuses its blob list
 * unread; a folder whose every node comes out exactly as the parent's reuses the parent's tree id,
 * with nothing encoded or hashed.
 *
 * Folders are taken in turn only while their files are handed to the file saver (one at a time, in scan
 * order); the rest overlaps, so the workers read the next folders' files while earlier folders are being
 * finished. Each folder settles all its children before it settles itself, so after a failure nothing
 * runs on behind the caller's back.
 */
import { displayName, joinPath, type FsPath } from './fs-names';
import type { Repository } from './repository';
import type { BackupPacks } from './backup-packs';
import type { BackupReport } from './backup-report';
import type { NodeMeta, ScanDir } from './backup-scan';
import type { FileSaver } from './backup-files';
import { BackupXattrs } from './backup-xattrs';
import type { Xattr } from './fs-xattrs';
import { HeapBudget } from './memory';
import { nodeKey, sortNodes, type Tree, type TreeNode } from './tree';

interface Subdir {
  entry: ScanDir;
  node: TreeNode;
  prevId: string | undefined;
  path: FsPath;
}

/** A folder once its files are handed out: what is left to wait for. */
interface Dispatched {
  /** Dirs, symlinks and special files, then files, in scan order (encodeTree sorts by name). */
  nodes: (TreeNode | Promise<TreeNode | undefined>)[];
  subdirs: Subdir[];
  /** Attributes read for the entries at these positions of `nodes`. */
  xattrs: Promise<(Xattr[] | undefined)[]>;
  xattrAt: number[];
  prevTree: Tree | undefined;
}

const heap = new HeapBudget();

export class TreeSaver {
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly repo: Repository,
    private readonly packs: BackupPacks,
    private readonly files: FileSaver,
    private readonly xattrs: BackupXattrs,
    private readonly report: BackupReport,
    private readonly checkCancel: () => void,
  ) {}

  /**
   * Saves `dir` (at `dirPath`) and everything under it; returns its tree id. `prevId` is the parent
   * snapshot's tree for this folder; `prevTree` that tree when the caller has read it already.
   */
  async save(dir: ScanDir, dirPath: FsPath, prevId: string | undefined, prevTree?: Tree): Promise<string> {
    // One folder at a time hands out its files; waiting for them happens outside the turn.
    const mine = this.turn.then(() => this.dispatch(dir, dirPath, prevId, prevTree));
    this.turn = mine.catch(() => undefined);
    const d = await mine;
    const [subIds, nodes, xattrs] = await Promise.all([
      settleAll(d.subdirs.map((s) => this.save(s.entry, s.path, s.prevId))),
      settleAll(d.nodes.map((n) => Promise.resolve(n))),
      d.xattrs,
    ]);
    d.subdirs.forEach((s, i) => (s.node.subtree = subIds[i]));
    const withAttrs = nodes.slice();
    d.xattrAt.forEach((at, i) => {
      const n = withAttrs[at];
      if (n && xattrs[i]) withAttrs[at] = { ...n, xattrs: xattrs[i] };
    });
    const tree: Tree = { nodes: withAttrs.filter((n): n is TreeNode => n !== undefined) };
    if (prevId && d.prevTree && sameTree(tree, d.prevTree) && this.repo.index.has(prevId)) return prevId;
    return this.packs.saveTree(tree);
  }

  private async dispatch(
    dir: ScanDir,
    dirPath: FsPath,
    prevId: string | undefined,
    given: Tree | undefined,
  ): Promise<Dispatched> {
    this.checkCancel();
    const { progress, summary } = this.report;
    summary.dirs++;
    // A damaged parent tree costs only the comparison: its files are then read again.
    const prevTree =
      given ??
      (prevId ? await this.repo.readTree(prevId, { keep: false }).catch(() => undefined) : undefined);
    const old = new Map((prevTree?.nodes ?? []).map((n) => [nodeKey(n), n]));
    const keyOf = (name: FsPath) => (typeof name === 'string' ? name : `\0${name.toString('base64')}`);

    const others: TreeNode[] = [];
    const fileNodes: (TreeNode | Promise<TreeNode | undefined>)[] = [];
    const subdirs: Subdir[] = [];
    // Entries whose attributes must be read: their names, and where their node sits (others, then files).
    const attrNames: FsPath[] = [];
    const attrOf: { list: 'others' | 'files'; at: number }[] = [];
    const attrs = (
      prev: TreeNode | undefined,
      c: { name: FsPath; meta: NodeMeta },
      list: 'others' | 'files',
    ) => {
      if (BackupXattrs.unchanged(prev, c.meta)) return prev.xattrs ? { xattrs: prev.xattrs } : {};
      attrNames.push(c.name);
      attrOf.push({ list, at: list === 'others' ? others.length : fileNodes.length });
      return {};
    };

    for (const c of dir.children) {
      if (c.kind === 'file' || !c.meta) continue;
      const prev = old.get(keyOf(c.name));
      if (c.kind === 'dir') {
        const node: TreeNode = { ...c.meta, type: 'dir', subtree: '' };
        const x = attrs(prev, { name: c.name, meta: c.meta }, 'others');
        others.push(x.xattrs ? Object.assign(node, x) : node);
        subdirs.push({
          entry: c,
          node,
          prevId: prev?.type === 'dir' ? prev.subtree : undefined,
          path: joinPath(dirPath, c.name),
        });
      } else if (c.kind === 'symlink') {
        const t = c.target;
        const x = attrs(prev, c, 'others');
        others.push({
          ...c.meta,
          type: 'symlink',
          target: displayName(t),
          ...(typeof t === 'string' ? {} : { targetBytes: t.toString('base64') }),
          ...x,
        });
      } else {
        const x = attrs(prev, c, 'others');
        others.push({ ...c.meta, type: c.type, ...(c.type === 'fifo' ? {} : { rdev: c.rdev }), ...x });
      }
    }

    for (const c of dir.children) {
      if (c.kind !== 'file') continue;
      heap.check();
      const prev = old.get(keyOf(c.name));
      const base: TreeNode = {
        ...c.meta,
        type: 'file',
        size: c.size,
        ...(c.hardlink !== undefined ? { hardlink: c.hardlink } : {}),
      };
      if (
        prev?.type === 'file' &&
        prev.size === c.size &&
        prev.mtimeNs === c.meta.mtimeNs &&
        prev.ctimeNs === c.meta.ctimeNs &&
        prev.inode === c.meta.inode &&
        (prev.content ?? []).every((id) => this.repo.index.has(id))
      ) {
        summary.filesUnmodified++;
        progress.filesDone++;
        progress.bytesDone += c.size;
        const x = attrs(prev, c, 'files');
        fileNodes.push({ ...base, content: prev.content ?? [], ...x });
        continue;
      }
      const x = attrs(prev, c, 'files');
      const file = joinPath(dirPath, c.name);
      await this.files.admit();
      fileNodes.push(
        this.files.save(file, c.size).then((r): TreeNode | undefined => {
          progress.filesDone++;
          progress.currentFile = displayName(file);
          // Bytes were counted as chunks arrived; true up for files that changed size while read.
          progress.bytesDone += c.size - r.size;
          if (r.error) {
            this.report.warn(file, `cannot read (${r.error}); not in this snapshot`);
            return undefined;
          }
          if (prev?.type === 'file') summary.filesChanged++;
          else summary.filesNew++;
          return { ...base, size: r.size, content: r.content, ...x };
        }),
      );
    }
    // The scan's entries are no longer needed: the tree is held once, as nodes, from here on.
    dir.children = [];
    const xattrs = this.xattrs.readDir(dirPath, attrNames);
    const xattrAt = attrOf.map((a) => (a.list === 'others' ? a.at : others.length + a.at));
    return { nodes: [...others, ...fileNodes], subdirs, xattrs, xattrAt, prevTree };
  }
}

/** Like Promise.all, but rejects (with the first error) only once every promise has settled. */
async function settleAll<T>(ps: Promise<T>[]): Promise<T[]> {
  const rs = await Promise.allSettled(ps);
  const failed = rs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return rs.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Whether `tree` encodes to exactly the bytes of `prev` (same nodes, fields in the same order). */
function sameTree(tree: Tree, prev: Tree): boolean {
  if (tree.nodes.length !== prev.nodes.length) return false;
  const a = sortNodes(tree.nodes);
  return a.every((n, i) => sameJson(n, prev.nodes[i]));
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k, i) => k === kb[i] && sameJson(ra[k], rb[k]));
}
