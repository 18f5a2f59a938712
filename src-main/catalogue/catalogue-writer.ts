/**
 * Writes a vault's file catalogue (tables: src-main/catalogue/catalogue-file.ts) in the
 * job process. A backup is appended to its lineage folder by folder, from its root tree down:
 * each entry is compared with the folder's listing in the lineage's head (catalogue-listing.ts);
 * unchanged, nothing is written (and an unchanged folder is not read at all: nothing below it
 * changed); changed, its open span is closed at the previous position and a new one opened; a path
 * the backup no longer has is closed with everything below it. Each backup is one transaction, so a
 * stopped job leaves a consistent catalogue of the backups it finished.
 */
import type Database from 'better-sqlite3';
import {
  childPath,
  contentKeyBytes,
  type Repository,
  type Snapshot,
  type TreeNode,
} from '../../src-engine/index';
import { ENTRY_TYPES } from './catalogue-file';
import {
  TOKEN_BYTES,
  encodeListing,
  hasUnread,
  markUnread,
  readListing,
  sameToken,
  unreadBefore,
  writeToken,
  type ListedEntry,
  type NewEntry,
} from './catalogue-listing';

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

/** A changed folder still to compare: its path and the tree that lists its contents now. */
interface PendingDir {
  pathId: number;
  parentId: number;
  name: string;
  path: string;
  /** null: a folder stored without a tree (nothing in it). */
  tree: string | null;
}

export interface AppendHooks {
  /** Called every few hundred entries (progress, cancel checks). */
  onEntries?(walked: number, path: string): void;
  /** A folder whose tree cannot be read: its contents count as absent from this backup. */
  onUnreadable?(path: string, err: Error): void;
  /** The benchmark's split: time spent reading trees from the repository as against the rest. */
  timing?: { walkNs: bigint };
}

export class CatalogueWriter {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      pathByName: db.prepare('SELECT id FROM path WHERE parent = ? AND name = ?').pluck(),
      insertPath: db.prepare('INSERT INTO path (parent, name, full) VALUES (?, ?, ?)'),
      listing: db.prepare('SELECT entries FROM listing WHERE lineage = ? AND dir = ?').pluck(),
      dropListing: db.prepare('DELETE FROM listing WHERE lineage = ? AND dir = ?'),
      setListing: db.prepare(
        `INSERT INTO listing (lineage, dir, entries) VALUES (?, ?, ?)
         ON CONFLICT (lineage, dir) DO UPDATE SET entries = excluded.entries`,
      ),
      insertSpan: db.prepare(
        'INSERT INTO span (path, lineage, first_pos, last_pos, type, content, size, mtime) VALUES (?, ?, ?, NULL, ?, ?, ?, ?)',
      ),
      closeSpan: db.prepare(
        'UPDATE span SET last_pos = ? WHERE path = ? AND lineage = ? AND first_pos = ? AND last_pos IS NULL',
      ),
      // A folder gone (or now a file): every open span below it ends, and its listings go.
      closeBelow: db.prepare(
        `WITH RECURSIVE under(id) AS (
           SELECT id FROM path WHERE parent = ?
           UNION ALL SELECT p.id FROM path p JOIN under u ON p.parent = u.id)
         UPDATE span SET last_pos = ? WHERE lineage = ? AND last_pos IS NULL AND path IN (SELECT id FROM under)`,
      ),
      dropListingsBelow: db.prepare(
        `WITH RECURSIVE under(id) AS (
           VALUES (?) UNION ALL SELECT p.id FROM path p JOIN under u ON p.parent = u.id)
         DELETE FROM listing WHERE lineage = ? AND dir IN (SELECT id FROM under)`,
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
    await repo.loadIndex({ recover: false });
    this.db.exec('BEGIN');
    try {
      this.s.insertSnapshot.run(snap.id, lineage.id, pos, snap.time, snap.tree);
      // The same root tree as the head: nothing at all changed (a re-run with no changes), unless
      // a folder of the head could not be read: then the top has no listing (it was the top) or
      // lists a folder marked unread (markUnreadFolders), and the walk goes down to it again.
      const top = this.s.listing.get(lineage.id, 0) as Buffer | undefined;
      if (head !== snap.tree || top === undefined || hasUnread(top))
        walked = await this.walkChanges(repo, lineage.id, pos, snap.tree, hooks);
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
    let walked = 0;
    const token = Buffer.alloc(TOKEN_BYTES);
    const pending: PendingDir[] = [{ pathId: 0, parentId: -1, name: '', path: '/', tree }];
    // Every folder compared in this append, by path id (to find an unreadable one's parents).
    const walkedDirs = new Map<number, PendingDir>();
    const unread: PendingDir[] = [];
    for (let dir = pending.pop(); dir; dir = pending.pop()) {
      walkedDirs.set(dir.pathId, dir);
      const nodes = await this.readNodes(repo, dir, hooks);
      if (nodes === null) unread.push(dir);
      const old = readListing(this.s.listing.get(lineageId, dir.pathId) as Buffer | undefined);
      const now: NewEntry[] = [];
      const subdirs: PendingDir[] = [];
      const seen = new Set<string>();
      for (const n of nodes ?? []) {
        const name = wellFormed(n.name);
        // Only a crafted tree lists a name twice; the first one counts, as in restore.
        if (seen.has(name)) continue;
        seen.add(name);
        if (++walked % 500 === 0) hooks.onEntries?.(walked, childPath(dir.path, name));
        const was = old.get(name);
        if (was) old.delete(name);
        const type = typeIndex(n.type);
        writeToken(n, token);
        // Unchanged: this entry, and for a folder everything below it, is as it was; its span stays open.
        if (was !== undefined && was.type === type && sameToken(was, token)) {
          now.push({
            name: name,
            type,
            pathId: was.pathId,
            firstPos: was.firstPos,
            tokenFrom: was.listing,
            tokenAt: was.token,
          });
          continue;
        }
        const full = childPath(dir.path, name);
        if (was !== undefined && was.type === type && unreadBefore(was, token)) {
          // The same folder, unreadable last time: its span stays, its contents are compared now.
          now.push({
            name: name,
            type,
            pathId: was.pathId,
            firstPos: was.firstPos,
            tokenFrom: Buffer.from(token),
            tokenAt: 0,
          });
          subdirs.push({
            pathId: was.pathId,
            parentId: dir.pathId,
            name: name,
            path: full,
            tree: n.subtree ?? null,
          });
          continue;
        }
        const pathId = was?.pathId ?? this.pathId(dir.pathId, name, full);
        if (was) this.close(was, pos, lineageId, type !== DIR);
        this.s.insertSpan.run(
          pathId,
          lineageId,
          pos,
          type,
          contentKeyBytes(n),
          n.type === 'file' ? (n.size ?? 0) : null,
          mtimeMs(n.mtimeNs),
        );
        now.push({ name: name, type, pathId, firstPos: pos, tokenFrom: Buffer.from(token), tokenAt: 0 });
        if (type === DIR)
          subdirs.push({ pathId, parentId: dir.pathId, name: name, path: full, tree: n.subtree ?? null });
      }
      for (const gone of old.values()) this.close(gone, pos, lineageId);
      this.s.setListing.run(lineageId, dir.pathId, encodeListing(now));
      // Reversed onto the stack, so folders are taken in the tree's order: new paths then go into
      // the path indexes mostly in ascending order, which keeps their pages full.
      for (let i = subdirs.length - 1; i >= 0; i--) pending.push(subdirs[i]!);
    }
    this.markUnreadFolders(lineageId, unread, walkedDirs);
    return walked;
  }

  /**
   * A folder that could not be read is catalogued as empty. So that the next backup reads it again
   * even if nothing changed (a repaired repository, a passing error), its entry and those of all its
   * parents are marked unread in their listings (an unchanged parent would otherwise not be walked);
   * an unreadable top loses its listing, which makes the next append walk from the top. Each listing
   * is rewritten once, however many of its folders were unreadable (a lost pack takes many trees).
   */
  private markUnreadFolders(lineageId: number, unread: PendingDir[], walked: Map<number, PendingDir>): void {
    const byParent = new Map<number, Set<string>>();
    for (const folder of unread) {
      if (folder.pathId === 0) this.s.dropListing.run(lineageId, 0);
      let dir: PendingDir | undefined = folder;
      while (dir && dir.parentId >= 0) {
        const names = byParent.get(dir.parentId) ?? new Set<string>();
        if (names.has(dir.name)) break; // this folder's parents are marked already
        names.add(dir.name);
        byParent.set(dir.parentId, names);
        dir = walked.get(dir.parentId);
      }
    }
    for (const [parentId, names] of byParent) {
      const listing = this.s.listing.get(lineageId, parentId) as Buffer | undefined;
      if (listing && markUnread(listing, names)) this.s.setListing.run(lineageId, parentId, listing);
    }
  }

  /** A folder's entries; null: its tree cannot be read (and the hooks were told: it counts as empty). */
  private async readNodes(repo: Repository, dir: PendingDir, hooks: AppendHooks): Promise<TreeNode[] | null> {
    if (dir.tree === null) return [];
    const started = hooks.timing ? process.hrtime.bigint() : 0n;
    try {
      return (await repo.readTree(dir.tree, { keep: false })).nodes;
    } catch (error) {
      if (!hooks.onUnreadable) throw error;
      hooks.onUnreadable(dir.path, error as Error);
      return null;
    } finally {
      if (hooks.timing) hooks.timing.walkNs += process.hrtime.bigint() - started;
    }
  }

  /** Ends an open span at the position before `pos`; a folder's end (or change into a file) ends everything below it. */
  private close(entry: ListedEntry, pos: number, lineageId: number, belowToo = true): void {
    this.s.closeSpan.run(pos - 1, entry.pathId, lineageId, entry.firstPos);
    if (entry.type === DIR && belowToo) {
      this.s.closeBelow.run(entry.pathId, pos - 1, lineageId);
      this.s.dropListingsBelow.run(entry.pathId, lineageId);
    }
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
      this.db.prepare('DELETE FROM listing WHERE lineage = ?').run(lineage.id);
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

/**
 * The name as the catalogue keeps it: a name with a lone surrogate (only a crafted tree has one)
 * with U+FFFD in its place, as UTF-8 would store it, so the listing and the path table agree.
 */
function wellFormed(name: string): string {
  return name.isWellFormed() ? name : name.toWellFormed();
}
