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
import { displayName, joinPath, type FsPath } from '../fs/fs-names';
import type { Repository } from '../repository/repository';
import type { BackupPacks } from './backup-packs';
import type { BackupReport } from './backup-report';
import type { NodeMeta, ScanDir } from './backup-scan';
import type { FileSaver } from './backup-files';
import { BackupXattrs } from './backup-xattrs';
import type { Xattr } from '../fs/fs-xattrs';
import { HeapBudget } from '../repository/memory';
import { nodeKey, type Tree, type TreeNode } from '../repository/tree';

interface Subdir {
  entry: ScanDir;
  /** Where this folder's node sits in `nodes` (the parent's own node while its metadata match). */
  at: number;
  /** The parent snapshot's node of this name, if it was a folder: its subtree is the comparison. */
  prev: TreeNode | undefined;
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
    private readonly beforeRead?: (path: string) => void | Promise<void>,
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
      settleAll(
        d.subdirs.map((s) => this.save(s.entry, s.path, s.prev?.type === 'dir' ? s.prev.subtree : undefined)),
      ),
      settleAll(d.nodes.map((n) => Promise.resolve(n))),
      d.xattrs,
    ]);
    d.subdirs.forEach((s, i) => {
      const n = nodes[s.at]!;
      // The parent's own node stands for this folder only if its tree came out the same.
      if (n === s.prev && n.subtree === subIds[i]) return;
      nodes[s.at] = n === s.prev ? { ...n, subtree: subIds[i] } : Object.assign(n, { subtree: subIds[i] });
    });
    d.xattrAt.forEach((at, i) => {
      const n = nodes[at];
      if (n && xattrs[i]) nodes[at] = { ...n, xattrs: xattrs[i] };
    });
    const kept = nodes.filter((n): n is TreeNode => n !== undefined);
    // Every node is the parent's own object: the tree would encode to the parent's bytes.
    const prevNodes = d.prevTree?.nodes;
    if (
      prevId &&
      prevNodes &&
      kept.length === prevNodes.length &&
      this.repo.index.has(prevId) &&
      samePrevious(kept, prevNodes)
    )
      return prevId;
    return this.packs.saveTree({ nodes: kept });
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
    const old = new Map<string, TreeNode>();
    for (const n of prevTree?.nodes ?? []) old.set(nodeKey(n), n);
    const keyOf = (name: FsPath) => (typeof name === 'string' ? name : `\0${name.toString('base64')}`);

    const others: TreeNode[] = [];
    const fileNodes: (TreeNode | Promise<TreeNode | undefined>)[] = [];
    const subdirs: Subdir[] = [];
    // Entries whose attributes must be read: their names, and where their node sits (others, then files).
    const attrNames: FsPath[] = [];
    const attrOf: { list: 'others' | 'files'; at: number }[] = [];
    /** The parent's attributes when they still hold, else undefined and the entry is queued for reading. */
    const attrs = (prev: TreeNode | undefined, name: FsPath, meta: NodeMeta, list: 'others' | 'files') => {
      if (BackupXattrs.unchanged(prev, meta)) return prev.xattrs;
      attrNames.push(name);
      attrOf.push({ list, at: list === 'others' ? others.length : fileNodes.length });
      return undefined;
    };

    for (const c of dir.children) {
      if (c.kind === 'file' || !c.meta) continue;
      const prev = old.get(keyOf(c.name));
      const same = prev !== undefined && sameMeta(prev, c.meta);
      if (c.kind === 'dir') {
        subdirs.push({
          entry: c,
          at: others.length,
          prev: prev?.type === 'dir' ? prev : undefined,
          path: joinPath(dirPath, c.name),
        });
        if (same && prev.type === 'dir') others.push(prev);
        else others.push(node(c.meta, 'dir', { subtree: '' }, attrs(prev, c.name, c.meta, 'others')));
      } else if (c.kind === 'symlink') {
        const t = c.target;
        const target = displayName(t);
        const targetBytes = typeof t === 'string' ? undefined : t.toString('base64');
        if (same && prev.type === 'symlink' && prev.target === target && prev.targetBytes === targetBytes)
          others.push(prev);
        else
          others.push(
            node(c.meta, 'symlink', { target, targetBytes }, attrs(prev, c.name, c.meta, 'others')),
          );
      } else {
        const rdev = c.type === 'fifo' ? undefined : c.rdev;
        if (same && prev.type === c.type && prev.rdev === rdev) others.push(prev);
        else others.push(node(c.meta, c.type, { rdev }, attrs(prev, c.name, c.meta, 'others')));
      }
    }

    for (const c of dir.children) {
      if (c.kind !== 'file') continue;
      heap.check();
      const prev = old.get(keyOf(c.name));
      if (
        prev?.type === 'file' &&
        prev.size === c.size &&
        prev.mtimeNs === c.meta.mtimeNs &&
        prev.ctimeNs === c.meta.ctimeNs &&
        prev.inode === c.meta.inode &&
        (prev.content ?? []).every((id) => this.repo.index.has(id))
      ) {
        summary.filesUnmodified++;
        this.report.fileStored(c.size);
        progress.filesDone++;
        progress.bytesDone += c.size;
        // Unchanged data and attributes; the parent's node itself when nothing else changed either.
        if (sameMeta(prev, c.meta) && prev.hardlink === c.hardlink && prev.content) fileNodes.push(prev);
        else
          fileNodes.push(
            node(
              c.meta,
              'file',
              { size: c.size, hardlink: c.hardlink, content: prev.content ?? [] },
              prev.xattrs,
            ),
          );
        continue;
      }
      const x = attrs(prev, c.name, c.meta, 'files');
      const file = joinPath(dirPath, c.name);
      await this.files.admit();
      await this.beforeRead?.(displayName(file));
      fileNodes.push(
        this.files
          .save(file, { size: c.size, dev: c.dev, ino: c.meta.inode })
          .then((r): TreeNode | undefined => {
            progress.filesDone++;
            progress.currentFile = displayName(file);
            // Bytes were counted as chunks arrived; true up for files that changed size while read, and
            // for a first read thrown away.
            progress.bytesDone += c.size - r.size - (r.reread ?? 0);
            if (r.error) {
              this.report.problem('not-stored', file, r.error.reason, r.error.errno);
              return undefined;
            }
            if (r.changed) this.report.problem('changed', file, r.changed);
            if (prev?.type === 'file') summary.filesChanged++;
            else summary.filesNew++;
            this.report.fileStored(r.size);
            // The times of the version stored, which may be newer than the scan's.
            const meta =
              r.mtimeNs && r.ctimeNs ? { ...c.meta, mtimeNs: r.mtimeNs, ctimeNs: r.ctimeNs } : c.meta;
            return node(meta, 'file', { size: r.size, hardlink: c.hardlink, content: r.content }, x);
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

/** The node's own fields, in the order they are encoded; undefined ones are left out. */
function node(
  meta: NodeMeta,
  type: TreeNode['type'],
  fields: Pick<TreeNode, 'size' | 'hardlink' | 'content' | 'subtree' | 'target' | 'targetBytes' | 'rdev'>,
  xattrs: Xattr[] | undefined,
): TreeNode {
  const n = { ...meta, type } as TreeNode;
  // Order as backups have always written them (a changed order would change every tree id).
  if (fields.size !== undefined) n.size = fields.size;
  if (fields.hardlink !== undefined) n.hardlink = fields.hardlink;
  if (fields.content !== undefined) n.content = fields.content;
  if (fields.subtree !== undefined) n.subtree = fields.subtree;
  if (fields.target !== undefined) n.target = fields.target;
  if (fields.targetBytes !== undefined) n.targetBytes = fields.targetBytes;
  if (fields.rdev !== undefined) n.rdev = fields.rdev;
  if (xattrs) n.xattrs = xattrs;
  return n;
}

/** Same metadata (the name is the same by lookup); a changed ctime or inode also means re-read attributes. */
function sameMeta(prev: TreeNode, m: NodeMeta): boolean {
  return (
    prev.mode === m.mode &&
    prev.mtimeNs === m.mtimeNs &&
    prev.ctimeNs === m.ctimeNs &&
    prev.inode === m.inode &&
    prev.uid === m.uid &&
    prev.gid === m.gid
  );
}

/** Like Promise.all, but rejects (with the first error) only once every promise has settled. */
async function settleAll<T>(ps: Promise<T>[]): Promise<T[]> {
  const rs = await Promise.allSettled(ps);
  const failed = rs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return rs.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Whether every node is one of the parent tree's own node objects (so the tree would encode the same). */
function samePrevious(nodes: TreeNode[], prev: TreeNode[]): boolean {
  const set = new Set(prev);
  return nodes.every((n) => set.has(n));
}
