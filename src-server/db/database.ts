import Database from 'better-sqlite3';
import { migrations } from './migrations';

export type Db = Database.Database;

/** Opens (creating if needed) the server's SQLite file and brings its schema up to date. */
export function openDatabase(file: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // WAL + NORMAL: durable across process crashes and restarts, one fsync per checkpoint rather
  // than per commit (every sign-in attempt commits a throttle update).
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Deleted and overwritten rows (an old hash, a replaced wrap, an ended session) are zeroed in
  // the file rather than left in free pages for whoever copies it.
  db.pragma('secure_delete = ON');
  // The admin CLI may write while the server runs; wait for the lock instead of failing.
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Db): void {
  const current = schemaVersion(db);
  if (current > migrations.length) {
    throw new Error(
      `The database is at schema version ${current}, newer than this server (${migrations.length}). Upgrade the server.`,
    );
  }
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
