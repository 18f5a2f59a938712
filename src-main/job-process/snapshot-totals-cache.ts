/**
 * The totals (files, bytes) of snapshots made before their summary recorded them, kept in the app's
 * data directory so each is walked once: one small JSON file per repository, named by the repository
 * id, holding snapshot id -> totals. A file that cannot be read or does not parse is ignored (and
 * rewritten at the next save); it is a cache, so losing it costs only a walk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { SnapshotTotals } from './opened-repository';

const cacheFile = z
  .object({
    version: z.literal(1),
    repositoryId: z.string(),
    totals: z.record(
      z.string().regex(/^[0-9a-f]{64}$/),
      z.object({ files: z.number().int().nonnegative(), bytes: z.number().nonnegative() }).strict(),
    ),
  })
  .strict();

export class SnapshotTotalsCache {
  private readonly file: string;

  constructor(
    dir: string,
    private readonly repositoryId: string,
  ) {
    // The repository id is hex; anything else is not trusted as a file name.
    if (!/^[0-9a-f]{8,128}$/.test(repositoryId)) throw new Error('unexpected repository id');
    this.file = path.join(dir, `${repositoryId}.json`);
  }

  read(): Map<string, SnapshotTotals> {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch {
      return new Map();
    }
    const parsed = cacheFile.safeParse(raw);
    if (!parsed.success || parsed.data.repositoryId !== this.repositoryId) return new Map();
    return new Map(Object.entries(parsed.data.totals));
  }

  /** Writes `totals` whole (those of snapshots still in the repository), replacing the file atomically. */
  write(totals: Map<string, SnapshotTotals>): void {
    const body = { version: 1, repositoryId: this.repositoryId, totals: Object.fromEntries(totals) };
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(body), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }
}
