/**
 * The storage counters on a database an older server wrote (tests/fixtures/pre-keys, schema 3):
 * the migration counts what is already stored, and the server reads the repository as before.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src-server/db/database';
import { FILE_TYPES, SqliteObjectTable } from '../../src-server/storage/object-table';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { bearerAuth, rest } from './storage-helpers';

const FIXTURE = fileURLToPath(new URL('../fixtures/pre-keys/server', import.meta.url));
let dir: string | undefined;
let server: TestAccountServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('migration 4 on a database of the storage before it', () => {
  it('counts the files already stored, per repository and type, with their last write', () => {
    dir = mkdtempSync(join(tmpdir(), 'strongroom-storage-migration-'));
    cpSync(join(FIXTURE, 'strongroom.sqlite'), join(dir, 'strongroom.sqlite'));
    const db = openDatabase(join(dir, 'strongroom.sqlite'));
    try {
      const table = new SqliteObjectTable(db);
      const repo = db.prepare<[], { id: number; account_id: number }>('SELECT * FROM storage_repos').get()!;
      for (const type of ['config', ...FILE_TYPES] as const) {
        const expected = db
          .prepare<[number, string], { files: number; bytes: number }>(
            `SELECT COUNT(*) AS files, COALESCE(SUM(size), 0) AS bytes FROM storage_objects
             WHERE repo_id = ? AND type = ? AND deleted_at IS NULL`,
          )
          .get(repo.id, type)!;
        expect(table.counts(repo.id, type), type).toEqual({
          liveFiles: expected.files,
          liveBytes: expected.bytes,
          deletedFiles: 0,
          deletedBytes: 0,
        });
      }
      const charged = db
        .prepare<[], { n: number }>('SELECT SUM(MAX(size, 4096)) AS n FROM storage_objects')
        .get()!.n;
      expect(table.accountBytes(repo.account_id)).toBe(charged);
      const newest = db
        .prepare<[], { at: number }>(
          "SELECT MAX(created_at) AS at FROM storage_objects WHERE type != 'locks'",
        )
        .get()!.at;
      expect(table.figures(repo.id).lastWrite?.at).toBe(newest);
    } finally {
      db.close();
    }
  });

  it('serves the repository an older server stored', async () => {
    dir = mkdtempSync(join(tmpdir(), 'strongroom-storage-migration-'));
    cpSync(FIXTURE, dir, { recursive: true });
    server = await startTestAccountServer({ dataDir: dir });
    const carol = server.server.services.accounts.byUsername('carol')!;
    const { token } = server.server.services.sessions.createDevice(carol.id, 'test');
    const base = `${server.url}/storage/carol/laptop/`;
    const listed = await rest(`${base}data/`, 'GET', { auth: bearerAuth(token) });
    expect(JSON.parse(listed.body.toString())).toHaveLength(2);
    expect((await rest(`${base}config`, 'GET', { auth: bearerAuth(token) })).status).toBe(200);
  });
});
