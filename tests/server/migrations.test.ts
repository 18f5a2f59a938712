import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, schemaVersion } from '../../src-server/db/database';
import { migrations } from '../../src-server/db/migrations';
import { defaultDataDir } from '../../src-server/data-dir';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-migrate-'));
  dirs.push(dir);
  return join(dir, 'db.sqlite');
}

describe('database migrations', () => {
  it('brings a new file to the latest version, and reopening changes nothing', () => {
    const file = tempFile();
    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(migrations.length);
    db.prepare("INSERT INTO accounts (username, account_uid, created_at) VALUES ('a1', 'u', 1)").run();
    db.close();
    const again = openDatabase(file);
    expect(schemaVersion(again)).toBe(migrations.length);
    expect(again.prepare('SELECT COUNT(*) AS n FROM accounts').get()).toEqual({ n: 1 });
    again.close();
  });

  it('refuses a database from a newer server', () => {
    const file = tempFile();
    const db = openDatabase(file);
    db.pragma(`user_version = ${migrations.length + 1}`);
    db.close();
    expect(() => openDatabase(file)).toThrow(/newer than this server/);
  });
});

describe('the default data directory', () => {
  it('follows XDG_DATA_HOME on Linux and falls back to ~/.local/share', () => {
    expect(defaultDataDir({ XDG_DATA_HOME: '/srv/data' }, 'linux')).toBe('/srv/data/strongroom-server');
    expect(defaultDataDir({ XDG_DATA_HOME: 'relative' }, 'linux')).toMatch(
      /\/\.local\/share\/strongroom-server$/,
    );
    expect(defaultDataDir({}, 'linux')).toMatch(/\/\.local\/share\/strongroom-server$/);
    expect(defaultDataDir({}, 'darwin')).toMatch(/Library\/Application Support\/strongroom-server$/);
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32')).toContain(
      'strongroom-server',
    );
  });
});
