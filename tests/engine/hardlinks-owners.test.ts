/** Hard links come back as hard links; owners come back when restoring as root (as restic does). */
import { afterAll, beforeAll, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { backup, restore } from '../../src-engine/index';
import { newRepo, prng, tempDir, writeFile } from './helpers';

let work: string;
beforeAll(async () => {
  work = await tempDir('hardlinks');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

it('restores files that were hard links of each other as hard links, with the data written once', async () => {
  const src = path.join(work, 'src');
  writeFile(path.join(src, 'a/original.bin'), prng('hl', 100_000), 0o640);
  fs.mkdirSync(path.join(src, 'b'));
  fs.linkSync(path.join(src, 'a/original.bin'), path.join(src, 'a/second.bin'));
  fs.linkSync(path.join(src, 'a/original.bin'), path.join(src, 'b/third.bin'));
  writeFile(path.join(src, 'single.txt'), 'only one name\n');
  const repo = await newRepo(path.join(work, 'repo'));
  await backup(repo, { paths: [src] });

  const target = path.join(work, 'out');
  // A symlink planted where a link will go is replaced, not written through.
  const victim = path.join(work, 'victim');
  fs.writeFileSync(victim, 'untouched');
  writeFile(path.join(target, src, 'b/.keep'), '');
  fs.symlinkSync(victim, path.join(target, src, 'b/third.bin'));
  const res = await restore(repo, 'latest', { target, conflict: 'overwrite' });
  const out = path.join(target, src);
  const st = ['a/original.bin', 'a/second.bin', 'b/third.bin'].map((p) => fs.lstatSync(path.join(out, p)));
  for (const s of st) {
    expect(s.isFile()).toBe(true);
    expect(s.ino).toBe(st[0]!.ino);
    expect(s.nlink).toBe(3);
    expect(s.mode & 0o7777).toBe(0o640);
  }
  expect(fs.readFileSync(path.join(out, 'b/third.bin')).equals(prng('hl', 100_000))).toBe(true);
  expect(fs.readFileSync(victim, 'utf8')).toBe('untouched');
  expect(fs.statSync(path.join(out, 'single.txt')).nlink).toBe(1);
  expect(res.hardlinks).toBe(2);
  expect(res.bytesRestored).toBe(100_000 + 'only one name\n'.length);
  // Nothing temporary is left behind.
  expect(fs.readdirSync(path.join(out, 'a')).sort()).toEqual(['original.bin', 'second.bin']);
});

it('restores owners (uid/gid) of files, folders and symlinks when running as root', async (ctx) => {
  if (process.getuid?.() !== 0) {
    console.log(
      'skipped: restoring owners needs root (as for restic), and these tests are not running as root',
    );
    ctx.skip();
  }
  const src = path.join(work, 'owners');
  writeFile(path.join(src, 'd/file.txt'), 'owned\n', 0o4750);
  fs.symlinkSync('file.txt', path.join(src, 'd/link'));
  fs.chownSync(path.join(src, 'd/file.txt'), 1234, 5678);
  fs.chmodSync(path.join(src, 'd/file.txt'), 0o4750);
  fs.chownSync(path.join(src, 'd'), 2345, 6789);
  fs.lchownSync(path.join(src, 'd/link'), 3456, 7890);
  const repo = await newRepo(path.join(work, 'repo-owners'));
  await backup(repo, { paths: [src] });
  const target = path.join(work, 'out-owners');
  await restore(repo, 'latest', { target });
  const out = path.join(target, src);
  const f = fs.lstatSync(path.join(out, 'd/file.txt'));
  expect([f.uid, f.gid, f.mode & 0o7777]).toEqual([1234, 5678, 0o4750]);
  const d = fs.lstatSync(path.join(out, 'd'));
  expect([d.uid, d.gid]).toEqual([2345, 6789]);
  const l = fs.lstatSync(path.join(out, 'd/link'));
  expect([l.uid, l.gid]).toEqual([3456, 7890]);
});
