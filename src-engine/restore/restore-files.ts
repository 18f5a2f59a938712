/**
 * The file restorer: decides which pack ranges to read, in what order, and hands each authenticated
 * blob to the writer. Each needed pack is visited once, in order of first use: its header is read and
 * authenticated, then only the byte ranges holding needed blobs (neighbours merged up to RANGE_BYTES).
 * Several ranges are read and opened (authenticated, decrypted, decompressed: by the restore workers of
 * restore-pool.ts) ahead of the one being written, which the main thread does, in order. Files are
 * finished as soon as their last blob is written, so the many small files of one range are written,
 * closed and renamed together, in pack order, without a task of their own. Memory is bounded by the
 * bytes ahead (BYTES_AHEAD) and their plaintexts, whatever the size of the restore.
 * Unreadable or damaged data costs the files that hold it; a storage that stopped answering (or
 * refuses this client) ends the run with that error.
 */
import { EngineError } from '../errors';
import { storageGone } from '../repository/lock';
import { readPackHeader, type PackEntry } from '../repository/pack';
import type { Repository } from '../repository/repository';
import { packName } from '../storage';
import { HeapBudget, MemoryBudget } from '../repository/memory';
import type { BlobTarget, FailureLog, FilePlan } from './restore-plan';
import type { FileWriter } from './restore-writer';
import type { OpenedBlob } from './restore-blobs';
import { InlineBlobOpener, type BlobOpener } from './restore-pool';

/** Needed blobs of one pack merged into reads of at most RANGE_BYTES (a larger blob is a read of its own). */
const RANGE_BYTES = 8 * 1024 * 1024;
/** Skipping fewer unneeded bytes than this costs more in extra reads than reading them. */
const RANGE_GAP = 256 * 1024;

interface ReadRange {
  start: number;
  end: number;
  blobs: BlobTarget[];
}

export function planRanges(blobs: BlobTarget[]): ReadRange[] {
  const sorted = [...blobs].sort((a, b) => a.entry.offset - b.entry.offset);
  const out: ReadRange[] = [];
  let cur: ReadRange | undefined;
  for (const b of sorted) {
    const start = b.entry.offset;
    const end = start + b.entry.length;
    if (cur && start - cur.end <= RANGE_GAP && end - cur.start <= RANGE_BYTES) {
      cur.end = Math.max(cur.end, end);
      cur.blobs.push(b);
    } else {
      cur = { start, end, blobs: [b] };
      out.push(cur);
    }
  }
  return out;
}

export interface FileRestorerEvents {
  onBytes(n: number, file: FilePlan): void;
  onFileDone(file: FilePlan): void;
}

/**
 * Ranges read and being opened ahead of the one being written, and at most this many of their bytes
 * (one full range): writing, not opening, sets the pace, so more ahead would only cost memory.
 */
const RANGES_AHEAD = 3;
const BYTES_AHEAD = RANGE_BYTES;

/** A range on its way: read, then opened (by a worker or inline); what it became. */
interface InFlight {
  packId: string;
  range: ReadRange;
  bytes: number;
  result: Promise<RangeResult>;
}

type RangeResult =
  | { opened: OpenedBlob[] }
  /** Unreadable, or shorter than the index says: damage, unless the storage is gone. */
  | { unreadable: Error | undefined }
  /** The opener itself failed (a worker died): the restore cannot go on. */
  | { fatal: Error };

export class FileRestorer {
  /** Packs whose header this restorer read (or tried to). */
  readonly packsVisited = new Set<string>();
  /**
   * Each file leaves its plan behind once finished: without collections that garbage, not the batch
   * being restored, would set the peak of a restore of many small files (see memory.ts).
   */
  private readonly heap = new HeapBudget();

  constructor(
    private readonly repo: Repository,
    private readonly writer: FileWriter,
    private readonly log: FailureLog,
    private readonly events: FileRestorerEvents,
    private readonly signal?: AbortSignal,
    private readonly opener: BlobOpener = new InlineBlobOpener(repo.keys),
  ) {}

  /**
   * Restores `files` from `blobsByPack`; files with no blobs (empty, or all holes) are finished first.
   * Ranges are read and opened several ahead, and written in order as they come back.
   */
  async run(files: FilePlan[], blobsByPack: Map<string, Map<string, BlobTarget>>): Promise<void> {
    for (const f of files) if (f.remaining === 0 && !f.failed) this.finish(f);
    const memory = new MemoryBudget();
    const packOrder = [...blobsByPack.keys()];
    const readHeader = (packId: string): Promise<{ header?: PackEntry[]; err?: Error }> =>
      readPackHeader(this.repo.storage, this.repo.keys, packId).then(
        (header) => ({ header }),
        (err: Error) => ({ err }),
      );
    const ahead: InFlight[] = [];
    let aheadBytes = 0;
    const writeNext = async (): Promise<void> => {
      const r = ahead.shift()!;
      aheadBytes -= r.bytes;
      const result = await r.result;
      this.writeRange(r.packId, r.range, result);
      // The range's bytes and, now written and dropped, its plaintexts.
      let plain = 0;
      if ('opened' in result) for (const o of result.opened) plain += o.plain?.length ?? 0;
      memory.spent(r.bytes + plain);
    };
    let next = packOrder.length > 0 ? readHeader(packOrder[0]!) : undefined;
    try {
      for (let i = 0; i < packOrder.length; i++) {
        if (this.signal?.aborted) break;
        const packId = packOrder[i]!;
        this.packsVisited.add(packId);
        const got = await next!;
        next = i + 1 < packOrder.length ? readHeader(packOrder[i + 1]!) : undefined;
        const needs = blobsByPack.get(packId)!;
        // The storage gone is not damage: the restore stops, and says what it did not restore.
        if (storageGone(got.err)) throw got.err;
        if (!got.header) {
          this.failBlobs(packId, needs.values(), got.err?.message ?? 'unreadable');
          continue;
        }
        const byId = new Map(got.header.map((e) => [e.id, e]));
        const disagree = [...needs.entries()].find(([id, b]) => {
          const h = byId.get(id);
          return !h || h.offset !== b.entry.offset || h.length !== b.entry.length;
        });
        if (disagree) {
          this.failBlobs(
            packId,
            needs.values(),
            `pack ${packId.slice(0, 16)}: header disagrees with the index about blob ${disagree[0].slice(0, 16)}`,
          );
          continue;
        }
        for (const range of planRanges([...needs.values()])) {
          const bytes = range.end - range.start;
          while (ahead.length >= RANGES_AHEAD || (ahead.length > 0 && aheadBytes + bytes > BYTES_AHEAD)) {
            await writeNext();
            if (this.signal?.aborted) return;
          }
          ahead.push({ packId, range, bytes, result: this.readAndOpen(packId, range) });
          aheadBytes += bytes;
        }
      }
      while (ahead.length > 0 && !this.signal?.aborted) await writeNext();
    } finally {
      await next?.catch(() => undefined);
      await Promise.all(ahead.map((r) => r.result));
    }
  }

  /** Never rejects: what went wrong is in the result, for writeRange to act on in order. */
  private async readAndOpen(packId: string, range: ReadRange): Promise<RangeResult> {
    let bytes: Buffer;
    try {
      bytes = await this.repo.storage.readRange(packName(packId), range.start, range.end - range.start);
    } catch (err) {
      return { unreadable: err as Error };
    }
    if (bytes.length !== range.end - range.start) return { unreadable: undefined };
    try {
      return {
        opened: await this.opener.open(
          packId,
          bytes,
          range.start,
          range.blobs.map((b) => b.entry),
        ),
      };
    } catch (err) {
      return { fatal: err as Error };
    }
  }

  /** Writes each opened blob of a range to every file that holds it; a blob that did not open fails its files. */
  private writeRange(packId: string, range: ReadRange, result: RangeResult): void {
    if ('fatal' in result) throw result.fatal;
    if ('unreadable' in result) {
      if (storageGone(result.unreadable)) throw result.unreadable;
      this.failBlobs(
        packId,
        range.blobs,
        result.unreadable?.message ?? `pack ${packId.slice(0, 16)}: shorter than its index says`,
      );
      return;
    }
    range.blobs.forEach((b, i) => {
      const opened = result.opened[i]!;
      if (!b.targets.some((t) => !t.file.failed)) {
        for (const t of b.targets) this.blobDone(t.file);
      } else if (!opened.plain) {
        this.failBlobs(packId, [b], opened.error ?? 'could not be opened');
      } else {
        for (const t of b.targets) {
          if (this.writer.write(t.file, t.offset, opened.plain))
            this.events.onBytes(opened.plain.length, t.file);
          this.blobDone(t.file);
        }
      }
    });
  }

  private blobDone(f: FilePlan): void {
    f.remaining--;
    if (f.remaining === 0) this.finish(f);
  }

  private finish(f: FilePlan): void {
    this.heap.check();
    if (f.failed) this.writer.abandon(f);
    else this.writer.finish(f);
    this.events.onFileDone(f);
  }

  /** Damaged data: the files holding these blobs are not created; the damage is named at the end. */
  private failBlobs(packId: string, blobs: Iterable<BlobTarget>, reason: string): void {
    const affected = new Set<string>();
    for (const b of blobs) {
      for (const t of b.targets) {
        affected.add(t.file.snapPath);
        if (!t.file.failed) {
          t.file.failed = reason;
          t.file.damaged = true;
          this.writer.abandon(t.file);
        }
        this.blobDone(t.file);
      }
    }
    this.log.damaged(`pack ${packId.slice(0, 16)}`, reason, [...affected]);
  }
}

export function cancelled(): EngineError {
  return new EngineError('CANCELLED', 'restore cancelled; completed files were kept');
}
