/**
 * The restore target: a symlink to a folder given as --target is followed (as it is when it stands
 * earlier in the target's path), and the temporary files a killed restore left there are removed by
 * the next restore into it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { backup, restore } from '../../src-engine/index';
import { describeTree, newRepo, openRepo, PASSWORD, prng, runCli, tempDir, writeFile } from './helpers';

const CHILD = fileURLToPath(new URL('./fixtures/restore-killed-child.ts', import.meta.url));
const env = { STRONGROOM_PASSWORD: PASSWORD };
let work: string;
beforeAll(async () => {
  work = await tempDir('restore-target');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Every `.sr` name under `root`. */
function tmpNames(root: string): string[] {
  return (fs.readdirSync(root, { recursive: true }) as string[])
    .filter((p) => path.basename(p).startsWith('.sr'))
    .sort();
}

describe('--target a symlink to a folder', () => {
  it('is followed, as a symlink earlier in the target path is', async () => {
    const src = path.join(work, 'link', 'src');
    writeFile(path.join(src, 'a.txt'), 'alpha\n');
    writeFile(path.join(src, 'sub/b.txt'), 'beta\n');
    const repoDir = path.join(work, 'link', 'repo');
    await backup(await newRepo(repoDir), { paths: [src] });
    const elsewhere = path.join(work, 'link', 'else');
    fs.mkdirSync(elsewhere);
    const tg = path.join(work, 'link', 'tg');
    fs.mkdirSync(tg);
    fs.symlinkSync(elsewhere, path.join(tg, 'link'));

    const direct = await runCli(['-r', repoDir, 'restore', 'latest', '--target', path.join(tg, 'link')], env);
    expect(direct.code, direct.stderr).toBe(0);
    expect(fs.readFileSync(path.join(elsewhere, src, 'sub/b.txt'), 'utf8')).toBe('beta\n');
    const below = await runCli(
      ['-r', repoDir, 'restore', 'latest', '--target', path.join(tg, 'link', 'newsub')],
      env,
    );
    expect(below.code, below.stderr).toBe(0);
    expect(fs.readFileSync(path.join(elsewhere, 'newsub', src, 'a.txt'), 'utf8')).toBe('alpha\n');
    expect(fs.lstatSync(path.join(tg, 'link')).isSymbolicLink()).toBe(true);
  });
});

describe('a restore killed half-way', () => {
  it('leaves temporary files that the next restore into the same target removes', async () => {
    const src = path.join(work, 'killed', 'src');
    // Files of several packs each (the test repository's packs are 128 KiB), read one after another.
    for (let i = 0; i < 6; i++) writeFile(path.join(src, `d${i % 2}`, `f${i}.bin`), prng(`f${i}`, 300_000));
    writeFile(path.join(src, 'small.txt'), 'small\n');
    const repoDir = path.join(work, 'killed', 'repo');
    await backup(await newRepo(repoDir), { paths: [src], workers: 0 });
    const target = path.join(work, 'killed', 'out');

    // Killed at the 16th read of pack bytes: ranges are read several ahead of the one being written, so
    // by then the first few are written, and the file they begin is half written.
    const killed = await new Promise<{ signal: NodeJS.Signals | null }>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', CHILD, repoDir, target, '16'], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
      });
      child.on('close', (_code, signal) => resolve({ signal }));
    });
    expect(killed.signal).toBe('SIGKILL');
    // The killed restore left half-written files under temporary names.
    const left = tmpNames(target);
    expect(left.length).toBeGreaterThan(0);
    // A name of that shape that is a folder is nobody's temporary file: it stays.
    fs.mkdirSync(path.join(target, src, '.sr000000a'));

    const res = await restore(await openRepo(repoDir), 'latest', { target });
    expect(res.problems).toEqual([]);
    expect(tmpNames(target)).toEqual([
      path.join(path.relative(target, path.join(target, src)), '.sr000000a'),
    ]);
    fs.rmdirSync(path.join(target, src, '.sr000000a'));
    expect(describeTree(path.join(target, src))).toEqual(describeTree(src));
  });
});
