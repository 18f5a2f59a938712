/**
 * Reads the files a backup must read and stores their chunks: a re-run that reads only a few MiB does it
 * on the main thread (starting worker threads would cost more than the work), as does every run told
 * to use no workers; everything else goes to the chunk worker pool, small files batched into one
 * message. At most MAX_IN_FLIGHT files are queued or being read at any time, so memory stays bounded
 * however many files the tree holds. `stop` cancels: queued files are dropped and a file being chunked
 * stops at its next read window.
 */
import { ChunkingStopped, saveFile, unreadable } from './chunk-file';
import { gearTable } from './chunker';
import { EngineError } from '../errors';
import type { FsPath } from '../fs/fs-names';
import type { Repository } from '../repository/repository';
import type { BackupPacks } from './backup-packs';
import type { BackupReport } from './backup-report';
import { ChunkWorkerPool, type FileResult } from './worker-pool';
import type { FileIdentity } from './worker-protocol';

export type { FileResult } from './worker-pool';

/** Bytes a run may chunk on its main thread before it starts the workers. */
const INLINE_BUDGET = 32 * 1024 * 1024;
/** Files queued or being read at once: enough to keep every worker busy while folders are assembled. */
const MAX_IN_FLIGHT = 4096;

export class FileSaver {
  private poolStarting: Promise<ChunkWorkerPool> | undefined;
  private begun: Promise<ChunkWorkerPool> | undefined;
  private pool: ChunkWorkerPool | undefined;
  private scanned = false;
  private inlineBytes = 0;
  private inlineGear: Int32Array | undefined;
  private inlineChain: Promise<unknown> = Promise.resolve();
  private storeFailure: unknown;
  private stopped: Error | undefined;
  private inFlight = 0;
  private readonly roomWaiters: (() => void)[] = [];

  constructor(
    private readonly repo: Repository,
    private readonly packs: BackupPacks,
    private readonly report: BackupReport,
    /** Worker threads; 0 reads every file on the main thread. */
    private readonly workers: number | undefined,
    /** Called after each read window of a file read on the main thread (see chunk-file.ts). */
    private readonly afterWindow?: (file: FsPath, bytesRead: number) => void,
  ) {}

  /** Starts the workers now (a first backup), so they load while the scan runs. */
  warmUp(): void {
    if (this.workers === 0) return;
    void this.spawnPool().catch(() => undefined);
  }

  /** The scan has counted files and bytes: the shared id set can be sized and files saved. */
  scanDone(): void {
    this.scanned = true;
  }

  /** Waits until another file may be queued (throws once the backup is stopped). */
  async admit(): Promise<void> {
    while (this.inFlight >= MAX_IN_FLIGHT && !this.stopped)
      await new Promise<void>((r) => this.roomWaiters.push(r));
    if (this.stopped) throw this.stopped;
    this.inFlight++;
  }

  /**
   * Chunks and stores the file the scan saw as `seen` (after `admit`); resolves with its blob ids, or
   * `error` when it is unreadable or no longer that file.
   */
  save(file: FsPath, seen: FileIdentity): Promise<FileResult> {
    const run =
      this.workers === 0 || (this.poolStarting === undefined && this.inlineBytes + seen.size <= INLINE_BUDGET)
        ? ((this.inlineBytes += seen.size), this.saveInline(file, seen))
        : this.getPool().then((p) => p.processFile({ path: file, ...seen }));
    return run.finally(() => {
      this.inFlight--;
      this.roomWaiters.shift()?.();
    });
  }

  /** Cancellation: nothing new starts, and files being read stop at their next read window. */
  stop(err: Error): void {
    this.stopped ??= err;
    this.pool?.stop(err);
    for (const w of this.roomWaiters.splice(0)) w();
  }

  /** After every file: waits for the workers' last packs and writes the main thread's. */
  async finish(): Promise<void> {
    if (this.poolStarting) await (await this.poolStarting).flush();
    await this.inlineChain;
    await this.packs.flushData();
  }

  /**
   * After a failure or cancellation: whatever packs can still be written are written (and so indexed, for
   * the next run to reuse), and the workers end. `storageGone`: nothing is written.
   */
  async abandon(storageGone = false): Promise<void> {
    const p = this.pool ?? (await this.poolStarting?.catch(() => undefined));
    // With the storage gone, writing would only wait on it again.
    if (p && !p.error && !storageGone) await p.flush().catch(() => undefined);
    await p?.close();
    await this.inlineChain.catch(() => undefined);
    if (!storageGone) await this.packs.flushData().catch(() => undefined);
  }

  async close(): Promise<void> {
    await (await this.poolStarting?.catch(() => undefined))?.close();
  }

  private spawnPool(): Promise<ChunkWorkerPool> {
    return (this.poolStarting ??= ChunkWorkerPool.start(
      this.repo,
      {
        onPack: (packId, entries) => this.packs.addPack(packId, entries),
        onBytes: (n) => this.report.bytesRead(n),
      },
      this.workers,
      this.packs.tempTag,
    ));
  }

  private getPool(): Promise<ChunkWorkerPool> {
    return (this.begun ??= this.spawnPool().then((p) => {
      if (!this.scanned) throw new Error('internal: files dispatched before the scan finished');
      const { bytesTotal, filesTotal } = this.report.progress;
      // Each file yields at most size/min + 1 chunks: the shared id set can never fill up.
      p.begin(
        this.repo,
        Math.ceil(bytesTotal / this.repo.config.chunker.min) + filesTotal + this.packs.reserved.size,
        this.packs.reserved,
      );
      this.pool = p;
      if (this.stopped) p.stop(this.stopped);
      return p;
    }));
  }

  private saveInline(file: FsPath, seen: FileIdentity): Promise<FileResult> {
    const run = this.inlineChain.then(async (): Promise<FileResult> => {
      if (this.stopped) throw this.stopped;
      this.inlineGear ??= gearTable(this.repo.keys.gear);
      const afterWindow = this.afterWindow;
      try {
        const { stopped: _, ...r } = await saveFile(file, seen, {
          gear: this.inlineGear,
          chunker: this.repo.config.chunker,
          blobIdKey: this.repo.keys.blobId,
          stop: () => this.stopped !== undefined,
          onChunk: async (idBytes, id, chunk) => {
            try {
              await this.packs.saveData(idBytes, id, chunk);
            } catch (err) {
              this.storeFailure = err;
              throw err;
            }
            this.report.bytesRead(chunk.length);
          },
          ...(afterWindow ? { afterWindow: (n: number) => afterWindow(file, n) } : {}),
        });
        return r;
      } catch (err) {
        // The repository's disk failing ends the backup; an unreadable file is only a warning.
        if (this.storeFailure) throw this.storeFailure;
        if (err instanceof ChunkingStopped)
          throw this.stopped ?? new EngineError('CANCELLED', 'backup cancelled');
        return { content: [], size: 0, error: unreadable(err) };
      }
    });
    this.inlineChain = run.catch(() => undefined);
    return run;
  }
}
