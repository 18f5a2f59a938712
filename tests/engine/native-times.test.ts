/**
 * Modification times restored exactly, to the nanosecond the repository keeps, through the engine's
 * native addon (native/, futimens and utimensat); without it (not built, or STRONGROOM_NATIVE_FS=off)
 * to the microsecond, as Node's utimes allows.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { backup, restore, type Repository } from '../../src-engine/index';
import { nativeFs } from '../../src-engine/fs/fs-native';
import { newRepo, tempDir, writeFile } from './helpers';

const NS = '1700000000.123456789';
const EXACT = 1700000000123456789n;
let work: string;
let src: string;
let repo: Repository;

beforeAll(async () => {
  work = await tempDir('native-times');
  src = path.join(work, 'src');
  writeFile(path.join(src, 'sub/file.txt'), 'timed\n');
  fs.symlinkSync('file.txt', path.join(src, 'sub/link'));
  // GNU touch sets nanoseconds; -h the symlink's own times. The folder last: its entries change it.
  for (const p of ['sub/file.txt', 'sub/link', 'sub'])
    execFileSync('touch', ['-h', '-m', '-d', `@${NS}`, path.join(src, p)]);
  repo = await newRepo(path.join(work, 'repo'));
  await backup(repo, { paths: [src] });
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const mtimeNs = (p: string) => fs.lstatSync(p, { bigint: true }).mtimeNs;

it('restores the exact nanosecond of files, folders and symlinks with the native addon', async (ctx) => {
  if (!nativeFs()) ctx.skip('the native addon is not built here (cd native && node build.mjs)');
  expect(mtimeNs(path.join(src, 'sub/file.txt'))).toBe(EXACT);
  const target = path.join(work, 'out-native');
  const res = await restore(repo, 'latest', { target });
  expect(res.problems).toEqual([]);
  for (const p of ['sub/file.txt', 'sub/link', 'sub'])
    expect(mtimeNs(path.join(target, src, p)), p).toBe(EXACT);
});

it('restores to the microsecond without it', async () => {
  const saved = process.env.STRONGROOM_NATIVE_FS;
  process.env.STRONGROOM_NATIVE_FS = 'off';
  try {
    expect(nativeFs()).toBeUndefined();
    const target = path.join(work, 'out-fallback');
    const res = await restore(repo, 'latest', { target });
    expect(res.problems).toEqual([]);
    for (const p of ['sub/file.txt', 'sub/link', 'sub'])
      expect(mtimeNs(path.join(target, src, p)), p).toBe((EXACT / 1000n) * 1000n);
  } finally {
    if (saved === undefined) delete process.env.STRONGROOM_NATIVE_FS;
    else process.env.STRONGROOM_NATIVE_FS = saved;
  }
});
