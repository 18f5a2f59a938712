/**
 * Restore planning: what goes where. A first walk of the snapshot's trees (a damaged tree costs only its
 * own folder, named as a failure) applies --include and lists the folders, links and special files, and
 * only counts the files. Once the folders exist, the files are listed again folder by folder, in batches
 * (`fileBatches`), and for each batch conflicts with what is already in the target are resolved and,
 * per pack, which blobs go to which offsets of which files: memory follows the batch, not the number
 * of files in the snapshot. Nothing here writes to the target.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EngineProblem } from '../../src-shared/engine-records';
import { errnoOf } from '../errors';
import { storageGone } from '../repository/lock';
import type { IndexEntry, Repository } from '../repository/repository';
import { displayName, joinPath, type FsPath } from '../fs/fs-names';
import { nodeKey, nodeName, type TreeNode } from '../repository/tree';
import type { ConflictMode } from './restore';

/** Damage found in the repository: which pack or tree, and the snapshot paths it cost. */
export interface Damage {
  where: string;
  reason: string;
  paths: string[];
}

/**
 * Collects the restore's problem records, each also passed to `onProblem` as it happens, and the damage
 * found in the repository. A record's path is where the entry was to be written (under the target).
 */
export class FailureLog {
  readonly problems: EngineProblem[] = [];
  readonly damage: Damage[] = [];
  /** Snapshot paths named as not restored, so damage does not name one twice. */
  private readonly missing = new Set<string>();
  constructor(private readonly onProblem: (p: EngineProblem) => void) {}

  /** `cause`: the error behind it, for its errno code. */
  notRestored(snapPath: string, dest: FsPath, reason: string, cause?: unknown): void {
    this.missing.add(snapPath);
    this.add('not-restored', dest, reason, cause);
  }

  metadata(_snapPath: string, dest: FsPath, reason: string, cause?: unknown): void {
    this.add('metadata', dest, reason, cause);
  }

  /** A note about the restore as a whole (`what`: the thing it is about). */
  note(what: string, reason: string): void {
    this.add('note', what, reason, undefined);
  }

  /** Whether this snapshot path was already named as not restored. */
  named(snapPath: string): boolean {
    return this.missing.has(snapPath);
  }

  damaged(where: string, reason: string, paths: string[]): void {
    this.damage.push({ where, reason, paths });
  }

  private add(kind: EngineProblem['kind'], dest: FsPath, reason: string, cause: unknown): void {
    const errno = errnoOf(cause);
    const p: EngineProblem = { kind, path: displayName(dest), reason, ...(errno ? { errno } : {}) };
    this.problems.push(p);
    this.onProblem(p);
  }
}

export interface DirPlan {
  snapPath: string;
  dest: FsPath;
  /** Absent for the target itself. */
  node?: TreeNode;
  parent?: DirPlan;
  depth: number;
  /** Set when created or checked: a real directory (never a symlink) that files may go into. */
  usable: boolean;
  /** Created by this restore: nothing was in it before, so its entries need no conflict checks. */
  fresh: boolean;
  /**
   * The snapshot holds this folder only on the way to a backed-up path (a parent of one of its paths),
   * so a symlink to a folder found in its place may be followed, as the backup followed it.
   */
  parentOnly?: boolean;
  /** Reached through such a symlink: the person's own folder, whose metadata restore leaves alone. */
  viaLink?: boolean;
  /** The tree (read intact by the first walk) whose files go into this folder, and its snapshot path. */
  tree?: { id: string; snapPath: string };
  /** Files to restore into this folder, and their bytes. */
  files: number;
  bytes: number;
}

export interface EntryPlan {
  snapPath: string;
  dest: FsPath;
  parent: DirPlan;
  node: TreeNode;
  /** Created in the target. */
  done?: boolean;
}

export interface FilePlan extends EntryPlan {
  /** Blobs not yet written. */
  remaining: number;
  /** Why it cannot be restored, once known: no further blob is written to it. */
  failed?: string;
  /** It failed because the repository's data was damaged (listed with the damage, not on its own). */
  damaged?: boolean;
}

export interface HardlinkPlan extends EntryPlan {
  leader: FilePlan;
}

/** One needed blob: where it is, and every file and offset it goes to. */
export interface BlobTarget {
  entry: IndexEntry;
  targets: { file: FilePlan; offset: number }[];
}

export interface RestorePlan {
  target: DirPlan;
  /** Parents before children. */
  dirs: DirPlan[];
  /** Every file the snapshot has for this restore (further names of hard-linked files too). */
  filesPlanned: number;
  /** Whether a file at this snapshot path is to be restored. */
  wanted: (snapPath: string) => boolean;
  /** Trees the first walk read, kept (up to TREE_CACHE_NODES nodes) so the file listing need not read them again. */
  treeNodes: Map<string, TreeNode[]>;
  /**
   * Restored files kept after their batch: those with extended attributes, set once everything is in
   * place (restore-xattrs.ts).
   */
  files: FilePlan[];
  hardlinks: HardlinkPlan[];
  symlinks: EntryPlan[];
  specials: EntryPlan[];
  /** Packs holding the walked trees (their headers are checked too). */
  treePacks: Set<string>;
  matched: boolean;
}

export function normalizeSnapPath(p: string): string {
  const n = path.posix.normalize(`/${p}`);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** Walks the snapshot's trees from `rootTree`: every folder, file, link and special file to restore. */
export async function walkSnapshot(
  repo: Repository,
  rootTree: string,
  targetDir: string,
  include: string[],
  log: FailureLog,
  /** The snapshot's backed-up paths: the folders above them are only on their way. */
  snapshotPaths: string[] = [],
  /**
   * A snapshot folder whose contents go straight into the target (as restic's `snapshot:folder`):
   * the folders down to it are neither created nor given metadata, and nothing beside them is taken.
   */
  stripPrefix = '/',
): Promise<RestorePlan> {
  const strip = normalizeSnapPath(stripPrefix);
  // On the way down to `strip`, or `strip` itself: these stand for the target.
  const aboveContents = (p: string) => strip !== '/' && (strip === p || strip.startsWith(`${p}/`));
  const includes = include.map(normalizeSnapPath);
  const wanted = (p: string) =>
    includes.length === 0 || includes.some((i) => i === '/' || p === i || p.startsWith(`${i}/`));
  const onTheWay = (p: string) => includes.some((i) => i.startsWith(`${p}/`));
  const roots = snapshotPaths.map(normalizeSnapPath);
  const parentOnly = (p: string) => roots.some((r) => r.startsWith(`${p}/`));
  const target: DirPlan = {
    snapPath: '/',
    dest: targetDir,
    depth: 0,
    usable: false,
    fresh: false,
    files: 0,
    bytes: 0,
  };
  const within = (p: string) => strip === '/' || p === strip || p.startsWith(`${strip}/`);
  const plan: RestorePlan = {
    target,
    dirs: [],
    filesPlanned: 0,
    wanted,
    treeNodes: new Map(),
    files: [],
    hardlinks: [],
    symlinks: [],
    specials: [],
    treePacks: new Set(),
    matched: false,
  };
  let cachedNodes = 0;
  const walk = async (treeId: string, dir: DirPlan, snapPath = dir.snapPath): Promise<void> => {
    let nodes: TreeNode[];
    try {
      // Not kept in the repository's cache: held by the plan (up to a bound) or read again.
      nodes = (await repo.readTree(treeId, { keep: false })).nodes;
    } catch (err) {
      // Not damage: the storage is gone, and nothing is restored yet.
      if (storageGone(err)) throw err;
      // The folder itself is created (its entry in the parent was intact); its contents are lost.
      const reason = `its contents are damaged in the repository: ${(err as Error).message}`;
      log.damaged(`tree ${treeId.slice(0, 16)}`, (err as Error).message, [snapPath]);
      log.notRestored(snapPath, dir.dest, reason, err);
      return;
    }
    const te = repo.index.get(treeId);
    if (te) plan.treePacks.add(te.pack);
    // The folders above --strip-prefix's are only on the way: their files are not restored.
    if (within(snapPath)) {
      dir.tree = { id: treeId, snapPath };
      if (cachedNodes + nodes.length <= TREE_CACHE_NODES) {
        plan.treeNodes.set(treeId, nodes);
        cachedNodes += nodes.length;
      }
    }
    const seen = new Set<string>();
    for (const node of nodes) {
      // decodeTree refuses names with '/', '.', '..' or ''; a name twice in one tree is refused here,
      // so one entry can never stand in the path of another.
      const key = nodeKey(node);
      if (seen.has(key)) {
        log.notRestored(
          snapPath,
          joinPath(dir.dest, nodeName(node)),
          'the snapshot holds a second entry of this name; only the first was restored',
        );
        continue;
      }
      seen.add(key);
      const sp = snapPath === '/' ? `/${node.name}` : `${snapPath}/${node.name}`;
      if (strip !== '/' && !sp.startsWith(`${strip}/`)) {
        // Above the folder whose contents are restored: only the way down to it is walked.
        if (node.type !== 'dir' || !aboveContents(sp)) continue;
        // The folder itself is there: an empty one restores nothing, and that is no mismatch.
        if (sp === strip && includes.length === 0) plan.matched = true;
        if (node.subtree) await walk(node.subtree, target, sp);
        continue;
      }
      const take = wanted(sp);
      if (!take && !(node.type === 'dir' && onTheWay(sp))) continue;
      if (take) plan.matched = true;
      const dest = joinPath(dir.dest, nodeName(node));
      if (node.type === 'dir') {
        const d: DirPlan = {
          snapPath: sp,
          dest,
          node,
          parent: dir,
          depth: dir.depth + 1,
          usable: false,
          fresh: false,
          files: 0,
          bytes: 0,
          ...(parentOnly(sp) ? { parentOnly: true } : {}),
        };
        plan.dirs.push(d);
        if (node.subtree) await walk(node.subtree, d);
      } else if (!take) {
        continue;
      } else if (node.type === 'symlink') {
        plan.symlinks.push({ snapPath: sp, dest, parent: dir, node });
      } else if (node.type === 'file') {
        // Listed again, in batches, by fileBatches once the folders exist.
        plan.filesPlanned++;
        dir.files++;
        dir.bytes += node.size ?? 0;
      } else {
        plan.specials.push({ snapPath: sp, dest, parent: dir, node });
      }
    }
  };
  await walk(rootTree, target);
  return plan;
}

/** Nodes of trees the first walk keeps for the file listing (about 1 KiB each): more are read again. */
const TREE_CACHE_NODES = 20_000;
/** Files planned, written and let go together: bounds the plan's memory whatever the number of files. */
export const FILE_BATCH = 4096;

/**
 * The files to restore, folder by folder in the first walk's order, in batches of about FILE_BATCH;
 * only usable folders are listed (an unusable one was named, with everything under it). A tree that can
 * no longer be read is treated as in the first walk; the storage gone ends the listing with its error.
 */
export async function* fileBatches(
  repo: Repository,
  plan: RestorePlan,
  log: FailureLog,
  batchSize = FILE_BATCH,
): AsyncGenerator<FilePlan[]> {
  let batch: FilePlan[] = [];
  for (const dir of [plan.target, ...plan.dirs]) {
    if (!dir.usable || !dir.tree || dir.files === 0) continue;
    const { id, snapPath } = dir.tree;
    let nodes = plan.treeNodes.get(id);
    plan.treeNodes.delete(id);
    if (!nodes) {
      try {
        nodes = (await repo.readTree(id, { keep: false })).nodes;
      } catch (err) {
        if (storageGone(err)) {
          // Nothing further can be listed: each folder whose files were still to come is named.
          const rest = [plan.target, ...plan.dirs];
          for (const d of rest.slice(rest.indexOf(dir))) {
            if (d.usable && d.tree && d.files > 0)
              log.notRestored(
                d.tree.snapPath,
                d.dest,
                `its files were not restored: the folder's listing could not be read (${(err as Error).message})`,
                err,
              );
          }
          // What was listed still goes (it fails the same way, and each of its files is named).
          if (batch.length > 0) yield batch;
          throw err;
        }
        log.damaged(`tree ${id.slice(0, 16)}`, (err as Error).message, [snapPath]);
        log.notRestored(
          snapPath,
          dir.dest,
          `its contents are damaged in the repository: ${(err as Error).message}`,
          err,
        );
        continue;
      }
    }
    // The first walk named a second entry of one name; here it is only left out again.
    const seen = new Set<string>();
    for (const node of nodes) {
      const key = nodeKey(node);
      if (seen.has(key)) continue;
      seen.add(key);
      if (node.type !== 'file') continue;
      const sp = snapPath === '/' ? `/${node.name}` : `${snapPath}/${node.name}`;
      if (!plan.wanted(sp)) continue;
      batch.push({ snapPath: sp, dest: joinPath(dir.dest, nodeName(node)), parent: dir, node, remaining: 0 });
    }
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Where a snapshot path is restored to: under the target, without `stripPrefix` when it is given. */
export function restoredPath(targetDir: string, snapPath: string, stripPrefix = '/'): string {
  const strip = normalizeSnapPath(stripPrefix);
  const p = normalizeSnapPath(snapPath);
  const rel = strip === '/' ? p : p === strip ? '' : p.startsWith(`${strip}/`) ? p.slice(strip.length) : p;
  return path.join(targetDir, rel);
}

function exists(p: FsPath): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** `name (restored).ext`, `name (restored 2).ext`, ...: the first that is free. */
export function uniqueName(dest: FsPath): FsPath {
  const s = typeof dest === 'string' ? dest : dest.toString('latin1');
  const ext = path.extname(s);
  const base = s.slice(0, s.length - ext.length);
  for (let i = 1; ; i++) {
    const candidate = `${base} (restored${i > 1 ? ` ${i}` : ''})${ext}`;
    const p = typeof dest === 'string' ? candidate : Buffer.from(candidate, 'latin1');
    if (!exists(p)) return p;
  }
}

/**
 * Applies the conflict mode to what is already at each destination (only in folders this restore did
 * not create), drops entries under unusable folders (already named as failures), and maps each batch
 * of files' blobs by pack in order of first use. Counts the existing files it skipped.
 */
export class EntryResolver {
  skipped = 0;
  /** Entries given a new name beside what was there (keep-both): their snapshot path and that name. */
  readonly keptBoth: { snapPath: string; wanted: FsPath; dest: FsPath }[] = [];
  /** The file restored (or to be) for each hard-link group; its further names are linked to it. */
  private readonly leaders = new Map<string, FilePlan>();

  constructor(
    private readonly repo: Repository,
    private readonly plan: RestorePlan,
    private readonly conflict: ConflictMode,
    private readonly log: FailureLog,
  ) {}

  private resolve<T extends EntryPlan>(e: T): T | undefined {
    if (!e.parent.usable) return undefined;
    if (e.parent.fresh || !exists(e.dest)) return e;
    if (this.conflict === 'skip') {
      this.skipped++;
      return undefined;
    }
    if (this.conflict === 'keep-both') {
      const wanted = e.dest;
      e.dest = uniqueName(e.dest);
      this.keptBoth.push({ snapPath: e.snapPath, wanted, dest: e.dest });
    }
    return e;
  }

  /** The plan's symlinks and special files. */
  links(): void {
    this.plan.symlinks = this.plan.symlinks.flatMap((e) => this.resolve(e) ?? []);
    this.plan.specials = this.plan.specials.flatMap((e) => this.resolve(e) ?? []);
  }

  /**
   * One batch of files: those to write, and their blobs by pack. A further name of a hard-linked file
   * goes to `plan.hardlinks`; `left` counts the files and bytes of the batch that are not written
   * (skipped, linked, or under a folder that could not be used).
   */
  files(batch: FilePlan[]): {
    files: FilePlan[];
    blobsByPack: Map<string, Map<string, BlobTarget>>;
    left: { files: number; bytes: number };
  } {
    const files: FilePlan[] = [];
    const left = { files: 0, bytes: 0 };
    const blobsByPack = new Map<string, Map<string, BlobTarget>>();
    for (const f of batch) {
      if (!this.resolve(f)) {
        left.files++;
        left.bytes += f.node.size ?? 0;
        continue;
      }
      // A further name of a file already planned: linked to it once it is restored, its data not rewritten.
      const leader = f.node.hardlink ? this.leaders.get(f.node.hardlink) : undefined;
      if (leader) {
        this.plan.hardlinks.push({ ...f, leader });
        left.files++;
        left.bytes += f.node.size ?? 0;
        continue;
      }
      if (f.node.hardlink) this.leaders.set(f.node.hardlink, f);
      files.push(f);
      let offset = 0;
      const wants: [IndexEntry, number][] = [];
      for (const id of f.node.content ?? []) {
        const e = this.repo.index.get(id);
        if (!e) {
          f.failed = `blob ${id.slice(0, 16)} is missing from the repository`;
          break;
        }
        wants.push([e, offset]);
        offset += e.rawLength;
      }
      if (f.failed) {
        f.damaged = true;
        this.log.damaged(`index`, f.failed, [f.snapPath]);
        continue;
      }
      for (const [e, off] of wants) {
        let m = blobsByPack.get(e.pack);
        if (!m) blobsByPack.set(e.pack, (m = new Map()));
        let bt = m.get(e.id);
        if (!bt) m.set(e.id, (bt = { entry: e, targets: [] }));
        bt.targets.push({ file: f, offset: off });
        f.remaining++;
      }
    }
    return { files, blobsByPack, left };
  }
}
