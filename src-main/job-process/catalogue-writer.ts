/**
 * Writes a vault's file catalogue (tables: src-main/services/catalogue/catalogue-file.ts) in the
 * job process. A backup is appended to its lineage by walking its tree with the engine's walkTree,
 * comparing each entry's content key with the path's open span: equal, nothing is written (and a
 * folder with an equal key is not walked: nothing below it changed); different, the old span is
 * closed at the previous position and a new one opened; a path the backup no longer has is closed
 * with everything below it. Each backup is one transaction, so a stopped job leaves a consistent
 * catalogue of the backups it finished.
 */
import type Database from 'better-sqlite3';
import { contentKey, walkTree, type Repository, type Snapshot } from '../../src-engine/index';
import { ENTRY_TYPES } from '../services/catalogue/catalogue-file';

export type RepoSnapshot = Snapshot & { id: string };

const DIR = ENTRY_TYPES.indexOf('dir');

/** Backups of one protected item (its "item:<id>" tag) form a lineage; others, one per host and set of paths. */
export function lineageOf(s: Pick<Snapshot, 'tags' | 'host' | 'paths'>): {
  key: string;
  itemId: string | null;
} {
  const tag = s.tags.find((t) => t.startsWith('item:') && t.length > 5);
  if (tag) return { key: tag, itemId: tag.slice('item:'.length) };
  return { key: `other:${s.host}\0${[...s.paths].sort().join('\0')}`, itemId: null };
}

/** Oldest first; equal times by id, so the order is the same on every run. */
export function byTime(a: { time: string; id: string }, b: { time: string; id: string }): number {
  return a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export interface CataloguedSnapshot {
  id: string;
  lineage: number;
  pos: number;
  time: string;
  tree: string;
}
export interface LineageRow {
  id: number;
  key: string;
  itemId: string | null;
  headPos: number;
}

interface OpenChild {
  pathId: number;
  spanId: number;
  type: number;
  content: Buffer;
}
interface OpenDir {
  pathId: number;
  /** Open spans of its children not seen yet in this backup, by name. */
  children: Map<string, OpenChild>;
}

export interface AppendHooks {
  /** Called every few hundred entries (progress, cancel checks). */
  onEntries?(walked: number, path: string): void;
  /** A folder whose tree cannot be read: its contents count as absent from this backup. */
  onUnreadable?(path: string, err: Error): void;
  /** The benchmark's split: time spent in the engine's walk (reading trees) as against writing. */
  timing?: { walkNs: bigint };
}

export class CatalogueWriter {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      pathByName: db.prepare('SELECT id FROM path WHERE parent = ? AND name = ?').pluck(),
      insertPath: db.prepare('INSERT INTO path (parent, name, full) VALUES (?, ?, ?)'),
      // CROSS JOIN: the folder's children first (by parent), then each one's spans (by path); the
      // other way round SQLite may scan every span of the lineage.
      openChildren: db.prepare(
        `SELECT p.id AS pathId, p.name AS name, s.id AS spanId, s.type AS type, s.content AS content
         FROM path p CROSS JOIN span s ON s.path = p.id
         WHERE p.parent = ? AND s.lineage = ? AND s.last_pos IS NULL`,
      ),
      insertSpan: db.prepare(
        'INSERT INTO span (path, lineage, first_pos, last_pos, type, content, size, mtime) VALUES (?, ?, ?, NULL, ?, ?, ?, ?)',
      ),
      closeSpan: db.prepare('UPDATE span SET last_pos = ? WHERE id = ?'),
      closeBelow: db.prepare(
        `WITH RECURSIVE under(id) AS (
           SELECT id FROM path WHERE parent = ?
           UNION ALL SELECT p.id FROM path p JOIN under u ON p.parent = u.id)
         UPDATE span SET last_pos = ? WHERE lineage = ? AND last_pos IS NULL AND path IN (SELECT id FROM under)`,
      ),
      insertSnapshot: db.prepare(
        'INSERT INTO snapshot (id, lineage, pos, time, tree) VALUES (?, ?, ?, ?, ?)',
      ),
      setHead: db.prepare('UPDATE lineage SET head_pos = ? WHERE id = ?'),
    };
  }

  snapshots(): Map<string, CataloguedSnapshot> {
    const rows = this.db
      .prepare('SELECT id, lineage, pos, time, tree FROM snapshot')
      .all() as CataloguedSnapshot[];
    return new Map(rows.map((r) => [r.id, r]));
  }

  lineages(): Map<string, LineageRow> {
    const rows = this.db
      .prepare('SELECT id, key, item_id AS itemId, head_pos AS headPos FROM lineage')
      .all() as LineageRow[];
    return new Map(rows.map((r) => [r.key, r]));
  }

  /** The lineage's row, made if new. */
  lineage(key: string, itemId: string | null): LineageRow {
    const found = this.lineages().get(key);
    if (found) return found;
    const id = Number(
      this.db.prepare('INSERT INTO lineage (key, item_id) VALUES (?, ?)').run(key, itemId).lastInsertRowid,
    );
    return { id, key, itemId, headPos: 0 };
  }

  /**
   * Appends a backup newer than every catalogued one of its lineage (the caller checks; an older one
   * means rebuilding the lineage). Returns how many entries were walked.
   */
  async append(
    repo: Repository,
    lineage: LineageRow,
    snap: RepoSnapshot,
    hooks: AppendHooks = {},
  ): Promise<number> {
    const pos = lineage.headPos + 1;
    const head = this.db
      .prepare('SELECT tree FROM snapshot WHERE lineage = ? AND pos = ?')
      .pluck()
      .get(lineage.id, lineage.headPos) as string | undefined;
    let walked = 0;
    this.db.exec('BEGIN');
    try {
      this.s.insertSnapshot.run(snap.id, lineage.id, pos, snap.time, snap.tree);
      // The same root tree as the head: nothing at all changed (a re-run with no changes).
      if (head !== snap.tree) walked = await this.walkChanges(repo, lineage.id, pos, snap.tree, hooks);
      this.s.setHead.run(pos, lineage.id);
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
    lineage.headPos = pos;
    return walked;
  }

  private async walkChanges(
    repo: Repository,
    lineageId: number,
    pos: number,
    tree: string,
    hooks: AppendHooks,
  ): Promise<number> {
    // openDirs[d]: the folder whose entries are at depth d + 1 (0: the backup's root).
    const openDirs: OpenDir[] = [{ pathId: 0, children: this.openChildrenOf(0, lineageId) }];
    const finish = (dir: OpenDir) => {
      for (const gone of dir.children.values()) this.close(gone, pos, lineageId);
    };
    let walked = 0;
    const entries = walkTree(repo, tree, {
      onUnreadable: (path, _treeId, err) => hooks.onUnreadable?.(path, err),
    });
    for (;;) {
      const started = hooks.timing ? process.hrtime.bigint() : 0n;
      const next = await entries.next();
      if (hooks.timing) hooks.timing.walkNs += process.hrtime.bigint() - started;
      if (next.done) break;
      const e = next.value;
      while (openDirs.length > e.depth) finish(openDirs.pop()!);
      const parent = openDirs[e.depth - 1]!;
      const old = parent.children.get(e.name);
      if (old) parent.children.delete(e.name);
      const type = typeIndex(e.type);
      const key = Buffer.from(contentKey(e.node), 'hex');
      const pathId = old?.pathId ?? this.pathId(parent.pathId, e.name, e.path);
      const same = old !== undefined && old.type === type && old.content.equals(key);
      if (!same) {
        if (old) this.close(old, pos, lineageId, type !== DIR);
        this.s.insertSpan.run(pathId, lineageId, pos, type, key, e.size ?? null, mtimeMs(e.mtimeNs));
      }
      if (type === DIR) {
        // An equal folder key: the whole subtree is as it was, and its spans stay open.
        if (same) e.skip();
        else openDirs.push({ pathId, children: this.openChildrenOf(pathId, lineageId) });
      }
      if (++walked % 500 === 0) hooks.onEntries?.(walked, e.path);
    }
    while (openDirs.length > 0) finish(openDirs.pop()!);
    return walked;
  }

  /** Ends an open span at the position before `pos`; a folder's end (or change into a file) ends everything below it. */
  private close(span: OpenChild, pos: number, lineageId: number, belowToo = true): void {
    this.s.closeSpan.run(pos - 1, span.spanId);
    if (span.type === DIR && belowToo) this.s.closeBelow.run(span.pathId, pos - 1, lineageId);
  }

  private openChildrenOf(pathId: number, lineageId: number): Map<string, OpenChild> {
    const rows = this.s.openChildren.all(pathId, lineageId) as (OpenChild & { name: string })[];
    return new Map(rows.map((r) => [r.name, r]));
  }

  private pathId(parent: number, name: string, full: string): number {
    const id = this.s.pathByName.get(parent, name) as number | undefined;
    return id ?? Number(this.s.insertPath.run(parent, name, full).lastInsertRowid);
  }

  /**
   * A backup no longer in the repository, not its lineage's head (the head is what the open spans
   * describe: removing it means rebuilding the lineage). Spans held only by it are dropped, and
   * paths no span holds any more.
   */
  removeSnapshot(id: string): void {
    this.db.transaction(() => {
      const snap = this.db.prepare('SELECT lineage, pos FROM snapshot WHERE id = ?').get(id) as
        { lineage: number; pos: number } | undefined;
      if (!snap) return;
      this.db.prepare('DELETE FROM snapshot WHERE id = ?').run(id);
      const neighbour = (sql: string) =>
        this.db.prepare(sql).pluck().get(snap.lineage, snap.pos) as number | null;
      const prev = neighbour('SELECT max(pos) FROM snapshot WHERE lineage = ? AND pos < ?') ?? 0;
      const next = neighbour('SELECT min(pos) FROM snapshot WHERE lineage = ? AND pos > ?');
      if (next === null) throw new Error('removeSnapshot: the head of a lineage is removed by rebuilding it');
      // Spans within (prev, next) held no other backup.
      const dropped = this.db
        .prepare(
          `DELETE FROM span WHERE lineage = ? AND first_pos > ? AND first_pos <= ?
           AND last_pos IS NOT NULL AND last_pos < ? RETURNING path`,
        )
        .pluck()
        .all(snap.lineage, prev, snap.pos, next) as number[];
      const unheld = this.db.prepare(
        'DELETE FROM path WHERE id = ? AND NOT EXISTS (SELECT 1 FROM span WHERE span.path = ?)',
      );
      for (const pathId of dropped) unheld.run(pathId, pathId);
    })();
  }

  /** Empties a lineage (to rebuild it, or because none of its backups is left). */
  clearLineage(lineage: LineageRow, removeRow: boolean): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM span WHERE lineage = ?').run(lineage.id);
      this.db.prepare('DELETE FROM snapshot WHERE lineage = ?').run(lineage.id);
      if (removeRow) this.db.prepare('DELETE FROM lineage WHERE id = ?').run(lineage.id);
      else this.s.setHead.run(0, lineage.id);
    })();
    lineage.headPos = 0;
  }

  /** Paths no span holds (after lineages were emptied). */
  dropUnheldPaths(): number {
    return this.db
      .prepare('DELETE FROM path WHERE NOT EXISTS (SELECT 1 FROM span WHERE span.path = path.id)')
      .run().changes;
  }

  setUpdatedAt(iso: string): void {
    this.db
      .prepare(
        "INSERT INTO meta (key, value) VALUES ('updated_at', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      )
      .run(iso);
  }
}

function typeIndex(type: string): number {
  const i = ENTRY_TYPES.indexOf(type as (typeof ENTRY_TYPES)[number]);
  return i >= 0 ? i : ENTRY_TYPES.indexOf('other');
}

function mtimeMs(ns: string): number | null {
  try {
    return Number(BigInt(ns) / 1_000_000n);
  } catch {
    return null;
  }
}
