/**
 * Backup: scan the roots (totals for progress), then save files through the file saver and folders as
 * tree blobs, bottom-up (backup-tree.ts). Files whose size, mtime, ctime and inode match the parent
 * snapshot reuse its blob list without being read. Write order: packs, then the index naming them, then
 * the snapshot.
 *
 *   backup-scan.ts    walks the roots with lstat: what to save, and the totals
 *   backup-tree.ts    compares each folder with the parent snapshot's and stores its tree
 *   backup-files.ts   reads files: inline for a small re-run, else the chunk worker pool; cancel
 *   backup-xattrs.ts  extended attributes: reused from the parent or read per folder
 *   backup-packs.ts   where new blobs go, and the index of this run's packs
 *   backup-report.ts  progress, summary, and the problem records
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EngineError } from '../errors';
import { displayName } from '../fs/fs-names';
import { ExcludeMatcher } from './exclude';
import { storageGone, underLock } from '../repository/lock';
import type { Repository, Snapshot } from '../repository/repository';
import { scanRoots, type ScanDir } from './backup-scan';
import type { EngineProblem } from '../../src-shared/engine-records';
import { formatBytes } from '../../src-shared/units';
import { BackupReport, type BackupProgress } from './backup-report';
import { BackupPacks } from './backup-packs';
import { FileSaver } from './backup-files';
import { BackupXattrs } from './backup-xattrs';
import { TreeSaver } from './backup-tree';

export type { BackupProgress } from './backup-report';

/**
 * Ways in for tests, to change a file at a known moment: between the scan and the read of a file, and
 * between two read windows of it.
 */
export interface BackupReadHooks {
  /** Before a file the scan saw is handed to be read. */
  beforeRead?(path: string): void | Promise<void>;
  /** After each read window (1 MiB) of a file; only for files read on the main thread (`workers: 0`). */
  afterWindow?(path: string, bytesRead: number): void;
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
  /**
   * Each problem as it is found: a path not stored, stored while it changed or without some metadata,
   * or a note.
   */
  onProblem?: (problem: EngineProblem) => void;
  /** Chunk worker threads (default: one per core, at most 8); 0 reads every file on the main thread. */
  workers?: number;
  breakLock?: boolean;
  readHooks?: BackupReadHooks;
  /** Minimum time between progress events (default 100 ms). */
  progressIntervalMs?: number;
}

export interface BackupResult {
  snapshotId: string;
  snapshot: Snapshot;
  /**
   * Every problem, in the order found: `not-stored` (a path left out; `snapshot.partial` is then true),
   * `changed` (stored while it kept changing), `metadata` (stored without its extended attributes) and
   * `note`s. Empty when the snapshot holds everything exactly.
   */
  problems: EngineProblem[];
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
  const report = new BackupReport(started, opts.onProblem, opts.onProgress, opts.progressIntervalMs);
  const xattrs = new BackupXattrs(report);
  return underLock(
    lock,
    () => runBackup(repo, opts, roots, report, xattrs).finally(() => xattrs.close()),
    (err) =>
      report.problem(
        'note',
        `lock ${lock.id.slice(0, 8)}`,
        `the snapshot is saved, but its lock could not be removed (${err.message}); it counts as stale once this backup has ended`,
      ),
  );
}

async function runBackup(
  repo: Repository,
  opts: BackupOptions,
  roots: string[],
  report: BackupReport,
  xattrs: BackupXattrs,
): Promise<BackupResult> {
  const host = opts.host ?? os.hostname();
  await repo.loadIndex();
  let parent: (Snapshot & { id: string }) | undefined;
  if (opts.parent) parent = await repo.findSnapshot(opts.parent);
  else if (opts.parent === undefined) {
    const same = (await repo.listSnapshots()).filter((s) => s.host === host && sameSet(s.paths, roots));
    parent = same[same.length - 1];
  }
  const cancelled = () => new EngineError('CANCELLED', 'backup cancelled');
  const checkCancel = () => {
    if (opts.signal?.aborted) throw cancelled();
  };

  const packs = new BackupPacks(repo, report);
  const afterWindow = opts.readHooks?.afterWindow;
  const files = new FileSaver(
    repo,
    packs,
    report,
    opts.workers,
    afterWindow && ((file, n) => afterWindow(displayName(file), n)),
  );
  // Workers start on the first file that must be read (an unchanged re-run never pays for them), or
  // right away for a first backup, so they load while the scan runs.
  if (!parent) files.warmUp();
  let top: ScanDir;
  try {
    top = await scanRoots(roots, new ExcludeMatcher(opts.excludes ?? []), {
      problem: (kind, what, reason, errno) => report.problem(kind, what, reason, errno),
      checkCancel,
      onFile: (size) => {
        report.progress.filesTotal++;
        report.progress.bytesTotal += size;
        report.emit();
      },
    });
  } catch (err) {
    // Cancelled or failed during the scan: workers started early must not outlive the backup.
    await files.close();
    throw err;
  }
  files.scanDone();

  report.phase('backup');
  const abort = () => files.stop(cancelled());
  opts.signal?.addEventListener('abort', abort);
  let treeId: string;
  try {
    // A damaged parent costs only the comparison: every file is then read again.
    const parentTree = parent
      ? await repo.readTree(parent.tree).catch((err: Error) => {
          report.problem(
            'note',
            `parent snapshot ${parent!.id.slice(0, 8)}`,
            `cannot be compared (${err.message}); every file is read`,
          );
          return undefined;
        })
      : undefined;
    const trees = new TreeSaver(repo, packs, files, xattrs, report, checkCancel, opts.readHooks?.beforeRead);
    treeId = await trees.save(top, '/', parentTree && parent?.tree, parentTree);
    report.phase('finish');
    await files.finish();
    await packs.flushTrees();
    checkCancel();
  } catch (err) {
    // Whatever packs were written stay usable: index them so the next run reuses them (unless the
    // storage is gone: the index could not be written either).
    await files.abandon(storageGone(err));
    if (!storageGone(err)) {
      await packs.writeIndex().catch(() => undefined);
      // Packs a thread was still writing (a full disk stops them all): their temporary files would
      // only hold space on a disk that has none.
      await repo.storage.removeTemps?.(packs.tempTag).catch(() => 0);
    }
    if (err instanceof EngineError && err.code === 'DISK_FULL') throw await diskFullError(repo, report, err);
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', abort);
  }
  await files.close();
  await packs.writeIndex();
  const { summary } = report;
  summary.durationMs = Date.now() - report.started;
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
    partial: report.partial,
    warnings: report.warnings.slice(0, 1000),
    summary,
  };
  const snapshotId = await repo.saveSnapshot(snapshot);
  return { snapshotId, snapshot, problems: report.problems };
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().every((x, i) => x === b[i]);
}

/**
 * A full vault, said with what a person needs to act: how much is free there, and how much this
 * backup still had to read (the most it could still need: deduplication and compression store less).
 */
async function diskFullError(repo: Repository, report: BackupReport, err: EngineError): Promise<EngineError> {
  const free = await repo.storage.freeSpace?.().catch(() => undefined);
  const { bytesDone, bytesTotal } = report.progress;
  const left = Math.max(0, bytesTotal - bytesDone);
  return new EngineError(
    'DISK_FULL',
    `the vault's disk is full${free === undefined ? '' : ` (${formatBytes(free)} free)`}: this backup had read ` +
      `${formatBytes(bytesDone)} of ${formatBytes(bytesTotal)}, so it needs up to ${formatBytes(left)} more ` +
      `(less once duplicates and compression are counted). Free space there or choose another vault; ` +
      `nothing already stored was lost, and this backup's temporary files were removed`,
    { cause: err },
  );
}
