/**
 * One vault's file catalogue: a SQLite file in the app's data directory
 * (<dataDir>/catalogue-<vault id>.sqlite, mode 0600: it holds the names of a person's files). The job
 * process writes it (catalogue-writer.ts); main only reads it (catalogue-reader.ts). WAL, so main
 * reads while a job writes.
 *
 * Names are stored once (`path`: one row per distinct path, by parent and name). A backup's
 * contents are not a row per path per backup: backups of one protected item form a lineage with an
 * ordered position (`snapshot.pos`), and each path's `span` rows say "this content, from position
 * first_pos to last_pos" (last_pos NULL: still held by the lineage's head, the newest catalogued
 * backup). Contents are the engine's content keys (contentKey: a file's blob ids hashed; a folder's
 * key is its subtree id hashed, so an equal key means nothing below it changed). A new backup in
 * which 1 % of the files changed closes and opens ~1 % of the spans (and those of their folders),
 * and a folder whose open span has the same key is not walked at all; a changed folder's entries
 * are compared with its `listing`, one row, rather than with a row per entry.
 * Counts always come from the backups that still exist: a span whose backups were all removed is
 * dropped, and with it any path no span holds.
 *
 * Never trusted blindly: the file carries an application id and a schema version, and the writer
 * runs SQLite's quick_check before each update; a damaged, foreign or older file is deleted and
 * rebuilt from the repository.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** "SRCT" (Strongroom catalogue): PRAGMA application_id, so a foreign SQLite file is recognised. */
export const CATALOGUE_APPLICATION_ID = 0x53524354;
/** Bumped with every change of the tables below; an older file is rebuilt, never migrated. */
export const CATALOGUE_SCHEMA_VERSION = 4;

/** Entry types as stored (span.type). */
export const ENTRY_TYPES = ['file', 'dir', 'symlink', 'other'] as const;

export const CATALOGUE_SCHEMA = `
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE lineage (
  id INTEGER PRIMARY KEY,
  -- "item:<id>" for a protected item's backups; "other:<host>\\0<paths>" for backups made elsewhere
  key TEXT NOT NULL UNIQUE,
  item_id TEXT,
  -- the position whose contents the open spans (last_pos NULL) describe
  head_pos INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE snapshot (
  id TEXT PRIMARY KEY,
  lineage INTEGER NOT NULL REFERENCES lineage (id),
  pos INTEGER NOT NULL,
  time TEXT NOT NULL,
  tree TEXT NOT NULL,
  UNIQUE (lineage, pos)
) WITHOUT ROWID;
CREATE TABLE path (
  id INTEGER PRIMARY KEY,
  -- 0: at the top of the backup
  parent INTEGER NOT NULL,
  name TEXT NOT NULL,
  full TEXT NOT NULL,
  UNIQUE (parent, name)
);
-- Ordered by path, so a path's spans are together (versions read one range) and a changed path's
-- closing and opening touch the same page.
CREATE TABLE span (
  path INTEGER NOT NULL,
  lineage INTEGER NOT NULL,
  first_pos INTEGER NOT NULL,
  last_pos INTEGER,
  -- index into ENTRY_TYPES
  type INTEGER NOT NULL,
  -- the engine's content key (32 bytes)
  content BLOB NOT NULL,
  size INTEGER,
  -- milliseconds since the epoch
  mtime INTEGER,
  PRIMARY KEY (path, lineage, first_pos)
) WITHOUT ROWID;
-- The writer's view of each folder in the lineage's head: its entries, their open spans and what
-- to compare them by, one row per folder (encoding: src-main/catalogue/catalogue-listing.ts).
-- Derived from the open spans, rewritten with them in the same transaction.
CREATE TABLE listing (
  lineage INTEGER NOT NULL,
  -- the folder's path id (0: the top of the backup)
  dir INTEGER NOT NULL,
  entries BLOB NOT NULL,
  PRIMARY KEY (lineage, dir)
);
-- Search: a trigram index of names and full paths (kept in step with path by the triggers), so a
-- substring is found without reading every path; the text itself is stored once, in path. Without
-- case or accents (composed or decomposed alike), as search matches: "resume" finds "Résumé".
CREATE VIRTUAL TABLE path_text USING fts5(name, full, tokenize = 'trigram remove_diacritics 1', content = 'path', content_rowid = 'id');
CREATE TRIGGER path_text_insert AFTER INSERT ON path BEGIN
  INSERT INTO path_text (rowid, name, full) VALUES (new.id, new.name, new.full);
END;
CREATE TRIGGER path_text_delete AFTER DELETE ON path BEGIN
  INSERT INTO path_text (path_text, rowid, name, full) VALUES ('delete', old.id, old.name, old.full);
END;
-- Search walks paths in this order and stops at its limit (without it, every match is sorted);
-- versions find a path with one lookup.
CREATE INDEX path_full ON path (full);
CREATE INDEX span_first ON span (lineage, first_pos);
CREATE INDEX span_last ON span (lineage, last_pos) WHERE last_pos IS NOT NULL;
`;

export function catalogueFileFor(dataDir: string, vaultId: string): string {
  return path.join(dataDir, `catalogue-${vaultId}.sqlite`);
}

/** The vault id of a catalogue file name in the data directory, else null. */
export function vaultIdOfCatalogueFile(name: string): string | null {
  return /^catalogue-([a-z0-9][a-z0-9-]{5,63})\.sqlite$/.exec(name)?.[1] ?? null;
}

/** The catalogue and its WAL companions. Missing files are fine. */
export function deleteCatalogueFiles(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) fs.rmSync(f, { force: true });
}

/**
 * Why a catalogue file cannot be used: none yet, damaged (or not a catalogue at all), or a sound
 * catalogue of another schema version (made by an older or newer Strongroom: rebuilt, not migrated).
 */
export class CatalogueUnusableError extends Error {
  constructor(
    readonly reason: 'missing' | 'damaged' | 'other-version',
    message: string,
  ) {
    super(message);
    this.name = 'CatalogueUnusableError';
  }
}

/** The application id and schema version, read from the header (cheap: no table is read). */
export function checkHeader(db: Database.Database): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  if (appId !== CATALOGUE_APPLICATION_ID) {
    throw new CatalogueUnusableError('damaged', 'not a Strongroom catalogue');
  }
  if (version !== CATALOGUE_SCHEMA_VERSION) {
    throw new CatalogueUnusableError(
      'other-version',
      `catalogue schema ${version}, expected ${CATALOGUE_SCHEMA_VERSION}`,
    );
  }
}

/** SQLite's own structural check of every page and index (the writer runs it before each update). */
export function checkIntegrity(db: Database.Database): void {
  const rows = db.pragma('quick_check') as { quick_check: string }[];
  if (rows.length !== 1 || rows[0]!.quick_check !== 'ok') {
    throw new CatalogueUnusableError('damaged', `integrity check: ${rows[0]?.quick_check ?? 'no answer'}`);
  }
}

/** A fresh, empty catalogue (any old file is deleted first), private to this user. */
export function createCatalogue(file: string, repositoryId: string): Database.Database {
  deleteCatalogueFiles(file);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Made 0600 before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
  fs.closeSync(fs.openSync(file, 'wx', 0o600));
  const db = new Database(file);
  try {
    configure(db);
    db.transaction(() => {
      db.exec(CATALOGUE_SCHEMA);
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('repository_id', repositoryId);
      db.pragma(`application_id = ${CATALOGUE_APPLICATION_ID}`);
      db.pragma(`user_version = ${CATALOGUE_SCHEMA_VERSION}`);
    })();
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export type OpenedForWriting = {
  db: Database.Database;
  /** Why it was started afresh; null: the existing catalogue was sound and is updated. */
  recreated: null | 'missing' | 'damaged' | 'other-version' | 'other-repository' | 'rebuild';
  /** What was wrong with a damaged file (for the job's log). */
  problem: string | null;
};

/**
 * The job process's way in: the existing catalogue when it is sound and belongs to this repository,
 * else a new empty one in its place.
 */
export function openCatalogueForWriting(
  file: string,
  repositoryId: string,
  rebuild: boolean,
): OpenedForWriting {
  if (rebuild) return { db: createCatalogue(file, repositoryId), recreated: 'rebuild', problem: null };
  if (!fs.existsSync(file))
    return { db: createCatalogue(file, repositoryId), recreated: 'missing', problem: null };
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { fileMustExist: true });
    configure(db);
    checkHeader(db);
    checkIntegrity(db);
    const stored = db.prepare("SELECT value FROM meta WHERE key = 'repository_id'").get() as
      { value: string } | undefined;
    if (stored?.value !== repositoryId) {
      db.close();
      return { db: createCatalogue(file, repositoryId), recreated: 'other-repository', problem: null };
    }
    fs.chmodSync(file, 0o600);
    return { db, recreated: null, problem: null };
  } catch (error) {
    db?.close();
    const problem = error instanceof Error ? error.message : String(error);
    const recreated =
      error instanceof CatalogueUnusableError && error.reason === 'other-version'
        ? 'other-version'
        : 'damaged';
    return { db: createCatalogue(file, repositoryId), recreated, problem };
  }
}

/**
 * Main's way in: read-only, header checked. Throws CatalogueUnusableError (any reason);
 * any later SQLite error while reading also means "damaged" to the caller.
 */
export function openCatalogueForReading(file: string): Database.Database {
  if (!fs.existsSync(file)) throw new CatalogueUnusableError('missing', 'no catalogue yet');
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 2000');
    checkHeader(db);
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof CatalogueUnusableError) throw error;
    throw new CatalogueUnusableError('damaged', error instanceof Error ? error.message : String(error));
  }
}

function configure(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  // A catalogue can always be rebuilt from the repository: a power cut may lose the last update.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
}
