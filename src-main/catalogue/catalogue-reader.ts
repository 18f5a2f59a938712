/**
 * Main's read-only view of one vault's catalogue (see src-main/catalogue/catalogue-file.ts for the
 * tables): search, the versions of one path, what changed between two backups, and counts. Every answer counts only
 * the backups that still exist in the catalogue, so a backup removed by retention leaves no trace.
 * Queries go through indexes; the list of backups per lineage (small) is cached until another
 * connection (the job process) commits a change. Synchronous: main runs it in its catalogue worker
 * thread (src-main/catalogue-worker), the benchmark and tests directly.
 *
 * What keeps the slow end of the latencies down (bench/find-catalogue.ts): statements are prepared
 * once per reader (preparing cost more than a versions query itself), content keys come out of
 * SQLite as hex text (no Buffer per row, less garbage to collect), and a search without a trigram
 * to narrow it walks paths in path order (the path_full index) so that it stops at the limit.
 */
import type Database from 'better-sqlite3';
import type {
  CatalogueEntryType,
  DiffEntry,
  FileAbsence,
  FileVersion,
  SnapshotDiff,
  SnapshotRef,
} from '../../src-shared/ipc-contract';
import { ServiceError } from '../services/service-error';
import { ENTRY_TYPES, openCatalogueForReading } from './catalogue-file';
import { foldForSearch, type SearchPattern } from './search-pattern';

interface SnapshotRow {
  id: string;
  lineage: number;
  pos: number;
  time: string;
}
interface Lineage {
  id: number;
  itemId: string | null;
  /** Existing backups, by position. */
  snapshots: SnapshotRow[];
}
interface SpanRow {
  path: number;
  lineage: number;
  first_pos: number;
  last_pos: number | null;
  type: number;
  /** The content key, lower-case hex. */
  content: string;
  size: number | null;
  mtime: number | null;
}

/** A span's columns, the content key as hex. */
const SPAN = (s: string) =>
  `${s}.path, ${s}.lineage, ${s}.first_pos, ${s}.last_pos, ${s}.type, lower(hex(${s}.content)) AS content, ${s}.size, ${s}.mtime`;

/** One path in one lineage, as search finds it. */
export interface CatalogueHit {
  itemId: string | null;
  path: string;
  type: CatalogueEntryType;
  versionCount: number;
  lastSeen: SnapshotRef;
  inLatest: boolean;
}

export class CatalogueReader {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private cache: {
    dataVersion: number;
    lineages: Map<number, Lineage>;
    byId: Map<string, SnapshotRow>;
  } | null = null;

  constructor(file: string) {
    this.db = openCatalogueForReading(file);
    this.db.function('fold', { deterministic: true }, (s: unknown) =>
      typeof s === 'string' ? foldForSearch(s) : s,
    );
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Backups catalogued, and when the job process last finished an update (null: never). */
  info(): { snapshots: number; updatedAt: string | null } {
    const updated = this.sql("SELECT value FROM meta WHERE key = 'updated_at'").get() as
      { value: string } | undefined;
    return { snapshots: this.state().byId.size, updatedAt: updated?.value ?? null };
  }

  /** Paths matching the pattern, one hit per path and lineage; at most `limit` (+ whether there were more). */
  search(pattern: SearchPattern, limit: number): { hits: CatalogueHit[]; truncated: boolean } {
    const { lineages } = this.state();
    const like = (column: string) => `fold(${column}) LIKE @like ESCAPE '\\'`;
    // In path order; a path is at least one hit, so limit + 1 paths tell whether there are more.
    let paths: { id: number; full: string }[];
    if (pattern.match) {
      // The trigram index narrows (CROSS JOIN keeps it first), LIKE decides.
      paths = this.sql(
        `SELECT p.id, p.full FROM path_text t CROSS JOIN path p ON p.id = t.rowid
         WHERE path_text MATCH @match AND ${like(`p.${pattern.column}`)} ORDER BY p.full LIMIT @limit`,
      ).all({ match: pattern.match, like: pattern.like, limit: limit + 1 }) as typeof paths;
    } else {
      // Nothing to narrow with: paths in path order (path_full) until the limit. A name that matches
      // means its path does too, which path_full answers before the row is read.
      const where = pattern.column === 'name' ? `${like('full')} AND ${like('name')}` : like(pattern.column);
      paths = this.sql(`SELECT id, full FROM path WHERE ${where} ORDER BY full LIMIT @limit`).all({
        like: pattern.like,
        limit: limit + 1,
      }) as typeof paths;
    }
    const spansOf = this.sql(
      `SELECT ${SPAN('s')} FROM span s WHERE s.path = ? ORDER BY s.lineage, s.first_pos`,
    );
    const hits: CatalogueHit[] = [];
    for (const p of paths) {
      const byLineage = groupBy(spansOf.all(p.id) as SpanRow[], (s) => s.lineage);
      for (const [lineageId, spans] of byLineage) {
        const lineage = lineages.get(lineageId);
        if (!lineage) continue;
        const held = spans
          .map((s) => ({ span: s, snaps: heldBy(lineage, s) }))
          .filter((h) => h.snaps.length > 0);
        if (held.length === 0) continue;
        if (hits.length === limit) return { hits, truncated: true };
        const lastHeld = held.at(-1)!;
        const lastSeen = lastHeld.snaps.at(-1)!;
        hits.push({
          itemId: lineage.itemId,
          path: p.full,
          type: ENTRY_TYPES[lastHeld.span.type] ?? 'other',
          versionCount: new Set(held.map((h) => contentOf(h.span))).size,
          lastSeen: ref(lastSeen),
          inLatest: lastSeen.pos === lineage.snapshots.at(-1)!.pos,
        });
      }
    }
    return { hits, truncated: paths.length > limit };
  }

  /** Distinct contents of one path in the backups of one item (null: backups made elsewhere), and its gaps. */
  versions(itemId: string | null, fullPath: string): { versions: FileVersion[]; absences: FileAbsence[] } {
    const { lineages } = this.state();
    const pathId = this.pathId(fullPath);
    const mine = [...lineages.values()].filter((l) => l.itemId === itemId);
    if (pathId === null || mine.length === 0) return { versions: [], absences: [] };
    const spansOf = this.sql(
      `SELECT ${SPAN('s')} FROM span s WHERE s.path = ? AND s.lineage = ? ORDER BY s.first_pos`,
    );
    const groups = new Map<string, { version: FileVersion; firstPos: number }>();
    const absences: FileAbsence[] = [];
    for (const lineage of mine) {
      const held = (spansOf.all(pathId, lineage.id) as SpanRow[])
        .map((span) => ({ span, snaps: heldBy(lineage, span) }))
        .filter((h) => h.snaps.length > 0);
      if (held.length === 0) continue;
      for (const { span, snaps } of held) {
        const key = contentOf(span);
        const group = groups.get(key);
        if (group) {
          group.version.backupCount += snaps.length;
          group.version.last = ref(snaps.at(-1)!);
        } else {
          groups.set(key, {
            firstPos: snaps[0]!.pos,
            version: {
              contentKey: span.content,
              type: ENTRY_TYPES[span.type] ?? 'other',
              size: span.size,
              mtime: span.mtime === null ? null : new Date(span.mtime).toISOString(),
              backupCount: snaps.length,
              first: ref(snaps[0]!),
              last: ref(snaps.at(-1)!),
            },
          });
        }
      }
      absences.push(
        ...gaps(
          lineage,
          held.map((h) => h.snaps),
        ),
      );
    }
    const versions = [...groups.values()]
      .sort((a, b) => a.version.first.time.localeCompare(b.version.first.time) || a.firstPos - b.firstPos)
      .map((g) => g.version);
    absences.sort((a, b) => a.from.time.localeCompare(b.from.time));
    return { versions, absences };
  }

  /** Paths added, removed and modified from one backup to another of the same lineage. */
  diff(fromId: string, toId: string, limit: number): SnapshotDiff {
    const { lineages, byId } = this.state();
    const from = byId.get(fromId) ?? this.findByPrefix(fromId);
    const to = byId.get(toId) ?? this.findByPrefix(toId);
    if (from.lineage !== to.lineage) {
      throw new ServiceError(
        'bad_request',
        'Those two backups are of different protected items: choose two of the same.',
      );
    }
    const lineage = lineages.get(from.lineage)!;
    const [lo, hi] = from.pos <= to.pos ? [from.pos, to.pos] : [to.pos, from.pos];
    // Spans that hold a path at `hi` but began after `lo`, and spans that held one at `lo` but ended
    // before `hi`. Most paths are in both (changed), so only the first brings the path's name; the
    // few only in the second (gone by `hi`) look theirs up: a wide diff reads half the names.
    const startedBetween = this.sql(
      `SELECT ${SPAN('s')}, p.full FROM span s JOIN path p ON p.id = s.path
       WHERE s.lineage = ? AND s.first_pos > ? AND s.first_pos <= ? AND (s.last_pos IS NULL OR s.last_pos >= ?)`,
    ).all(lineage.id, lo, hi, hi) as (SpanRow & { full: string })[];
    const endedBetween = this.sql(
      `SELECT ${SPAN('s')} FROM span s
       WHERE s.lineage = ? AND s.last_pos >= ? AND s.last_pos < ? AND s.first_pos <= ?`,
    ).all(lineage.id, lo, hi, lo) as SpanRow[];
    const atHi = new Map(startedBetween.map((s) => [s.path, s]));
    const atLo = new Map(endedBetween.map((s) => [s.path, s]));
    const fullOf = this.sql('SELECT full FROM path WHERE id = ?').pluck();
    const pathOf = (pathId: number) => atHi.get(pathId)?.full ?? (fullOf.get(pathId) as string);
    const [atFrom, atTo] = from.pos <= to.pos ? [atLo, atHi] : [atHi, atLo];
    const added: DiffEntry[] = [];
    const removed: DiffEntry[] = [];
    const modified: DiffEntry[] = [];
    for (const [pathId, after] of atTo) {
      const before = atFrom.get(pathId);
      if (!before) added.push(diffEntry(pathOf(pathId), null, after));
      // A folder's key changes with anything below it: those changes are listed themselves.
      else if (contentOf(before) !== contentOf(after) && !(isDir(before) && isDir(after))) {
        modified.push(diffEntry(pathOf(pathId), before, after));
      }
    }
    for (const [pathId, before] of atFrom) {
      if (!atTo.has(pathId)) removed.push(diffEntry(pathOf(pathId), before, null));
    }
    const byPath = (a: DiffEntry, b: DiffEntry) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
    const totals = { added: added.length, removed: removed.length, modified: modified.length };
    return {
      from: ref(from),
      to: ref(to),
      added: added.sort(byPath).slice(0, limit),
      removed: removed.sort(byPath).slice(0, limit),
      modified: modified.sort(byPath).slice(0, limit),
      truncated: totals.added > limit || totals.removed > limit || totals.modified > limit,
      totals,
    };
  }

  private findByPrefix(prefix: string): SnapshotRow {
    const found = [...this.state().byId.values()].filter((s) => s.id.startsWith(prefix));
    if (found.length === 1) return found[0]!;
    throw new ServiceError(
      'not_found',
      found.length === 0
        ? `The backup ${prefix.slice(0, 8)} is not in the file catalogue (update the catalogue, or it was removed).`
        : `More than one backup starts with ${prefix}.`,
    );
  }

  private pathId(fullPath: string): number | null {
    const byName = this.sql('SELECT id FROM path WHERE parent = ? AND name = ?');
    let id = 0;
    for (const name of fullPath.split('/').filter(Boolean)) {
      const row = byName.get(id, name) as { id: number } | undefined;
      if (!row) return null;
      id = row.id;
    }
    return id === 0 ? null : id;
  }

  /** A statement prepared once for this reader. */
  private sql(source: string): Database.Statement {
    let statement = this.statements.get(source);
    if (!statement) {
      statement = this.db.prepare(source);
      this.statements.set(source, statement);
    }
    return statement;
  }

  /** The lineages and their existing backups, reloaded when the job process has committed since. */
  private state() {
    const dataVersion = this.sql('PRAGMA data_version').pluck().get() as number;
    if (this.cache?.dataVersion === dataVersion) return this.cache;
    const lineages = new Map<number, Lineage>();
    for (const l of this.sql('SELECT id, item_id FROM lineage').all() as {
      id: number;
      item_id: string | null;
    }[]) {
      lineages.set(l.id, { id: l.id, itemId: l.item_id, snapshots: [] });
    }
    const byId = new Map<string, SnapshotRow>();
    for (const s of this.sql(
      'SELECT id, lineage, pos, time FROM snapshot ORDER BY lineage, pos',
    ).all() as SnapshotRow[]) {
      lineages.get(s.lineage)?.snapshots.push(s);
      byId.set(s.id, s);
    }
    this.cache = { dataVersion, lineages, byId };
    return this.cache;
  }
}

/** The existing backups a span covers (an open span: up to the lineage's newest). */
function heldBy(lineage: Lineage, span: SpanRow): SnapshotRow[] {
  const snaps = lineage.snapshots;
  const start = lowerBound(snaps, span.first_pos);
  const end = span.last_pos === null ? snaps.length : lowerBound(snaps, span.last_pos + 1);
  return snaps.slice(start, end);
}

/** Runs of backups after the path's first appearance that do not hold it. */
function gaps(lineage: Lineage, heldRuns: SnapshotRow[][]): FileAbsence[] {
  const holding = new Set(heldRuns.flat().map((s) => s.pos));
  const firstPos = Math.min(...holding);
  const out: FileAbsence[] = [];
  let open: SnapshotRow | null = null;
  for (const s of lineage.snapshots) {
    if (s.pos < firstPos) continue;
    if (!holding.has(s.pos)) open ??= s;
    else if (open) {
      out.push({ from: ref(open), until: ref(s) });
      open = null;
    }
  }
  if (open) out.push({ from: ref(open), until: null });
  return out;
}

function lowerBound(snaps: SnapshotRow[], pos: number): number {
  let lo = 0;
  let hi = snaps.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (snaps[mid]!.pos < pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Versions are told apart by content, and by type (a folder that became a file is another version). */
function contentOf(span: SpanRow): string {
  return `${span.type}:${span.content}`;
}

function isDir(span: SpanRow): boolean {
  return ENTRY_TYPES[span.type] === 'dir';
}

function diffEntry(full: string, before: SpanRow | null, after: SpanRow | null): DiffEntry {
  return {
    path: full,
    type: ENTRY_TYPES[(after ?? before)!.type] ?? 'other',
    sizeBefore: before?.size ?? null,
    sizeAfter: after?.size ?? null,
  };
}

function ref(s: SnapshotRow): SnapshotRef {
  return { id: s.id, time: s.time };
}

function groupBy<T, K>(items: T[], key: (t: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
