/**
 * Restore into a target that already holds symlinks must never follow them: nothing outside the target
 * is created, overwritten or has its mode or mtime changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { backup, restore, type Repository } from '../../src-engine/index';
import { decodeTree } from '../../src-engine/repository/tree';
import { describeTree, newRepo, tempDir, writeFile } from './helpers';

let work: string;
let repo: Repository;
let src: string;
let outside: string;

beforeAll(async () => {
  work = await tempDir('restore-safety');
  src = path.join(work, 'src');
  outside = path.join(work, 'outside');
  writeFile(path.join(src, 'sub/inner.txt'), 'inner contents\n');
  writeFile(path.join(src, 'sub/deeper/leaf.txt'), 'leaf contents\n');
  writeFile(path.join(src, 'top.txt'), 'top contents\n', 0o600);
  fs.mkdirSync(path.join(src, 'emptydir'));
  fs.symlinkSync('top.txt', path.join(src, 'link'));
  repo = await newRepo(path.join(work, 'repo'));
  await backup(repo, { paths: [src] });
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A fresh "outside" folder with a victim file, mode 0755 and an old mtime, to see any change to it. */
function makeOutside(): Record<string, string> {
  fs.rmSync(outside, { recursive: true, force: true });
  writeFile(path.join(outside, 'victim.txt'), 'must stay as it is\n', 0o644);
  fs.mkdirSync(path.join(outside, 'deeper'));
  fs.chmodSync(outside, 0o755);
  const old = new Date('2001-01-01T00:00:00Z');
  fs.utimesSync(outside, old, old);
  return describeTree(outside);
}

const rel = (p: string) => p.replace(/^\//, '');

for (const conflict of ['overwrite', 'skip', 'keep-both'] as const) {
  describe(`restore --conflict ${conflict} into a target holding symlinks`, () => {
    it('never writes through a symlinked folder, and says so', async () => {
      const before = makeOutside();
      const target = path.join(work, `t-dir-${conflict}`);
      const dest = path.join(target, rel(src));
      fs.mkdirSync(dest, { recursive: true });
      // Someone planted sub -> outside: restoring sub/inner.txt and sub/deeper/leaf.txt would land there.
      fs.symlinkSync(outside, path.join(dest, 'sub'));
      const warnings: string[] = [];
      const res = await restore(repo, 'latest', {
        target,
        conflict,
        onProblem: (p) => warnings.push(`${p.path}: ${p.reason}`),
      });
      expect(describeTree(outside)).toEqual(before);
      expect(fs.statSync(outside).mode & 0o7777).toBe(0o755);
      expect(fs.existsSync(path.join(outside, 'inner.txt'))).toBe(false);
      expect(fs.lstatSync(path.join(dest, 'sub')).isSymbolicLink()).toBe(true);
      expect(warnings.some((w) => w.includes(path.join(dest, 'sub')) && /symlink/.test(w))).toBe(true);
      // Everything not under the refused folder is restored.
      expect(fs.readFileSync(path.join(dest, 'top.txt'), 'utf8')).toBe('top contents\n');
      expect(fs.lstatSync(path.join(dest, 'emptydir')).isDirectory()).toBe(true);
      // The files under it were not restored, and are counted so (none existed to be skipped).
      expect(res.filesNotRestored).toBeGreaterThanOrEqual(2);
      expect(res.filesSkipped).toBe(0);
    });

    it('never writes through a symlink at a file path', async () => {
      const before = makeOutside();
      const target = path.join(work, `t-file-${conflict}`);
      const dest = path.join(target, rel(src));
      fs.mkdirSync(dest, { recursive: true });
      fs.symlinkSync(path.join(outside, 'victim.txt'), path.join(dest, 'top.txt'));
      fs.symlinkSync(outside, path.join(dest, 'emptydir'));
      const warnings: string[] = [];
      await restore(repo, 'latest', {
        target,
        conflict,
        onProblem: (p) => warnings.push(`${p.path}: ${p.reason}`),
      });
      expect(describeTree(outside)).toEqual(before);
      expect(fs.statSync(outside).mode & 0o7777).toBe(0o755);
      const top = fs.lstatSync(path.join(dest, 'top.txt'));
      if (conflict === 'overwrite') {
        // The link itself was replaced by the restored file.
        expect(top.isFile()).toBe(true);
        expect(fs.readFileSync(path.join(dest, 'top.txt'), 'utf8')).toBe('top contents\n');
        expect(top.mode & 0o7777).toBe(0o600);
      } else {
        expect(top.isSymbolicLink()).toBe(true);
      }
      if (conflict === 'keep-both') {
        expect(fs.readFileSync(path.join(dest, 'top (restored).txt'), 'utf8')).toBe('top contents\n');
      }
      expect(warnings.some((w) => w.includes(path.join(dest, 'emptydir')))).toBe(true);
    });
  });
}

it('a restore over an earlier restore that made a link where the snapshot now has a folder stays inside', async () => {
  // First snapshot: "sub" is a symlink to the outside folder; second: "sub" is a real folder.
  const before = makeOutside();
  const src2 = path.join(work, 'src2');
  fs.mkdirSync(src2);
  fs.symlinkSync(outside, path.join(src2, 'sub'));
  const r2 = await newRepo(path.join(work, 'repo2'));
  await backup(r2, { paths: [src2] });
  fs.rmSync(path.join(src2, 'sub'));
  writeFile(path.join(src2, 'sub/victim.txt'), 'replacement\n');
  await backup(r2, { paths: [src2] });
  const snaps = await r2.listSnapshots();
  const target = path.join(work, 't-sequence');
  await restore(r2, snaps[0]!.id, { target });
  const warnings: string[] = [];
  await restore(r2, snaps[1]!.id, { target, onProblem: (p) => warnings.push(`${p.path}: ${p.reason}`) });
  expect(describeTree(outside)).toEqual(before);
  expect(warnings.join('\n')).toMatch(/symlink/);
});

it('tree entries whose names could leave the target are refused when read', () => {
  for (const name of ['..', '.', '', 'a/../../b', '/etc', 'nul\0byte']) {
    const buf = Buffer.from(JSON.stringify({ nodes: [{ name, type: 'file' }] }));
    expect(() => decodeTree(buf, 'tree x')).toThrow(/invalid entry name/);
  }
});
