/**
 * `find` and `diff` through the real CLI on a real repository with a short history:
 *   s1: the starting tree
 *   s2: Return.pdf changed, notes.md deleted, photos/ deleted, `thing` turned from a file into a folder
 *   s3: Return.pdf back to its first bytes, notes.md recreated, new.txt added
 *   s4: unchanged, from another host with a tag
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { backup } from '../../src-engine/index';
import type { DiffChange, DiffSummary, FindResult } from '../../src-engine/index';
import { newRepo, PASSWORD, prng, runCli, tempDir, writeFile } from './helpers';

const env = { STRONGROOM_PASSWORD: PASSWORD };
let work: string;
let repoDir: string;
let src: string;
const ids: string[] = [];
const short = (i: number) => ids[i]!.slice(0, 8);

beforeAll(async () => {
  work = await tempDir('cli-find-diff');
  repoDir = path.join(work, 'repo');
  src = path.join(work, 'src');
  const pdfV1 = prng('pdf v1', 20_000);
  writeFile(path.join(src, 'taxes/2025/Return.pdf'), pdfV1);
  writeFile(path.join(src, 'taxes/2025/Return.pdf.bak'), 'old');
  writeFile(path.join(src, 'taxes/2024/return.pdf'), prng('2024', 3000));
  writeFile(path.join(src, 'docs/Annual-Report.txt'), 'report');
  writeFile(path.join(src, 'docs/notes.md'), 'notes v1');
  writeFile(path.join(src, 'photos/img1.jpg'), prng('img1', 1000));
  writeFile(path.join(src, 'photos/img22.jpg'), prng('img22', 1000));
  writeFile(path.join(src, 'thing'), 'a file for now');
  const repo = await newRepo(repoDir);
  ids.push((await backup(repo, { paths: [src] })).snapshotId);

  writeFile(path.join(src, 'taxes/2025/Return.pdf'), prng('pdf v2', 25_000));
  fs.rmSync(path.join(src, 'docs/notes.md'));
  fs.rmSync(path.join(src, 'photos'), { recursive: true });
  fs.rmSync(path.join(src, 'thing'));
  writeFile(path.join(src, 'thing/inner.txt'), 'now a folder');
  ids.push((await backup(repo, { paths: [src] })).snapshotId);

  writeFile(path.join(src, 'taxes/2025/Return.pdf'), pdfV1);
  writeFile(path.join(src, 'docs/notes.md'), 'notes v1');
  writeFile(path.join(src, 'new.txt'), 'new');
  ids.push((await backup(repo, { paths: [src] })).snapshotId);

  ids.push((await backup(repo, { paths: [src], host: 'other-host', tags: ['weekly'] })).snapshotId);
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const cli = (...args: string[]) => runCli(['-r', repoDir, ...args], env);
async function findJson(...args: string[]): Promise<FindResult> {
  const r = await cli('find', ...args, '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as FindResult;
}
const rel = (r: FindResult) => r.matches.map((m) => m.path.slice(src.length));

describe('find', () => {
  it('lists each match with its versions, "kept in N snapshots, from ... to ..."', async () => {
    const r = await cli('find', 'return.PDF');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    // `…` stands for any text (the times).
    const at = (i: number) => `…(${short(i)})`;
    const expected = [
      `${src}/taxes/2024/return.pdf`,
      `  file 2.9 KiB, modified …, kept in 4 snapshots, from ${at(0)} to ${at(3)}`,
      // The 2025 return had two contents: the first in s1, s3 and s4, the second in s2 only.
      `${src}/taxes/2025/Return.pdf`,
      `  file 19.5 KiB, modified …, kept in 3 snapshots, from ${at(0)} to ${at(3)}`,
      `  file 24.4 KiB, modified …, in 1 snapshot, ${at(1)}`,
      // A plain pattern matches any name containing it.
      `${src}/taxes/2025/Return.pdf.bak`,
      `  file 3 B, modified …, kept in 4 snapshots, from ${at(0)} to ${at(3)}`,
      '',
      '3 paths, 4 versions, in 4 of 4 snapshots',
      '',
    ];
    expect(lines).toHaveLength(expected.length);
    const pattern = (e: string) =>
      new RegExp(`^${e.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/…/g, '.*')}$`);
    lines.forEach((l, i) => expect(l).toMatch(pattern(expected[i]!)));
  });

  it('--json gives every version with its content key, size and snapshots, oldest first', async () => {
    const r = await findJson('Return.pdf');
    expect(r.snapshotsSearched).toBe(4);
    const m = r.matches.find((x) => x.path === `${src}/taxes/2025/Return.pdf`)!;
    expect(m.versions.map((v) => [v.type, v.size, v.snapshots.map((s) => s.id)])).toEqual([
      ['file', 20_000, [ids[0], ids[2], ids[3]]],
      ['file', 25_000, [ids[1]]],
    ]);
    expect(m.versions[0]!.contentKey).toMatch(/^[0-9a-f]{64}$/);
    expect(m.versions[0]!.contentKey).not.toBe(m.versions[1]!.contentKey);
    expect(m.versions[0]!.mtime).toMatch(/^\d{4}-\d\d-\d\dT/);
    // A file deleted and recreated with the same bytes is one version with a gap in its snapshots.
    const notes = (await findJson('NOTES.md')).matches[0]!;
    expect(notes.versions).toHaveLength(1);
    expect(notes.versions[0]!.snapshots.map((s) => s.id)).toEqual([ids[0], ids[2], ids[3]]);
  });

  it('takes * and ? as wildcards over the whole name', async () => {
    expect(rel(await findJson('img?.jpg'))).toEqual(['/photos/img1.jpg']);
    expect(rel(await findJson('IMG*.JPG'))).toEqual(['/photos/img1.jpg', '/photos/img22.jpg']);
    expect(rel(await findJson('*.pdf'))).toEqual(['/taxes/2024/return.pdf', '/taxes/2025/Return.pdf']);
  });

  it('matches a pattern with / as a path fragment ending in the entry name', async () => {
    expect(rel(await findJson('Taxes/2025'))).toEqual(['/taxes/2025']);
    expect(rel(await findJson('taxes/2025/'))).toEqual([
      '/taxes/2025/Return.pdf',
      '/taxes/2025/Return.pdf.bak',
    ]);
    expect(rel(await findJson('taxes/*/return.pdf'))).toEqual([
      '/taxes/2024/return.pdf',
      '/taxes/2025/Return.pdf',
    ]);
    expect(rel(await findJson('xes/2024/ret'))).toEqual(['/taxes/2024/return.pdf']);
    // Anchored at the root: only a path that starts there.
    expect((await cli('find', '/taxes/2025')).code).toBe(1);
    expect(rel(await findJson(`${src}/thing`))).toEqual(['/thing']);
  });

  it('takes a wildcard folder pattern ending in / as it takes a plain one', async () => {
    expect(rel(await findJson('photo*/'))).toEqual(['/photos/img1.jpg', '/photos/img22.jpg']);
    expect(rel(await findJson('t?xes/2025/'))).toEqual([
      '/taxes/2025/Return.pdf',
      '/taxes/2025/Return.pdf.bak',
    ]);
  });

  it('finds a name stored in NFD when typed in NFC and the reverse; --exact tells case and accents apart', async () => {
    // compileFindPattern's tests cover the comparisons; here, that the CLI uses them and takes --exact.
    const base = path.join(work, 'nfd');
    const nfdRepo = path.join(base, 'repo');
    writeFile(path.join(base, 'src', 'dossie\u0301', 'a.txt'), 'nfd');
    writeFile(path.join(base, 'src', 'R\u00e9sum\u00e9.txt'), 'nfc');
    await backup(await newRepo(nfdRepo), { paths: [path.join(base, 'src')] });
    const find = async (...args: string[]) => {
      const r = await runCli(['-r', nfdRepo, 'find', ...args, '--json'], env);
      if (r.code !== 0) return [];
      return (JSON.parse(r.stdout) as FindResult).matches.map((m) => path.basename(m.path)).sort();
    };
    // NFC typed, NFD stored; NFD typed, NFC stored; no accents or case typed at all.
    expect(await find('dossi\u00e9/')).toEqual(['a.txt']);
    expect(await find('*SUME*')).toEqual(['R\u00e9sum\u00e9.txt']);
    expect(await find('re\u0301sume\u0301', '--exact')).toEqual([]);
    expect(await find('R\u00e9sum\u00e9', '--exact')).toEqual(['R\u00e9sum\u00e9.txt']);
  }, 60_000);

  it('says when nothing matches, with exit status 1, in text and in --json', async () => {
    const r = await cli('find', 'no-such-file');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('nothing matches "no-such-file" in 4 snapshots');
    const j = await cli('find', 'no-such-file', '--json');
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toEqual({
      error: { code: 'NOT_FOUND', message: 'nothing matches "no-such-file" in 4 snapshots' },
    });
    expect((await cli('find')).code).toBe(2);
  });

  it('searches only the snapshots chosen by --snapshot, --host, --tag and --path', async () => {
    const sizes = async (...f: string[]) =>
      (await findJson('Return.pdf', ...f)).matches
        .find((m) => m.path.endsWith('2025/Return.pdf'))!
        .versions.map((v) => [v.size, v.snapshots.length]);
    expect(await sizes('--snapshot', short(1))).toEqual([[25_000, 1]]);
    expect(await sizes('--snapshot', short(0), '--snapshot', 'latest')).toEqual([[20_000, 2]]);
    expect(await sizes('--host', 'other-host')).toEqual([[20_000, 1]]);
    expect(await sizes('--tag', 'weekly')).toEqual([[20_000, 1]]);
    expect((await findJson('Return.pdf', '--path', src)).snapshotsSearched).toBe(4);
    const none = await cli('find', 'Return.pdf', '--path', '/elsewhere');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no snapshots to search');
  });
});

describe('diff', () => {
  it('lists added, removed, modified and type-changed paths with a summary', async () => {
    const r = await cli('diff', short(0), short(1));
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`comparing snapshot ${short(0)} to ${short(1)}:`);
    const changes = lines.filter((l) => /^[-+MTU] {4}/.test(l)).map((l) => l.replace(src, ''));
    expect(changes).toEqual([
      '-    /docs/notes.md',
      '-    /photos/',
      '-    /photos/img1.jpg',
      '-    /photos/img22.jpg',
      'M    /taxes/2025/Return.pdf',
      'T    /thing/',
      '+    /thing/inner.txt',
    ]);
    expect(r.stdout).toContain('Files:   1 new, 3 removed, 1 changed, 0 metadata only');
    expect(r.stdout).toContain('Dirs:    0 new, 1 removed, 1 changed,');
    expect(r.stdout).toMatch(/Added: +24\.4 KiB/);
  });

  it('--json gives each change with before and after, and the summary', async () => {
    const r = await cli('diff', short(1), short(2), '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as {
      from: { id: string };
      to: { id: string };
      changes: DiffChange[];
      summary: DiffSummary;
    };
    expect(j.from.id).toBe(ids[1]);
    expect(j.to.id).toBe(ids[2]);
    expect(j.changes.map((c) => [c.kind, c.path.slice(src.length)])).toEqual([
      ['added', '/docs/notes.md'],
      ['added', '/new.txt'],
      ['modified', '/taxes/2025/Return.pdf'],
    ]);
    const m = j.changes[2]!;
    expect([m.before!.size, m.after!.size]).toEqual([25_000, 20_000]);
    expect(m.before!.contentKey).not.toBe(m.after!.contentKey);
    expect(j.changes[0]!.before).toBeUndefined();
    expect(j.summary.files).toEqual({ added: 2, removed: 0, modified: 1, metadata: 0 });
    // Folders whose times changed are metadata-only changes: counted, listed with --metadata.
    expect(j.summary.dirs.metadata).toBeGreaterThan(0);
    const withMeta = JSON.parse((await cli('diff', short(1), short(2), '--json', '--metadata')).stdout) as {
      changes: DiffChange[];
    };
    expect(withMeta.changes.filter((c) => c.kind === 'metadata').map((c) => c.after!.type)).toContain('dir');
  });

  it('finds no differences between identical snapshots', async () => {
    const r = await cli('diff', short(2), short(3));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('no differences');
    expect(r.stdout).toContain('Files:   0 new, 0 removed, 0 changed, 0 metadata only');
    const j = JSON.parse((await cli('diff', short(2), 'latest', '--json')).stdout) as { changes: unknown[] };
    expect(j.changes).toEqual([]);
  });

  it('refuses an unknown snapshot id and a missing argument', async () => {
    const r = await cli('diff', short(0), 'abcdef12');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no snapshot abcdef12');
    const j = await cli('diff', 'abcdef12', short(0), '--json');
    expect(JSON.parse(j.stdout)).toEqual({ error: { code: 'NOT_FOUND', message: 'no snapshot abcdef12' } });
    expect((await cli('diff', short(0))).code).toBe(2);
  });
});
