/**
 * The file restorer: decides which pack ranges to read, in what order, and hands each authenticated
 * blob to the writer. Each needed pack is visited once, in order of first use: its header is read and
 * authenticated, then only the byte ranges holding needed blobs (neighbours merged up to RANGE_BYTES),
 * the next range read while this one is decrypted and written. Files are finished as soon as their last
 * blob is written, so the many small files of one range are written, closed and renamed together, in
 * pack order, without a task of their own. Memory is about two ranges plus one decrypted blob.
 * Unreadable or damaged data costs the files that hold it; a storage that stopped answering (or
 * refuses this client) ends the run with that error.
 */
import { EngineError } from '../errors';
import { storageGone } from '../repository/lock';
import { decryptBlob, readPackHeader, type PackEntry } from '../repository/pack';
import type { Repository } from '../repository/repository';
import { packName } from '../storage';
import { MemoryBudget } from '../repository/memory';
import type { BlobTarget, FailureLog, FilePlan } from './restore-plan';
import type { FileWriter } from './restore-writer';

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

export class FileRestorer {
  constructor(
    private readonly repo: Repository,
    private readonly writer: FileWriter,
    private readonly log: FailureLog,
    private readonly events: FileRestorerEvents,
    private readonly signal?: AbortSignal,
  ) {}

  /** Restores `files` from `blobsByPack`; files with no blobs (empty, or all holes) are finished first. */
  async run(files: FilePlan[], blobsByPack: Map<string, Map<string, BlobTarget>>): Promise<void> {
    for (const f of files) if (f.remaining === 0 && !f.failed) this.finish(f);
    const memory = new MemoryBudget();
    const packOrder = [...blobsByPack.keys()];
    const readHeader = (packId: string): Promise<{ header?: PackEntry[]; err?: Error }> =>
      readPackHeader(this.repo.storage, this.repo.keys, packId).then(
        (header) => ({ header }),
        (err: Error) => ({ err }),
      );
    let next = packOrder.length > 0 ? readHeader(packOrder[0]!) : undefined;
    try {
      for (let i = 0; i < packOrder.length; i++) {
        if (this.signal?.aborted) break;
        const packId = packOrder[i]!;
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
        await this.restorePack(packId, planRanges([...needs.values()]), memory);
      }
    } finally {
      await next?.catch(() => undefined);
    }
  }

  private async restorePack(packId: string, ranges: ReadRange[], memory: MemoryBudget): Promise<void> {
    const readRange = (r: ReadRange): Promise<{ bytes?: Buffer; err?: Error }> =>
      this.repo.storage.readRange(packName(packId), r.start, r.end - r.start).then(
        (bytes) => ({ bytes }),
        (err: Error) => ({ err }),
      );
    let nextRange = ranges.length > 0 ? readRange(ranges[0]!) : undefined;
    try {
      for (let ri = 0; ri < ranges.length; ri++) {
        if (this.signal?.aborted) return;
        const range = ranges[ri]!;
        const read = await nextRange!;
        nextRange = ri + 1 < ranges.length ? readRange(ranges[ri + 1]!) : undefined;
        const bytes = read.bytes;
        if (storageGone(read.err)) throw read.err;
        if (!bytes || bytes.length !== range.end - range.start) {
          this.failBlobs(
            packId,
            range.blobs,
            read.err?.message ?? `pack ${packId.slice(0, 16)}: shorter than its index says`,
          );
          continue;
        }
        for (const b of range.blobs) this.writeBlob(packId, range, bytes, b);
        memory.spent(bytes.length);
      }
    } finally {
      await nextRange?.catch(() => undefined);
    }
  }

  /** Authenticates and decrypts one blob, then writes it to every file that holds it. */
  private writeBlob(packId: string, range: ReadRange, bytes: Buffer, b: BlobTarget): void {
    if (!b.targets.some((t) => !t.file.failed)) {
      for (const t of b.targets) this.blobDone(t.file);
      return;
    }
    let plain: Buffer;
    try {
      const start = b.entry.offset - range.start;
      plain = decryptBlob(
        this.repo.keys,
        b.entry,
        bytes.subarray(start, start + b.entry.length),
        `pack ${packId.slice(0, 16)}`,
      );
    } catch (err) {
      this.failBlobs(packId, [b], (err as Error).message);
      return;
    }
    for (const t of b.targets) {
      if (this.writer.write(t.file, t.offset, plain)) this.events.onBytes(plain.length, t.file);
      this.blobDone(t.file);
    }
  }

  private blobDone(f: FilePlan): void {
    f.remaining--;
    if (f.remaining === 0) this.finish(f);
  }

  private finish(f: FilePlan): void {
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
