/**
 * A restore that cannot write some paths writes everything else and names each path it left out, with
 * the reason: a path too long for the target, and a damaged tree blob beside intact folders.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { backup, IntegrityError, restore } from '../../src-engine/index';
import type { RestoreResult } from '../../src-engine/restore/restore';
import { newRepo, openRepo, packFiles, tempDir, writeFile } from './helpers';

let work: string;
beforeAll(async () => {
  work = await tempDir('partial');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

it('restores everything else when some paths are too long for the target, and names those', async () => {
  const src = path.join(work, 'deep');
  const seg = (c: string) => c.repeat(200);
  // 14 levels of 200-byte names: about 2,850 bytes, fine where they were backed up.
  let deep = src;
  for (let i = 0; i < 14; i++) deep = path.join(deep, seg(String.fromCharCode(97 + i)));
  writeFile(path.join(deep, 'bottom.txt'), 'at the bottom\n');
  writeFile(path.join(src, seg('a'), 'shallow.txt'), 'near the top\n');
  writeFile(path.join(src, 'sibling.txt'), 'beside\n');
  const repo = await newRepo(path.join(work, 'repo-deep'));
  await backup(repo, { paths: [src] });

  // A target whose own path is about 1,400 bytes: the deepest folders pass PATH_MAX (4,096) there.
  let target = path.join(work, 'out');
  for (let i = 0; i < 7; i++) target = path.join(target, seg('t'));
  fs.mkdirSync(target, { recursive: true });
  const res = await restore(repo, 'latest', { target });
  expect(fs.readFileSync(path.join(target, src, 'sibling.txt'), 'utf8')).toBe('beside\n');
  expect(fs.readFileSync(path.join(target, src, seg('a'), 'shallow.txt'), 'utf8')).toBe('near the top\n');
  expect(res.filesRestored).toBe(2);
  const missing = res.problems.filter((f) => f.kind === 'not-restored');
  expect(missing.length).toBeGreaterThan(0);
  // The first folder that could not be created is named where it was to go, with why; nothing under it
  // is restored silently.
  expect(missing.every((f) => /too long/i.test(f.reason))).toBe(true);
  const deepDest = path.join(target, deep);
  expect(missing.some((f) => f.path === deepDest || deepDest.startsWith(`${f.path}/`))).toBe(true);
});

it('restores intact folders beside a damaged tree blob, then fails naming the damaged folder', async () => {
  const src = path.join(work, 'trees');
  writeFile(path.join(src, 'good/one.txt'), 'good one\n');
  writeFile(path.join(src, 'good/two.txt'), 'good two\n');
  writeFile(path.join(src, 'bad/lost.txt'), 'in the damaged folder\n');
  writeFile(path.join(src, 'top.txt'), 'top\n');
  const repoDir = path.join(work, 'repo-trees');
  const repo = await newRepo(repoDir);
  const { snapshot } = await backup(repo, { paths: [src] });
  let tree = await repo.readTree(snapshot.tree);
  for (const part of src.split('/').filter(Boolean))
    tree = await repo.readTree(tree.nodes.find((n) => n.name === part)!.subtree!);
  const badTree = tree.nodes.find((n) => n.name === 'bad')!.subtree!;
  const e = repo.index.get(badTree)!;
  const pack = packFiles(repoDir).find((p) => p.endsWith(e.pack))!;
  const fd = fs.openSync(pack, 'r+');
  fs.writeSync(fd, Buffer.from('XXXX'), 0, 4, e.offset + Math.floor(e.length / 2));
  fs.closeSync(fd);

  const target = path.join(work, 'out-trees');
  const err = await restore(await openRepo(repoDir), 'latest', { target }).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(err).toBeInstanceOf(IntegrityError);
  expect((err as Error).message).toContain(path.join(src, 'bad'));
  const result = (err as IntegrityError & { result: RestoreResult }).result;
  expect(result.problems.map((f) => f.path)).toEqual([path.join(target, src, 'bad')]);
  expect(fs.readFileSync(path.join(target, src, 'good/one.txt'), 'utf8')).toBe('good one\n');
  expect(fs.readFileSync(path.join(target, src, 'good/two.txt'), 'utf8')).toBe('good two\n');
  expect(fs.readFileSync(path.join(target, src, 'top.txt'), 'utf8')).toBe('top\n');
  expect(fs.existsSync(path.join(target, src, 'bad/lost.txt'))).toBe(false);
});
