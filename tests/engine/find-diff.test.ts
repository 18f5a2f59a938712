/**
 * The find and diff API: patterns, each distinct tree searched once across many snapshots, and diff
 * reading only the subtrees that differ.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import {
  backup,
  compileFindPattern,
  diffTrees,
  findInSnapshots,
  walkTree,
  type Repository,
} from '../../src-engine/index';
import { newRepo, openRepo, tempDir, writeFile } from './helpers';

let work: string;
beforeAll(async () => {
  work = await tempDir('find-diff');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('compileFindPattern', () => {
  const m = (pattern: string, fullPath: string) =>
    compileFindPattern(pattern).matches(path.posix.basename(fullPath), fullPath);

  it('matches names by substring without wildcards, and whole names with them, ignoring case', () => {
    expect(m('report', '/a/Annual-REPORT.pdf')).toBe(true);
    expect(m('report', '/report/x.txt')).toBe(false);
    expect(m('*.pdf', '/a/x.PDF')).toBe(true);
    expect(m('*.pdf', '/a/x.pdf.bak')).toBe(false);
    expect(m('x?.pdf', '/a/x1.pdf')).toBe(true);
    expect(m('x?.pdf', '/a/x12.pdf')).toBe(false);
    expect(m('a+b(c)', '/q/a+b(c).txt')).toBe(true);
    expect(m('[x]', '/q/x')).toBe(false);
    expect(m('é', '/q/CAFÉ')).toBe(true);
  });

  it('matches a pattern with / as a fragment of the path that ends in the name', () => {
    expect(m('taxes/2025', '/home/ann/taxes/2025')).toBe(true);
    expect(m('taxes/2025', '/home/ann/oldtaxes/2025-q1.pdf')).toBe(true);
    expect(m('taxes/2025', '/home/ann/taxes/2025/return.pdf')).toBe(false);
    expect(m('taxes/2025/', '/home/ann/taxes/2025/return.pdf')).toBe(true);
    expect(m('/home/ann', '/home/ann')).toBe(true);
    expect(m('/ann', '/home/ann')).toBe(false);
    expect(m('taxes/*.pdf', '/h/taxes/a.pdf')).toBe(true);
    expect(m('taxes/*.pdf', '/h/oldtaxes/a.pdf')).toBe(false);
    expect(m('taxes/*.pdf', '/h/taxes/sub/a.pdf')).toBe(false);
  });

  it('matches a wildcard pattern ending in / against the entries inside the folders it matches', () => {
    expect(m('u*/', '/s/u/x')).toBe(true);
    expect(m('u*/', '/s/users/x')).toBe(true);
    expect(m('u*/', '/s/u')).toBe(false);
    expect(m('u*/', '/s/u/y/z')).toBe(false);
    expect(m('u*/', '/s/mu/x')).toBe(false);
    expect(m('taxes/20??/', '/h/taxes/2025/a.pdf')).toBe(true);
  });

  it('compares names in one normalisation, ignoring case and accents unless exact', () => {
    const nfc = 'dossi\u00e9';
    const nfd = 'dossie\u0301';
    // Stored in one form, typed in the other, both ways round, by name and by path.
    expect(m(`${nfc}/`, `/s/${nfd}/a.txt`)).toBe(true);
    expect(m(`${nfd}/`, `/s/${nfc}/a.txt`)).toBe(true);
    expect(m(nfc, `/s/${nfd}`)).toBe(true);
    expect(m(`${nfc}*`, `/s/${nfd}-2`)).toBe(true);
    expect(m('DOSSIE', `/s/${nfd}`)).toBe(true);
    expect(m('dossie/', `/s/DOSSI\u00c9/a.txt`)).toBe(true);
    expect(m('cafe?.txt', '/s/Caf\u00e91.txt')).toBe(true);
    const exact = (pattern: string, fullPath: string) =>
      compileFindPattern(pattern, { exact: true }).matches(path.posix.basename(fullPath), fullPath);
    // Exact still takes NFC and NFD as the same name, but tells case and accents apart.
    expect(exact(`${nfc}/`, `/s/${nfd}/a.txt`)).toBe(true);
    expect(exact(nfd, `/s/${nfc}`)).toBe(true);
    expect(exact('dossie', `/s/${nfd}`)).toBe(false);
    expect(exact('Dossi\u00e9', `/s/${nfc}`)).toBe(false);
    expect(exact('*.PDF', '/s/a.pdf')).toBe(false);
    expect(exact('*.pdf', '/s/a.pdf')).toBe(true);
  });

  it('refuses an empty pattern, naming it', () => {
    expect(() => compileFindPattern('')).toThrow(/pattern must not be empty/);
  });
});

/** Counts the trees a repository reads, by id. */
function countTreeReads(repo: Repository): Map<string, number> {
  const reads = new Map<string, number>();
  const original = repo.readTree.bind(repo);
  repo.readTree = async (id: string, opts?: { keep?: boolean }) => {
    reads.set(id, (reads.get(id) ?? 0) + 1);
    return original(id, opts);
  };
  return reads;
}

async function treeIds(repo: Repository, root: string): Promise<Set<string>> {
  const ids = new Set([root]);
  for await (const e of walkTree(repo, root)) if (e.subtree) ids.add(e.subtree);
  return ids;
}

describe('findInSnapshots', () => {
  it('searches each distinct tree once however many snapshots hold it', async () => {
    const src = path.join(work, 'memo');
    for (let d = 0; d < 4; d++)
      for (let f = 0; f < 3; f++) writeFile(path.join(src, `d${d}/s/f${f}.txt`), `${d}${f}`);
    const repoDir = path.join(work, 'memo-repo');
    const w = await newRepo(repoDir);
    for (let i = 0; i < 4; i++) await backup(w, { paths: [src] });
    writeFile(path.join(src, 'd2/s/f1.txt'), 'changed');
    const last = await backup(w, { paths: [src] });

    const repo = await openRepo(repoDir);
    const reads = countTreeReads(repo);
    const snaps = await repo.listSnapshots();
    const distinct = new Set<string>();
    for (const s of snaps) for (const id of await treeIds(await openRepo(repoDir), s.tree)) distinct.add(id);
    for (const pattern of ['f1', 's/f1.txt']) {
      reads.clear();
      const r = await findInSnapshots(repo, pattern);
      expect(r.snapshotsSearched).toBe(5);
      expect(r.treesSearched).toBe(distinct.size);
      expect([...reads.values()].every((n) => n === 1)).toBe(true);
      const changed = r.matches.find((x) => x.path === `${src}/d2/s/f1.txt`)!;
      expect(changed.versions.map((v) => v.snapshots.length)).toEqual([4, 1]);
      expect(changed.versions[1]!.snapshots[0]!.id).toBe(last.snapshotId);
      expect(r.matches).toHaveLength(4);
    }
  });
});

describe('find and diff with names that are not UTF-8', () => {
  it('name the path printably and give its exact bytes', async () => {
    const src = path.join(work, 'bytes');
    fs.mkdirSync(src, { recursive: true });
    const name = Buffer.from([0x72, 0xe9, 0x73, 0x75, 0x6d, 0xe9, 0x2e, 0x74, 0x78, 0x74]); // résumé.txt, Latin-1
    const file = Buffer.concat([Buffer.from(`${src}/`), name]);
    fs.writeFileSync(file, 'v1');
    const repoDir = path.join(work, 'bytes-repo');
    const w = await newRepo(repoDir);
    const one = await backup(w, { paths: [src] });
    fs.writeFileSync(file, 'v2');
    const two = await backup(w, { paths: [src] });

    const repo = await openRepo(repoDir);
    const r = await findInSnapshots(repo, 'SUM\\xe9.txt');
    expect(r.matches.map((m) => [m.path, Buffer.from(m.pathBytes!, 'base64')])).toEqual([
      [`${src}/r\\xe9sum\\xe9.txt`, file],
    ]);
    expect(r.matches[0]!.versions).toHaveLength(2);
    const changes = [];
    for await (const c of diffTrees(repo, one.snapshot.tree, two.snapshot.tree))
      if (c.kind !== 'metadata') changes.push([c.kind, Buffer.from(c.pathBytes!, 'base64')]);
    expect(changes).toEqual([['modified', file]]);
  });
});

describe('diffTrees', () => {
  it('reads only the subtrees that differ', async () => {
    const src = path.join(work, 'diff');
    writeFile(path.join(src, 'same/deep/a.txt'), 'a');
    writeFile(path.join(src, 'changes/b.txt'), 'b');
    const repoDir = path.join(work, 'diff-repo');
    const w = await newRepo(repoDir);
    const one = await backup(w, { paths: [src] });
    writeFile(path.join(src, 'changes/b.txt'), 'b2');
    const two = await backup(w, { paths: [src] });

    const repo = await openRepo(repoDir);
    const before = await treeIds(repo, one.snapshot.tree);
    const after = await treeIds(repo, two.snapshot.tree);
    const shared = [...before].filter((id) => after.has(id));
    const reads = countTreeReads(repo);
    const changes = [];
    for await (const c of diffTrees(repo, one.snapshot.tree, two.snapshot.tree)) changes.push(c);
    expect(changes.filter((c) => c.kind !== 'metadata').map((c) => [c.kind, c.path])).toEqual([
      ['modified', `${src}/changes/b.txt`],
    ]);
    expect(shared.length).toBeGreaterThanOrEqual(2); // same/ and same/deep/
    for (const id of shared) expect(reads.has(id)).toBe(false);
  });
});
