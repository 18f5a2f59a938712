/** FIFOs and device files come back (devices when restoring as root); sparse files come back sparse. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { backup, restore, type Repository } from '../../src-engine/index';
import { newRepo, prng, tempDir, writeFile } from './helpers';

let work: string;
let repo: Repository;
beforeAll(async () => {
  work = await tempDir('special');
  repo = await newRepo(path.join(work, 'repo'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const asRoot = process.getuid?.() === 0;

it('keeps FIFOs, and device files when restoring as root (else names them as not restored)', async () => {
  const src = path.join(work, 'special');
  writeFile(path.join(src, 'regular.txt'), 'regular\n');
  execFileSync('mkfifo', ['-m', '0640', path.join(src, 'pipe')]);
  if (asRoot) execFileSync('mknod', ['-m', '0600', path.join(src, 'null-like'), 'c', '1', '3']);
  const warnings: string[] = [];
  const b = await backup(repo, { paths: [src], onProblem: (p) => warnings.push(`${p.path}: ${p.reason}`) });
  expect(warnings).toEqual([]);
  expect(b.snapshot.partial).toBe(false);
  const target = path.join(work, 'out-special');
  const res = await restore(repo, 'latest', { target });
  const pipe = fs.lstatSync(path.join(target, src, 'pipe'));
  expect(pipe.isFIFO()).toBe(true);
  expect(pipe.mode & 0o7777).toBe(0o640);
  if (asRoot) {
    const dev = fs.lstatSync(path.join(target, src, 'null-like'));
    expect(dev.isCharacterDevice()).toBe(true);
    expect(dev.rdev).toBe(fs.lstatSync(path.join(src, 'null-like')).rdev);
    expect(res.problems).toEqual([]);
  }
  expect(fs.readFileSync(path.join(target, src, 'regular.txt'), 'utf8')).toBe('regular\n');
});

it('restores a 64 MiB file with a hole as a sparse file', async () => {
  const src = path.join(work, 'sparse');
  fs.mkdirSync(src);
  const file = path.join(src, 'disk.img');
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, prng('head', 1024 * 1024), 0, 1024 * 1024, 0);
  fs.writeSync(fd, prng('tail', 1024 * 1024), 0, 1024 * 1024, 63 * 1024 * 1024);
  fs.closeSync(fd);
  expect(fs.statSync(file).blocks * 512).toBeLessThan(4 * 1024 * 1024);
  await backup(repo, { paths: [src] });
  const target = path.join(work, 'out-sparse');
  const res = await restore(repo, 'latest', { target });
  expect(res.problems).toEqual([]);
  const out = path.join(target, file);
  expect(fs.statSync(out).size).toBe(64 * 1024 * 1024);
  expect(fs.readFileSync(out).equals(fs.readFileSync(file))).toBe(true);
  // Allocated: the two MiB of data plus at most a few chunks' worth of zeros around them.
  expect(fs.statSync(out).blocks * 512).toBeLessThan(8 * 1024 * 1024);
});
