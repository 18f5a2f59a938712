/**
 * Backup: scan the roots (totals for progress), then save files through the worker pool and directories
 * as tree blobs, bottom-up. Files whose size, mtime, ctime and inode match the parent snapshot reuse its
 * blob list without being read. Write order: packs, then the index naming them, then the snapshot.
 */
import fsp from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { blobId } from './crypto';
import { EngineError } from './errors';
import { ExcludeMatcher } from './exclude';
import { BLOB_DATA, BLOB_TREE, PackWriter, encryptBlob, type PackEntry } from './pack';
import { chunkFile } from './chunk-file';
import { gearTable } from './chunker';
import type { PackRecord, Repository, Snapshot, SnapshotSummary } from './repository';
import { encodeTree, nodeKey, type Tree, type TreeNode } from './tree';
import { displayName, joinPath, type FsPath } from './fs-names';
import { scanRoots, type ScanDir, type ScanEntry } from './backup-scan';
import { XattrHelper, type Xattr } from './fs-xattrs';
import { ChunkWorkerPool, type FileResult } from './worker-pool';
import { progressEmitter, type TransferProgress } from './progress';

export interface BackupProgress extends TransferProgress {
  phase: 'scan' | 'backup' | 'finish';
}

export interface BackupOptions {
  paths: string[];
  excludes?: string[];
  tags?: string[];
  host?: string;
  /** A snapshot id to compare against; `null` reads every file (no parent); default: the latest of the same host and paths. */
  parent?: string | null;
  signal?: AbortSignal;
  onProgress?: (p: BackupProgress) => void;
  onWarning?: (message: string) => void;
  workers?: number;
  breakLock?: boolean;
  /** Minimum time between progress events (default 100 ms). */
  progressIntervalMs?: number;
}

/** One source path left out of the snapshot (or stored without something it had), with why. */
export interface BackupFailure {
  /** The source path (bytes of a name that is not UTF-8 as \xNN). */
  path: string;
  reason: string;
}

export interface BackupResult {
  snapshotId: string;
  snapshot: Snapshot;
  /**
   * Every path that could not be read, or only in part (a folder that could not be listed), with the
   * reason; `snapshot.partial` is true when any is here. Empty when the snapshot holds everything.
   */
  failures: BackupFailure[];
}

export async function backup(repo: Repository, opts: BackupOptions): Promise<BackupResult> {
  if (opts.paths.length === 0) throw new EngineError('INVALID_ARGUMENT', 'backup needs at least one path');
  const started = Date.now();
  const roots = [...new Set(opts.paths.map((p) => path.resolve(p)))].sort();
  for (const r of roots) {
    try {
      await fsp.lstat(r);
    } catch {
      throw new EngineError('NOT_FOUND', `cannot back up ${r}: it does not exist or cannot be read`);
    }
  }
  const lock = await repo.lock(false, 'backup', { breakStale: opts.breakLock });
  // Started now, so the helper process is up by the time the first folder is saved.
  const xattrs = XattrHelper.start();
  try {
    return await runBackup(repo, opts, roots, started, xattrs);
  } finally {
    (await xattrs).helper?.close();
    await lock.release();
  }
}

async function runBackup(
  repo: Repository,
  opts: BackupOptions,
  roots: string[],
  started: number,
  xattrHelper: Promise<{ helper?: XattrHelper; unavailable?: string }>,
): Promise<BackupResult> {
  const warnings: string[] = [];
  const failures: BackupFailure[] = [];
  let partial = false;
  /** `what` is the path; a failure (missing data) makes the snapshot partial, a note does not. */
  const warn = (what: FsPath, reason: string, missingData = true) => {
    const m = `${displayName(what)}: ${reason}`;
    warnings.push(m);
    if (missingData) {
      partial = true;
      failures.push({ path: displayName(what), reason });
    }
    opts.onWarning?.(m);
  };
  const host = opts.host ?? os.hostname();
  const excludes = new ExcludeMatcher(opts.excludes ?? []);
  await repo.loadIndex();

  let parent: (Snapshot & { id: string }) | undefined;
  if (opts.parent) parent = await repo.findSnapshot(opts.parent);
  else if (opts.parent === undefined) {
    const same = (await repo.listSnapshots()).filter((s) => s.host === host && sameSet(s.paths, roots));
    parent = same[same.length - 1];
  }

  // ---- scan ----
  const progress: BackupProgress = {
    phase: 'scan',
    filesDone: 0,
    filesTotal: 0,
    bytesDone: 0,
    bytesTotal: 0,
    currentFile: '',
    rate: 0,
    eta: undefined,
  };
  const emit = progressEmitter(progress, started, opts.onProgress, opts.progressIntervalMs);
  const checkCancel = () => {
    if (opts.signal?.aborted) throw new EngineError('CANCELLED', 'backup cancelled');
  };

  const summary: SnapshotSummary = {
    filesNew: 0,
    filesChanged: 0,
    filesUnmodified: 0,
    dirs: 0,
    bytesProcessed: 0,
    bytesAdded: 0,
    blobsAdded: 0,
    durationMs: 0,
  };
  const newPacks: PackRecord[] = [];
  const reserved = new Set<string>();
  const addPack = (packId: string, entries: PackEntry[]) => {
    repo.addPack(packId, entries);
    newPacks.push({ packId, entries });
    for (const e of entries) {
      reserved.delete(e.id);
      summary.bytesAdded += e.length;
      summary.blobsAdded++;
    }
  };
  // Workers start on the first file that must be read (an unchanged re-run never pays for them), or
  // right away for a first backup, so they load while the scan runs.
  let poolStarting: Promise<ChunkWorkerPool> | undefined;
  let pool: ChunkWorkerPool | undefined;
  let scanned = false;
  const spawnPool = () =>
    (poolStarting ??= ChunkWorkerPool.start(
      repo,
      {
        onPack: addPack,
        onBytes: (n) => {
          progress.bytesDone += n;
          summary.bytesProcessed += n;
          emit();
        },
      },
      opts.workers,
    ));
  let begun: Promise<ChunkWorkerPool> | undefined;
  const getPool = () =>
    (begun ??= spawnPool().then((p) => {
      if (!scanned) throw new Error('internal: files dispatched before the scan finished');
      // Each file yields at most size/min + 1 chunks: the shared id set can never fill up.
      p.begin(
        repo,
        Math.ceil(progress.bytesTotal / repo.config.chunker.min) + progress.filesTotal + reserved.size,
        reserved,
      );
      pool = p;
      if (opts.signal?.aborted) p.cancelQueued(new EngineError('CANCELLED', 'backup cancelled'));
      return p;
    }));
  if (!parent) void spawnPool().catch(() => undefined);
  let top: ScanDir;
  try {
    top = await scanRoots(roots, excludes, {
      warn,
      checkCancel,
      onFile: (size) => {
        progress.filesTotal++;
        progress.bytesTotal += size;
        emit();
      },
    });
  } catch (err) {
    // Cancelled or failed during the scan: workers started early must not outlive the backup.
    await (await poolStarting?.catch(() => undefined))?.close();
    throw err;
  }
  scanned = true;

  // ---- save ----
  progress.phase = 'backup';
  emit(true);
  const treePacker = new PackWriter(repo.storage, repo.keys, repo.config.packSize);
  const flushTrees = async () => {
    const r = await treePacker.flush();
    if (r) addPack(r.packId, r.entries);
  };

  // A re-run that reads only a few MiB chunks them right here: starting worker threads (and their
  // WebAssembly zstd) would cost more than the work. Past the budget, the pool takes over.
  const INLINE_BUDGET = 32 * 1024 * 1024;
  let inlineBytes = 0;
  let inlineGear: Int32Array | undefined;
  let inlineChain: Promise<unknown> = Promise.resolve();
  let storeFailure: unknown;
  const dataPacker = new PackWriter(repo.storage, repo.keys, repo.config.packSize);
  const flushData = async () => {
    const r = await dataPacker.flush();
    if (r) addPack(r.packId, r.entries);
  };
  const processInline = (file: FsPath, size: number): Promise<FileResult> => {
    const run = inlineChain.then(async (): Promise<FileResult> => {
      inlineGear ??= gearTable(repo.keys.gear);
      try {
        const r = await chunkFile(file, size, {
          gear: inlineGear,
          chunker: repo.config.chunker,
          blobIdKey: repo.keys.blobId,
          onChunk: async (idBytes, id, chunk) => {
            if (!repo.index.has(id) && !reserved.has(id)) {
              reserved.add(id);
              const { codec, sealed } = encryptBlob(repo.keys, idBytes, chunk, repo.config.compressionLevel);
              try {
                dataPacker.add(BLOB_DATA, id, codec, sealed, chunk.length);
                if (dataPacker.full) await flushData();
              } catch (err) {
                storeFailure = err;
                throw err;
              }
            }
            progress.bytesDone += chunk.length;
            summary.bytesProcessed += chunk.length;
            emit();
          },
        });
        return { content: r.content, size: r.size };
      } catch (err) {
        // The repository's disk failing ends the backup; an unreadable file is only a warning.
        if (storeFailure) throw storeFailure;
        const e = err as NodeJS.ErrnoException;
        return { content: [], size: 0, error: `${e.code ?? 'error'}: ${e.message}` };
      }
    });
    inlineChain = run.catch(() => undefined);
    return run;
  };
  const readFile = (file: FsPath, size: number): Promise<FileResult> => {
    if (poolStarting === undefined && inlineBytes + size <= INLINE_BUDGET) {
      inlineBytes += size;
      return processInline(file, size);
    }
    return getPool().then((p) => p.processFile(file, size));
  };

  const saveTree = async (tree: Tree): Promise<string> => {
    const bytes = encodeTree(tree);
    const idBytes = blobId(repo.keys.blobId, bytes);
    const id = idBytes.toString('hex');
    if (!repo.index.has(id) && !reserved.has(id)) {
      reserved.add(id);
      const { codec, sealed } = encryptBlob(repo.keys, idBytes, bytes, repo.config.compressionLevel);
      treePacker.add(BLOB_TREE, id, codec, sealed, bytes.length);
      if (treePacker.full) await flushTrees();
    }
    return id;
  };

  const meta = (name: FsPath, st: BigIntStats | undefined): Omit<TreeNode, 'type'> => ({
    name: displayName(name),
    ...(typeof name === 'string' ? {} : { nameBytes: name.toString('base64') }),
    mode: st ? Number(st.mode & 0o7777n) : 0o755,
    mtimeNs: st ? st.mtimeNs.toString() : '0',
    ctimeNs: st ? st.ctimeNs.toString() : '0',
    inode: st ? st.ino.toString() : '0',
    uid: st ? Number(st.uid) : 0,
    gid: st ? Number(st.gid) : 0,
  });

  const { helper: xattrs, unavailable: noXattrs } = await xattrHelper;
  if (noXattrs) warn('extended attributes', `not backed up: ${noXattrs}`, false);
  /**
   * A node's extended attributes: the parent snapshot's when its ctime and inode are unchanged (setting
   * an attribute changes the ctime), else read through the helper; a read error is a named failure.
   */
  const xattrsOf = (
    c: ScanEntry & { st: BigIntStats | undefined },
    prev: TreeNode | undefined,
    abs: FsPath,
  ) => {
    if (!c.st) return Promise.resolve(undefined);
    if (prev && prev.ctimeNs === c.st.ctimeNs.toString() && prev.inode === c.st.ino.toString())
      return Promise.resolve(prev.xattrs);
    return prefetched.get(c) ?? readXattrs(abs);
  };
  const readXattrs = (abs: FsPath): Promise<Xattr[] | undefined> => {
    if (!xattrs) return Promise.resolve(undefined);
    return xattrs.get(abs).then((r): Xattr[] | undefined => {
      if (r.error) warn(abs, `extended attributes not backed up (${r.error})`);
      return r.xattrs && r.xattrs.length > 0 ? r.xattrs : undefined;
    });
  };
  // Without a parent every entry needs its attributes: all are asked for now, in a few large batches,
  // so saving never waits a round trip per folder. With a parent, only changed entries ask, as they go.
  const prefetched = new Map<ScanEntry, Promise<Xattr[] | undefined>>();
  if (!parent && xattrs) {
    const visit = (d: ScanDir, dirPath: FsPath) => {
      for (const c of d.children) {
        const abs = joinPath(dirPath, c.name);
        prefetched.set(c, readXattrs(abs));
        if (c.kind === 'dir') visit(c, abs);
      }
    };
    visit(top, '/');
  }
  const withXattrs = async (node: TreeNode, x: Promise<Xattr[] | undefined>): Promise<TreeNode> => {
    const list = await x;
    return list ? { ...node, xattrs: list } : node;
  };

  const saveDir = async (dir: ScanDir, parentTree: Tree | undefined, dirPath: FsPath): Promise<string> => {
    checkCancel();
    summary.dirs++;
    const old = new Map((parentTree?.nodes ?? []).map((n) => [nodeKey(n), n]));
    const keyOf = (name: FsPath) => (typeof name === 'string' ? name : `\0${name.toString('base64')}`);
    const pending: Promise<TreeNode | undefined>[] = [];
    for (const c of dir.children) {
      if (c.kind !== 'file') continue;
      const prev = old.get(keyOf(c.name));
      const xa = xattrsOf(c, prev, c.path);
      const node: TreeNode = {
        ...meta(c.name, c.st),
        type: 'file',
        size: Number(c.st.size),
        // Only for files with several links, so every other tree (and its id) stays as it was.
        ...(c.st.nlink > 1n ? { hardlink: `${c.st.dev}:${c.st.ino}` } : {}),
      };
      if (
        prev?.type === 'file' &&
        prev.size === node.size &&
        prev.mtimeNs === node.mtimeNs &&
        prev.ctimeNs === node.ctimeNs &&
        prev.inode === node.inode &&
        (prev.content ?? []).every((id) => repo.index.has(id))
      ) {
        summary.filesUnmodified++;
        progress.filesDone++;
        progress.bytesDone += node.size!;
        pending.push(withXattrs({ ...node, content: prev.content ?? [] }, xa));
        continue;
      }
      pending.push(
        readFile(c.path, node.size!).then(async (r) => {
          progress.filesDone++;
          progress.currentFile = displayName(c.path);
          // Bytes were counted as chunks arrived; true up for files that changed size while read.
          progress.bytesDone += node.size! - r.size;
          if (r.error) {
            warn(c.path, `cannot read (${r.error}); not in this snapshot`);
            return undefined;
          }
          if (prev?.type === 'file') summary.filesChanged++;
          else summary.filesNew++;
          return withXattrs({ ...node, size: r.size, content: r.content }, xa);
        }),
      );
    }
    const others: Promise<TreeNode>[] = [];
    for (const c of dir.children) {
      if (c.kind === 'file') continue;
      const prev = old.get(keyOf(c.name));
      const abs = joinPath(dirPath, c.name);
      const xa = xattrsOf(c, prev, abs);
      if (c.kind === 'dir') {
        const sub =
          prev?.type === 'dir' && prev.subtree
            ? await repo.readTree(prev.subtree).catch(() => undefined)
            : undefined;
        others.push(
          withXattrs({ ...meta(c.name, c.st), type: 'dir', subtree: await saveDir(c, sub, abs) }, xa),
        );
      } else if (c.kind === 'symlink') {
        const t = c.target;
        const node: TreeNode = {
          ...meta(c.name, c.st),
          type: 'symlink',
          target: displayName(t),
          ...(typeof t === 'string' ? {} : { targetBytes: t.toString('base64') }),
        };
        others.push(withXattrs(node, xa));
      } else {
        const node: TreeNode = {
          ...meta(c.name, c.st),
          type: c.type,
          ...(c.type === 'fifo' ? {} : { rdev: c.st.rdev.toString() }),
        };
        others.push(withXattrs(node, xa));
      }
    }
    const nodes: TreeNode[] = await Promise.all(others);
    for (const n of await Promise.all(pending)) if (n) nodes.push(n);
    return saveTree({ nodes });
  };

  const abort = () => pool?.cancelQueued(new EngineError('CANCELLED', 'backup cancelled'));
  opts.signal?.addEventListener('abort', abort);
  let treeId: string;
  try {
    // A damaged parent costs only the comparison: every file is then read again.
    const parentTree = parent
      ? await repo.readTree(parent.tree).catch((err: Error) => {
          warn(
            `parent snapshot ${parent!.id.slice(0, 8)}`,
            `cannot be compared (${err.message}); every file is read`,
            false,
          );
          return undefined;
        })
      : undefined;
    treeId = await saveDir(top, parentTree, '/');
    progress.phase = 'finish';
    emit(true);
    if (poolStarting) await (await poolStarting).flush();
    await inlineChain;
    await flushData();
    await flushTrees();
    checkCancel();
  } catch (err) {
    // Whatever packs were written stay usable: index them so the next run reuses them.
    const p = pool ?? (await poolStarting?.catch(() => undefined));
    if (p && !p.error) await p.flush().catch(() => undefined);
    await p?.close();
    await inlineChain;
    await flushData().catch(() => undefined);
    await repo.writeIndex([...repo.recoveredPacks.splice(0), ...newPacks]).catch(() => undefined);
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', abort);
  }
  await pool?.close();
  await repo.writeIndex([...repo.recoveredPacks.splice(0), ...newPacks]);
  summary.durationMs = Date.now() - started;
  const snapshot: Snapshot = {
    version: 1,
    time: new Date().toISOString(),
    host,
    username: os.userInfo().username,
    paths: roots,
    tags: opts.tags ?? [],
    excludes: opts.excludes ?? [],
    ...(parent ? { parent: parent.id } : {}),
    tree: treeId,
    partial,
    warnings: warnings.slice(0, 1000),
    summary,
  };
  const snapshotId = await repo.saveSnapshot(snapshot);
  return { snapshotId, snapshot, failures };
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().every((x, i) => x === b[i]);
}
