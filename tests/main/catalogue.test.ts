/**
 * The file catalogue against the real engine: backups made with the engine on temporary folders,
 * the catalogue written by the real job process (the `catalogue` op through the ForkedEngineRunner)
 * into a real SQLite file, and read with main's CatalogueReader.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import { CatalogueUnusableError } from '../../src-main/catalogue/catalogue-file';
import { CatalogueReader } from '../../src-main/catalogue/catalogue-reader';
import { compileSearchPattern } from '../../src-main/catalogue/search-pattern';
import { backup, type Repository } from '../../src-engine/index';
import type { JobOutcome, JobRequest } from '../../src-shared/job-protocol';
import { newRepo, PASSWORD, tempDir, writeFile } from '../engine/helpers';
import { RunRecorder } from './job-process-helpers';

const runner = new ForkedEngineRunner();
const ITEM = 'item-one-1';
let tmp: string;
let repoDir: string;
let src: string;
let file: string;
let repo: Repository;
/** Snapshot ids in the order they were made. */
const snaps: string[] = [];

async function snapshot(tags = [`item:${ITEM}`]): Promise<string> {
  const r = await backup(repo, { paths: [src], tags, host: 'test-host', workers: 1 });
  snaps.push(r.snapshotId);
  return r.snapshotId;
}

async function catalogue(rebuild = false, rec = new RunRecorder()): Promise<JobOutcome> {
  const request: JobRequest = {
    op: 'catalogue',
    repo: { kind: 'local', path: repoDir },
    password: PASSWORD,
    catalogueFile: file,
    rebuild,
  };
  const outcome = await runner.run(request, rec, new AbortController().signal);
  expect(rec.everything(outcome)).not.toContain(PASSWORD);
  return outcome;
}

function read<T>(f: (r: CatalogueReader) => T): T {
  const reader = new CatalogueReader(file);
  try {
    return f(reader);
  } finally {
    reader.close();
  }
}

const p = (rel: string) => `${src}/${rel}`;
const search = (q: string, limit = 100) => read((r) => r.search(compileSearchPattern(q), limit));
const paths = (q: string) =>
  search(q)
    .hits.map((h) => h.path.slice(src.length + 1))
    .sort();
const versions = (rel: string, item: string | null = ITEM) => read((r) => r.versions(item, p(rel)));
const spanCount = () => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM span').get() as { n: number }).n;
  } finally {
    db.close();
  }
};
/** Every answer the catalogue gives about this history, for "rebuilt, the same answers". */
function answers() {
  return read((r) => ({
    search: ['*', 'txt', 'docs/'].map((q) => r.search(compileSearchPattern(q), 1000)),
    versions: ['docs/a.txt', 'notes.txt', 'old.txt', 'new.txt', 'docs', 'deep/x/y/z.txt'].map((rel) =>
      r.versions(ITEM, p(rel)),
    ),
    info: r.info().snapshots,
  }));
}

beforeAll(async () => {
  tmp = await tempDir('catalogue');
  repoDir = path.join(tmp, 'vault');
  src = path.join(tmp, 'src');
  file = path.join(tmp, 'app', 'catalogue-vault-one-1.sqlite');
  repo = await newRepo(repoDir);
  // Before the first backup, so that the folders above src stay as they are from then on.
  fs.mkdirSync(path.dirname(file));
  // 1: a.txt "one", notes.txt, old.txt, a deep tree; été.txt (not ASCII).
  writeFile(path.join(src, 'docs', 'a.txt'), 'one');
  writeFile(path.join(src, 'docs', 'Report 100%_final.TXT'), 'report');
  writeFile(path.join(src, 'notes.txt'), 'notes');
  writeFile(path.join(src, 'old.txt'), 'renamed later');
  writeFile(path.join(src, 'deep', 'x', 'y', 'z.txt'), 'deep');
  writeFile(path.join(src, 'Été.txt'), 'summer');
  // The same accented name as macOS and Linux may write it: composed (NFC) and decomposed (NFD).
  writeFile(path.join(src, 'Résumé 2025.pdf'.normalize('NFC')), 'composed');
  writeFile(path.join(src, 'cv', 'Mon résumé.odt'.normalize('NFD')), 'decomposed');
  writeFile(path.join(src, 'only-first.log'), 'gone after the first backup');
  await snapshot();
  // 2: a.txt "two", notes.txt deleted, only-first.log deleted.
  writeFile(path.join(src, 'docs', 'a.txt'), 'two (longer)');
  fs.rmSync(path.join(src, 'notes.txt'));
  fs.rmSync(path.join(src, 'only-first.log'));
  await snapshot();
  // 3: a.txt back to "one", notes.txt back, old.txt renamed to new.txt.
  writeFile(path.join(src, 'docs', 'a.txt'), 'one');
  writeFile(path.join(src, 'notes.txt'), 'notes');
  fs.renameSync(path.join(src, 'old.txt'), path.join(src, 'new.txt'));
  await snapshot();
}, 120_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 10 });
});

describe('the file catalogue of one vault', { timeout: 120_000 }, () => {
  it('catalogues every backup of the vault, in a file only its owner can read', async () => {
    const outcome = await catalogue();
    expect(outcome).toMatchObject({ status: 'success', value: { added: 3, dropped: 0, catalogued: 3 } });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(read((r) => r.info())).toMatchObject({ snapshots: 3, updatedAt: expect.any(String) });
    // Nothing new: nothing added.
    expect((await catalogue()).value).toEqual({ op: 'catalogue', added: 0, dropped: 0, catalogued: 3 });
  });

  it('groups versions by content: a file changed and changed back has two versions', () => {
    const v = versions('docs/a.txt');
    expect(v.versions).toHaveLength(2);
    expect(v.versions[0]).toMatchObject({
      type: 'file',
      size: 3,
      backupCount: 2,
      first: { id: snaps[0] },
      last: { id: snaps[2] },
    });
    expect(v.versions[1]).toMatchObject({
      size: 12,
      backupCount: 1,
      first: { id: snaps[1] },
      last: { id: snaps[1] },
    });
    expect(v.versions[0]!.contentKey).toMatch(/^[0-9a-f]{64}$/);
    expect(v.absences).toEqual([]);
  });

  it('shows the backups a file was absent from, and a file renamed away as absent since', () => {
    expect(versions('notes.txt').absences).toEqual([
      { from: { id: snaps[1], time: expect.any(String) }, until: { id: snaps[2], time: expect.any(String) } },
    ]);
    expect(versions('notes.txt').versions).toMatchObject([{ backupCount: 2 }]);
    const old = versions('old.txt');
    expect(old.versions).toMatchObject([{ backupCount: 2, first: { id: snaps[0] }, last: { id: snaps[1] } }]);
    expect(old.absences).toEqual([{ from: { id: snaps[2], time: expect.any(String) }, until: null }]);
    expect(versions('new.txt').versions).toMatchObject([{ backupCount: 1, first: { id: snaps[2] } }]);
    expect(versions('never-there.txt')).toEqual({ versions: [], absences: [] });
    expect(versions('docs/a.txt', 'another-item')).toEqual({ versions: [], absences: [] });
  });

  it('searches names case-insensitively with * and ?, and path fragments', () => {
    expect(paths('A.TXT')).toEqual(['docs/a.txt']);
    expect(paths('*.txt')).toEqual(
      [
        'Été.txt',
        'deep/x/y/z.txt',
        'docs/Report 100%_final.TXT',
        'docs/a.txt',
        'new.txt',
        'notes.txt',
        'old.txt',
      ].sort(),
    );
    expect(paths('n?w')).toEqual(['new.txt']);
    expect(paths('100%_')).toEqual(['docs/Report 100%_final.TXT']); // % and _ are literal
    expect(paths('100_')).toEqual([]);
    expect(paths('été')).toEqual(['Été.txt']); // case folded beyond ASCII
    expect(paths('x/y')).toEqual(['deep/x/y', 'deep/x/y/z.txt']); // a path fragment
    expect(paths('docs')).toEqual(['docs']); // names only without "/"
    const hit = search('old.txt').hits[0]!;
    expect(hit).toMatchObject({
      itemId: ITEM,
      type: 'file',
      versionCount: 1,
      inLatest: false,
      lastSeen: { id: snaps[1] },
    });
    expect(search('a.txt').hits[0]).toMatchObject({
      versionCount: 2,
      inLatest: true,
      lastSeen: { id: snaps[2] },
    });
    expect(search('only-first').hits[0]).toMatchObject({ inLatest: false, lastSeen: { id: snaps[0] } });
    const limited = search('*', 3);
    expect(limited.hits).toHaveLength(3);
    expect(limited.truncated).toBe(true);
  });

  it('ignores accents and case: "resume" finds Résumé, written composed or decomposed', () => {
    const both = ['Résumé 2025.pdf'.normalize('NFC'), 'cv/Mon résumé.odt'.normalize('NFD')];
    expect(paths('resume')).toEqual(both);
    expect(paths('RESUME')).toEqual(both);
    expect(paths('Résumé'.normalize('NFC'))).toEqual(both);
    expect(paths('résumé'.normalize('NFD'))).toEqual(both);
    // Without a run long enough for the search index, and in a path fragment.
    expect(paths('r?sum')).toEqual(both);
    expect(paths('cv/mon resume')).toEqual([both[1]]);
    // Accents are ignored, not letters: "resumes" is not "Résumé".
    expect(paths('resumes')).toEqual([]);
  });

  it('lists what changed between two backups, either way round', () => {
    const d = read((r) => r.diff(snaps[0]!, snaps[1]!, 100));
    const rel = (entries: { path: string }[]) => entries.map((e) => e.path.slice(src.length + 1));
    expect(rel(d.added)).toEqual([]);
    expect(rel(d.removed)).toEqual(['notes.txt', 'only-first.log']);
    expect(rel(d.modified)).toEqual(['docs/a.txt']);
    expect(d.modified[0]).toMatchObject({ type: 'file', sizeBefore: 3, sizeAfter: 12 });
    expect(d).toMatchObject({
      from: { id: snaps[0] },
      to: { id: snaps[1] },
      truncated: false,
      totals: { added: 0, removed: 2, modified: 1 },
    });
    const back = read((r) => r.diff(snaps[2]!.slice(0, 12), snaps[0]!.slice(0, 12), 1));
    expect(rel(back.added)).toEqual(['old.txt']); // and only-first.log, beyond the limit
    expect(rel(back.removed)).toEqual(['new.txt']);
    expect(back.modified).toEqual([]); // a.txt is "one" in both
    expect(back.totals).toEqual({ added: 2, removed: 1, modified: 0 });
    expect(back.truncated).toBe(true);
    expect(() => read((r) => r.diff('deadbeef', snaps[0]!, 10))).toThrow(/not in the file catalogue/);
  });

  it('writes only what changed: an unchanged backup adds no rows, one changed file adds its own and its folders', async () => {
    const before = spanCount();
    await snapshot();
    expect((await catalogue()).value).toMatchObject({ added: 1 });
    expect(spanCount()).toBe(before);
    writeFile(path.join(src, 'deep', 'x', 'y', 'z.txt'), 'deeper');
    await snapshot();
    expect((await catalogue()).value).toMatchObject({ added: 1 });
    // z.txt and each of its 6 folders up to /tmp (a folder's key follows what is below it).
    expect(spanCount()).toBe(before + 7);
    expect(versions('deep/x/y/z.txt').versions.map((v) => v.backupCount)).toEqual([4, 1]);
  });

  it('rebuilt from scratch, gives the same answers', async () => {
    const before = answers();
    expect((await catalogue(true)).value).toMatchObject({ added: 5, catalogued: 5 });
    expect(answers()).toEqual(before);
  });

  it('stays consistent when retention removes backups: counts, absences and versions only removed backups held', async () => {
    // Retention (the real op) keeps the 3 newest of the item: snapshots 1 and 2 go.
    const outcome = await runner.run(
      {
        op: 'retention',
        repo: { kind: 'local', path: repoDir },
        password: PASSWORD,
        tag: `item:${ITEM}`,
        policy: { last: 3 },
        prune: false,
      },
      new RunRecorder(),
      new AbortController().signal,
    );
    expect(outcome).toMatchObject({ status: 'success', value: { forgotten: 2 } });
    expect((await catalogue()).value).toEqual({ op: 'catalogue', added: 0, dropped: 2, catalogued: 3 });
    // a.txt's second version was only in backup 2: gone.
    expect(versions('docs/a.txt').versions).toMatchObject([{ backupCount: 3, first: { id: snaps[2] } }]);
    // notes.txt's absence was backup 2: no gap any more.
    expect(versions('notes.txt')).toMatchObject({ versions: [{ backupCount: 3 }], absences: [] });
    // Only ever in backup 1: no trace left, not even its name.
    expect(search('only-first').hits).toEqual([]);
    expect(search('old.txt').hits).toEqual([]);
    const before = answers();
    await catalogue(true);
    expect(answers()).toEqual(before);
  });

  it('re-catalogues a lineage when its newest backup is removed, or an older backup appears', async () => {
    await repo.removeSnapshot(snaps[4]!);
    expect((await catalogue()).value).toEqual({ op: 'catalogue', added: 2, dropped: 1, catalogued: 2 });
    expect(versions('deep/x/y/z.txt').versions.map((v) => v.backupCount)).toEqual([2]);
    const reference = answers();
    // An older backup appears (here: its file was away, and comes back).
    const snapFile = path.join(repoDir, 'snapshots', snaps[2]!);
    fs.renameSync(snapFile, `${snapFile}.away`);
    expect((await catalogue()).value).toEqual({ op: 'catalogue', added: 0, dropped: 1, catalogued: 1 });
    fs.renameSync(`${snapFile}.away`, snapFile);
    const rec = new RunRecorder();
    expect((await catalogue(false, rec)).value).toMatchObject({ dropped: 0, catalogued: 2 });
    expect(rec.logs.map((l) => l.message).join('\n')).toMatch(/Re-cataloguing the 2 backups/);
    expect(rec.progress.at(-1)).toMatchObject({ phase: 'catalogue', filesDone: 2, filesTotal: 2 });
    expect(answers()).toEqual(reference);
  });

  it('keeps backups made elsewhere (no item tag) apart from the item', async () => {
    await snapshot([]);
    await catalogue();
    expect(versions('docs/a.txt', null).versions).toMatchObject([{ backupCount: 1 }]);
    expect(
      search('a.txt')
        .hits.map((h) => h.itemId)
        .sort(),
    ).toEqual([ITEM, null].sort());
  });

  it('rebuilds a damaged or foreign catalogue instead of trusting it', async () => {
    const reference = answers();
    fs.writeFileSync(file, Buffer.alloc(8192, 0x5a)); // garbage bytes
    fs.rmSync(`${file}-wal`, { force: true });
    fs.rmSync(`${file}-shm`, { force: true });
    expect(() => read((r) => r.info())).toThrow(CatalogueUnusableError);
    const rec = new RunRecorder();
    expect(await catalogue(false, rec)).toMatchObject({ status: 'success' });
    expect(rec.logs.map((l) => l.message).join('\n')).toMatch(/search index was damaged/);
    expect(answers()).toEqual(reference);

    // A file of another schema version.
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    expect(() => read((r) => r.info())).toThrow(/schema 99/);
    expect(() => read((r) => r.info())).toThrow(
      expect.objectContaining({ reason: 'other-version' }) as unknown as Error,
    );
    const versionRec = new RunRecorder();
    expect(await catalogue(false, versionRec)).toMatchObject({ status: 'success' });
    expect(versionRec.logs.map((l) => l.message).join('\n')).toMatch(
      /made by another version of Strongroom; it is rebuilt/,
    );
    expect(answers()).toEqual(reference);

    // Some other program's SQLite file.
    fs.rmSync(file);
    const foreign = new Database(file);
    foreign.exec('CREATE TABLE path (x); INSERT INTO path VALUES (1)');
    foreign.close();
    expect(() => read((r) => r.info())).toThrow(/not a Strongroom catalogue/);
    expect(await catalogue()).toMatchObject({ status: 'success' });
    expect(answers()).toEqual(reference);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });
});
