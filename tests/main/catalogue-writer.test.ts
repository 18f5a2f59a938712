/**
 * The catalogue writer against the engine's own answer: after every backup of a history of
 * structural changes (folders deleted and recreated, a file turned into a folder and back, links,
 * multi-blob files, empty folders, a folder whose tree cannot be read), the catalogue's contents of
 * every backup so far equal the engine's walk of that backup, and the writer's per-folder listings
 * agree with the open spans they stand for.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogueWriter, lineageOf, type LineageRow } from '../../src-main/catalogue/catalogue-writer';
import { readListing } from '../../src-main/catalogue/catalogue-listing';
import { ENTRY_TYPES, createCatalogue } from '../../src-main/catalogue/catalogue-file';
import { backup, contentKey, walkTree, type Repository, type Snapshot } from '../../src-engine/index';
import { newRepo, openRepo, prng, tempDir, writeFile } from '../engine/helpers';

let tmp: string;
let repoDir: string;
let src: string;
let repo: Repository;
let db: Database.Database;
let writer: CatalogueWriter;
let lineage: LineageRow;
const made: (Snapshot & { id: string })[] = [];
/** Per backup: paths the engine's walk could not read (their contents count as absent). */
const unreadable = new Map<string, Set<string>>();

const at = (rel: string) => path.join(src, rel);

/** Backs `src` up and appends the backup to the catalogue through `from` (a repository opening). */
async function backupAndAppend(from: Repository = repo): Promise<number> {
  const r = await backup(repo, { paths: [src], tags: ['item:writer-test'], host: 'h', workers: 1 });
  const snap = { ...r.snapshot, id: r.snapshotId };
  made.push(snap);
  lineage ??= writer.lineage(lineageOf(snap).key, 'writer-test');
  const skipped = new Set<string>();
  unreadable.set(snap.id, skipped);
  return writer.append(from, lineage, snap, { onUnreadable: (p) => skipped.add(p) });
}

/** What the catalogue says backup number `i` (0-based) holds: path → "type key". */
function catalogued(i: number): Map<string, string> {
  const pos = i + 1;
  const rows = db
    .prepare(
      `SELECT p.full, s.type, hex(s.content) AS key FROM span s JOIN path p ON p.id = s.path
       WHERE s.lineage = ? AND s.first_pos <= ? AND (s.last_pos IS NULL OR s.last_pos >= ?)`,
    )
    .all(lineage.id, pos, pos) as { full: string; type: number; key: string }[];
  return new Map(rows.map((r) => [r.full, `${ENTRY_TYPES[r.type]} ${r.key.toLowerCase()}`]));
}

/** What the engine says the backup holds, read from a fresh opening of the repository. */
async function walked(snap: Snapshot & { id: string }): Promise<Map<string, string>> {
  const fresh = await openRepo(repoDir);
  const out = new Map<string, string>();
  const skipped = unreadable.get(snap.id)!;
  const walk = walkTree(fresh, snap.tree);
  for await (const e of walk) {
    const type = (ENTRY_TYPES as readonly string[]).includes(e.type) ? e.type : 'other';
    out.set(e.path, `${type} ${contentKey(e.node)}`);
    if (skipped.has(e.path)) e.skip();
  }
  return out;
}

/** Every backup so far: the catalogue's contents equal the engine's; listings equal open spans. */
async function expectConsistent(): Promise<void> {
  for (const [i, snap] of made.entries()) {
    expect(catalogued(i), `backup ${i + 1}`).toEqual(await walked(snap));
  }
  const listings = db.prepare('SELECT dir, entries FROM listing WHERE lineage = ?').all(lineage.id) as {
    dir: number;
    entries: Buffer;
  }[];
  const open = db
    .prepare(
      `SELECT p.parent, p.name, s.path, s.first_pos AS firstPos, s.type FROM span s
       JOIN path p ON p.id = s.path WHERE s.lineage = ? AND s.last_pos IS NULL`,
    )
    .all(lineage.id) as { parent: number; name: string; path: number; firstPos: number; type: number }[];
  const fromListings = listings.flatMap(({ dir, entries }) =>
    [...readListing(entries)].map(([name, e]) => `${dir}/${name} ${e.pathId} ${e.firstPos} ${e.type}`),
  );
  const fromSpans = open.map((s) => `${s.parent}/${s.name} ${s.path} ${s.firstPos} ${s.type}`);
  expect(fromListings.sort()).toEqual(fromSpans.sort());
  // A listing for the top and for every open folder (empty ones included), and for nothing else.
  const dirs = new Set(open.filter((s) => ENTRY_TYPES[s.type] === 'dir').map((s) => s.path));
  expect(listings.map((l) => l.dir).sort((a, b) => a - b)).toEqual([0, ...dirs].sort((a, b) => a - b));
}

beforeAll(async () => {
  tmp = await tempDir('catalogue-writer');
  repoDir = path.join(tmp, 'vault');
  src = path.join(tmp, 'src');
  repo = await newRepo(repoDir);
  db = createCatalogue(path.join(tmp, 'catalogue.sqlite'), repo.config.id);
  writer = new CatalogueWriter(db);
});

afterAll(() => {
  db?.close();
  fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 10 });
});

describe('CatalogueWriter', { timeout: 120_000 }, () => {
  it('catalogues each backup exactly as the engine reads it, through every kind of change', async () => {
    // 1: files, a nested folder, an empty folder, a link, a file of several blobs.
    writeFile(at('a/x.txt'), 'x1');
    writeFile(at('a/sub/y.txt'), 'y');
    writeFile(at('b/z.txt'), 'z');
    fs.mkdirSync(at('e'));
    fs.symlinkSync('a/x.txt', at('link'));
    writeFile(at('big.bin'), prng('big', 200_000));
    await backupAndAppend();
    await expectConsistent();

    // 2: a file changed, a folder deleted, a file turned into a folder, a link retargeted.
    writeFile(at('a/x.txt'), 'x2');
    fs.rmSync(at('a/sub'), { recursive: true });
    fs.rmSync(at('b/z.txt'));
    writeFile(at('b/z.txt/inner.txt'), 'inner');
    fs.rmSync(at('link'));
    fs.symlinkSync('b', at('link'));
    await backupAndAppend();
    await expectConsistent();

    // 3: the folder back with its old file, the folder turned back into a file, the big file
    // changed in its middle, the empty folder filled.
    writeFile(at('a/sub/y.txt'), 'y');
    fs.rmSync(at('b/z.txt'), { recursive: true });
    writeFile(at('b/z.txt'), 'z');
    const big = prng('big', 200_000);
    big.fill(7, 100_000, 100_100);
    writeFile(at('big.bin'), big);
    writeFile(at('e/now.txt'), 'not empty');
    await backupAndAppend();
    await expectConsistent();

    // 4: a whole folder emptied, another renamed.
    fs.rmSync(at('a'), { recursive: true });
    fs.mkdirSync(at('a'));
    fs.renameSync(at('b'), at('c'));
    await backupAndAppend();
    await expectConsistent();

    // 5: nothing changed here: nothing is written, and only the folders above src are read (other
    // tests may change /tmp's own times meanwhile, which makes a new root tree).
    const spans = db.prepare('SELECT count(*) FROM span').pluck().get();
    expect(await backupAndAppend()).toBeLessThanOrEqual(src.split('/').length);
    expect(db.prepare('SELECT count(*) FROM span').pluck().get()).toBe(spans);
    await expectConsistent();
  });

  it('catalogues folders it cannot read as empty, and reads them again with the next backup', async () => {
    // New folders d/ and p/q/e/, appended through an opening whose index has lost their trees.
    writeFile(at('d/one.txt'), 'one');
    writeFile(at('d/two/three.txt'), 'three');
    writeFile(at('p/q/e/four.txt'), 'four');
    writeFile(at('p/q/other.txt'), 'other');
    const r = await backup(repo, { paths: [src], tags: ['item:writer-test'], host: 'h', workers: 1 });
    const damaged = await openRepo(repoDir);
    await damaged.loadIndex();
    const entries = await collect(damaged, r.snapshot.tree);
    for (const lost of ['d', 'p/q/e'])
      damaged.index.delete(entries.find((e) => e.path === at(lost))!.subtree!);
    const snap = { ...r.snapshot, id: r.snapshotId };
    made.push(snap);
    const skipped = new Set<string>();
    unreadable.set(snap.id, skipped);
    await writer.append(damaged, lineage, snap, { onUnreadable: (p) => skipped.add(p) });
    expect([...skipped].sort()).toEqual([at('d'), at('p/q/e')]);
    expect(catalogued(made.length - 1).has(at('d/one.txt'))).toBe(false);
    expect(catalogued(made.length - 1).has(at('p/q/e/four.txt'))).toBe(false);
    expect(catalogued(made.length - 1).has(at('p/q/other.txt'))).toBe(true);
    await expectConsistent();

    // Nothing changed under src (p/ and p/q/ are as they were; the whole backup may even have the same
    // tree), but this time the trees can be read: what they hold is catalogued.
    await backupAndAppend(await openRepo(repoDir));
    expect(catalogued(made.length - 1).has(at('d/two/three.txt'))).toBe(true);
    expect(catalogued(made.length - 1).has(at('p/q/e/four.txt'))).toBe(true);
    await expectConsistent();
  });
});

async function collect(r: Repository, tree: string) {
  const out = [];
  for await (const e of walkTree(r, tree)) out.push(e);
  return out;
}
