/**
 * Restore, in the shape of restic's restorer:
 * - the planner (restore-plan.ts) walks the snapshot's trees and decides what goes where;
 * - folders are created and checked (restore-dirs.ts), never through a symlink left in the target;
 * - the file restorer (restore-files.ts) reads each needed pack once, authenticates every blob, and
 *   hands it to the writer (restore-writer.ts), which owns the open files and their limit;
 * - hard links, special files and symlinks follow (restore-entries.ts), folder metadata last.
 *
 * Nothing is lost silently: every path not restored, or restored without some of its metadata, is a
 * problem record in `RestoreResult.problems` with the reason. Damaged repository data (a pack or a
 * tree) ends in a `RestoreIncompleteError` thrown after everything intact was restored; a storage that
 * stops answering, in a `RestoreInterruptedError` after everything that could still be done was.
 */
import { EngineError, IntegrityError } from '../errors';
import { storageGone, underLock } from '../repository/lock';
import { readPackHeader } from '../repository/pack';
import type { Repository, Snapshot } from '../repository/repository';
import { progressEmitter, type TransferProgress } from '../repository/progress';
import type { EngineProblem } from '../../src-shared/engine-records';
import { displayName } from '../fs/fs-names';
import { EntryResolver, FailureLog, fileBatches, restoredPath, walkSnapshot } from './restore-plan';
import { applyDirMetadata, createDirs, removeLeftovers } from './restore-dirs';
import { FileWriter } from './restore-writer';
import { FileRestorer, cancelled } from './restore-files';
import { createHardlinks, createSpecials, createSymlinks } from './restore-entries';
import { restoreXattrs } from './restore-xattrs';
import { InlineBlobOpener, RestoreWorkerPool, type BlobOpener } from './restore-pool';
import { defaultPoolSize } from '../worker-threads';
import path from 'node:path';

/**
 * One worker per core beside the main thread, at most 3, and none on two cores: the main thread's
 * writing (file creation above all) takes most of a restore's time, and a worker opens blobs faster
 * than it writes them. On two cores a worker showed no gain in wall time (file creation left no core
 * free for it) and cost about 67 MiB more (docs/benchmarks.md, "Restore workers on two cores").
 */
function restoreWorkers(): number {
  const cores = defaultPoolSize();
  return cores <= 2 ? 0 : Math.min(3, cores - 1);
}

/** Below this many bytes to restore, starting worker threads costs more than it saves. */
const POOL_MIN_BYTES = 8 * 1024 * 1024;

export type ConflictMode = 'skip' | 'overwrite' | 'keep-both';

export type RestoreProgress = TransferProgress;

export interface RestoreOptions {
  target: string;
  /** Snapshot paths (as `ls` shows them) to restore, with everything under them; default: everything. */
  include?: string[];
  conflict?: ConflictMode;
  signal?: AbortSignal;
  onProgress?: (p: RestoreProgress) => void;
  /** Each problem as it happens: a path not restored, or restored without some of its metadata. */
  onProblem?: (problem: EngineProblem) => void;
  breakLock?: boolean;
  /** Most restored files open at once (default 64): keeps any restore inside the open-file limit. */
  maxOpenFiles?: number;
  /**
   * Worker threads that authenticate, decrypt and decompress (default: one per core beside the calling
   * thread, at most 3, none on two cores and none for a restore under 8 MiB); 0 does it all on the
   * calling thread.
   */
  workers?: number;
  /**
   * A folder of the snapshot whose contents are restored straight into the target (default "/":
   * every path under its full original path). Paths outside it are not restored.
   */
  stripPrefix?: string;
}

export interface RestoreResult {
  filesRestored: number;
  /** Existing files left alone (--conflict skip). */
  filesSkipped: number;
  /**
   * Files (hard links among them) this restore was to write and did not: each is named by a
   * `not-restored` record, itself or through a folder that could not be created.
   */
  filesNotRestored: number;
  dirs: number;
  symlinks: number;
  /** FIFOs and device files. */
  specials: number;
  bytesRestored: number;
  /** Files restored as hard links of another restored file (counted in filesRestored too). */
  hardlinks: number;
  /**
   * With conflict keep-both: what was restored under a new name beside what was there, as the path it
   * was to be written to and the name it got (so a person is told which file is the restored one).
   */
  keptBoth: { path: string; restoredAs: string }[];
  /**
   * Every path this restore left out (`not-restored`; a folder stands for everything under it) or
   * restored without some of its metadata (`metadata`), with the reason; the path is where it was to
   * be written. A `not-restored` record makes the restore incomplete (the CLI exits 3).
   */
  problems: EngineProblem[];
}

/** Damaged repository data cost some paths; everything else was restored. `result.problems` names them all. */
export class RestoreIncompleteError extends IntegrityError {
  constructor(
    where: string,
    message: string,
    readonly result: RestoreResult,
  ) {
    super(where, message);
    this.name = 'RestoreIncompleteError';
  }
}

/**
 * The storage stopped answering (or refused this client) part-way: everything restored so far stays,
 * and `result.problems` names every file that was not restored. The code is the storage's
 * (UNREACHABLE, UNAUTHORIZED), the message its own.
 */
export class RestoreInterruptedError extends EngineError {
  constructor(
    cause: EngineError,
    readonly result: RestoreResult,
  ) {
    super(cause.code, cause.message, { cause, status: cause.status });
    this.name = 'RestoreInterruptedError';
  }
}

export async function restore(
  repo: Repository,
  snapshotRef: string,
  opts: RestoreOptions,
): Promise<RestoreResult> {
  const lock = await repo.lock(false, 'restore', { breakStale: opts.breakLock });
  let log: FailureLog | undefined;
  return underLock(
    lock,
    async () => {
      await repo.loadIndex({ recover: false });
      const snap = await repo.findSnapshot(snapshotRef);
      log = new FailureLog((p) => opts.onProblem?.(p));
      return runRestore(repo, snap, opts, log);
    },
    (err) =>
      log?.note(
        `lock ${lock.id.slice(0, 8)}`,
        `the restore is done, but its lock could not be removed (${err.message}); it counts as stale once this restore has ended`,
      ),
  );
}

async function runRestore(
  repo: Repository,
  snap: Snapshot & { id: string },
  opts: RestoreOptions,
  log: FailureLog,
): Promise<RestoreResult> {
  const started = Date.now();
  const conflict = opts.conflict ?? 'overwrite';
  // As restic does: owners are restored only when running as root (anyone else cannot give files away).
  const asRoot = process.getuid?.() === 0;
  const includes = opts.include ?? [];

  const plan = await walkSnapshot(
    repo,
    snap.tree,
    path.resolve(opts.target),
    includes,
    log,
    snap.paths,
    opts.stripPrefix,
  );
  if ((includes.length > 0 || (opts.stripPrefix ?? '/') !== '/') && !plan.matched) {
    throw new EngineError(
      'NOT_FOUND',
      `nothing in snapshot ${snap.id.slice(0, 8)} matches ${[...includes, ...(opts.stripPrefix ? [opts.stripPrefix] : [])].join(', ')}`,
    );
  }
  const result: RestoreResult = {
    filesRestored: 0,
    filesSkipped: 0,
    filesNotRestored: 0,
    dirs: 0,
    symlinks: 0,
    specials: 0,
    bytesRestored: 0,
    hardlinks: 0,
    keptBoth: [],
    problems: log.problems,
  };
  result.dirs = createDirs(plan, log);
  removeLeftovers(plan);
  const resolver = new EntryResolver(repo, plan, conflict, log);
  resolver.links();
  const usable = [plan.target, ...plan.dirs].filter((d) => d.usable);
  const progress: RestoreProgress = {
    filesDone: 0,
    filesTotal: usable.reduce((n, d) => n + d.files, 0),
    bytesDone: 0,
    bytesTotal: usable.reduce((n, d) => n + d.bytes, 0),
    currentFile: '',
    rate: 0,
    eta: undefined,
  };
  const emit = progressEmitter(progress, started, opts.onProgress);
  const writer = new FileWriter({ maxOpen: opts.maxOpenFiles, asRoot, log });
  const opener = await startOpener(
    repo,
    opts.workers ?? (progress.bytesTotal < POOL_MIN_BYTES ? 0 : restoreWorkers()),
    log,
  );
  const restorer = new FileRestorer(
    repo,
    writer,
    log,
    {
      onBytes: (n) => {
        progress.bytesDone += n;
        emit();
      },
      onFileDone: (f) => {
        progress.filesDone++;
        progress.currentFile = typeof f.dest === 'string' ? f.dest : f.snapPath;
        if (f.done) {
          result.filesRestored++;
          result.bytesRestored += f.node.size ?? 0;
        }
        emit();
      },
    },
    opts.signal,
    opener,
  );
  // The storage gone part-way: everything that can still be done is, then every file not restored is named.
  let interrupted: EngineError | undefined;
  try {
    // One batch of files at a time: planned, written, then let go (but for those whose extended
    // attributes are set at the end), so memory does not grow with the number of files.
    for await (const batch of fileBatches(repo, plan, log)) {
      if (opts.signal?.aborted) break;
      const { files, blobsByPack, left } = resolver.files(batch);
      progress.filesTotal -= left.files;
      progress.bytesTotal -= left.bytes;
      if (!interrupted) {
        try {
          await restorer.run(files, blobsByPack);
        } catch (err) {
          if (!storageGone(err)) throw err;
          interrupted = err as EngineError;
        }
      }
      for (const f of files) {
        if (interrupted && !f.done && !f.failed)
          log.notRestored(f.snapPath, f.dest, `its data could not be read: ${interrupted.message}`);
        else if (f.done && f.node.xattrs?.length) plan.files.push(f);
      }
    }
  } catch (err) {
    // The file listing found the storage gone (and named the folders whose files it could not list).
    if (!storageGone(err)) throw err;
    interrupted ??= err as EngineError;
  } finally {
    // Cancelled, the storage gone, or files whose blobs never came: no temporary file stays behind.
    writer.abandonAll();
    await opener.close();
  }
  if (opts.signal?.aborted) throw cancelled();
  result.filesSkipped = resolver.skipped;
  // Tree blobs were authenticated as they were read; the headers of packs holding only trees are checked
  // too, so damage anywhere in a pack this restore depends on is reported.
  for (const packId of interrupted ? [] : plan.treePacks) {
    if (restorer.packsVisited.has(packId)) continue;
    try {
      const header = await readPackHeader(repo.storage, repo.keys, packId);
      const known = new Set(header.map((e) => `${e.id}:${e.offset}:${e.length}`));
      for (const e of repo.packs.get(packId) ?? []) {
        if (!known.has(`${e.id}:${e.offset}:${e.length}`))
          throw new Error(`pack ${packId.slice(0, 16)}: header does not match the index`);
      }
    } catch (err) {
      if (storageGone(err)) {
        interrupted = err as EngineError;
        break;
      }
      log.damaged(`pack ${packId.slice(0, 16)}`, (err as Error).message, []);
    }
  }

  result.hardlinks = createHardlinks(plan.hardlinks, log);
  result.filesRestored += result.hardlinks;
  result.specials = createSpecials(plan.specials, plan.target, asRoot, log);
  result.symlinks = createSymlinks(plan.symlinks, asRoot, log);
  await restoreXattrs(plan, asRoot, log);
  applyDirMetadata(plan.dirs, asRoot, log);
  result.filesNotRestored = plan.filesPlanned - result.filesSkipped - result.filesRestored;
  emit(true);

  // Files lost to damage are named with the damage, once.
  for (const d of log.damage) {
    for (const p of d.paths) {
      if (!log.named(p))
        log.notRestored(
          p,
          restoredPath(path.resolve(opts.target), p, opts.stripPrefix),
          `damaged in the repository: ${d.reason}`,
        );
    }
  }
  result.keptBoth = resolver.keptBoth
    .filter((k) => !log.named(k.snapPath))
    .map((k) => ({ path: displayName(k.wanted), restoredAs: displayName(k.dest) }));
  if (interrupted) throw new RestoreInterruptedError(interrupted, result);
  if (log.damage.length > 0) {
    const lines = log.damage.map(
      (d) => `${d.where}: ${d.reason}${d.paths.length ? `; affects ${d.paths.join(', ')}` : ''}`,
    );
    throw new RestoreIncompleteError(
      log.damage[0]!.where,
      `restore found damaged data (those paths were not written; everything else was restored):\n  ${lines.join('\n  ')}`,
      result,
    );
  }
  return result;
}

/**
 * The restore workers, or the calling thread when there are to be none or they cannot start (a build
 * that left out restore-worker.mjs): the restore is then slower, not wrong, and a note says why.
 */
async function startOpener(repo: Repository, workers: number, log: FailureLog): Promise<BlobOpener> {
  if (workers <= 0) return new InlineBlobOpener(repo.keys);
  try {
    return await RestoreWorkerPool.start(repo.keys, workers);
  } catch (err) {
    log.note('restore workers', `could not start (${(err as Error).message}); the restore ran on one thread`);
    return new InlineBlobOpener(repo.keys);
  }
}
