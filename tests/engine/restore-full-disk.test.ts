/**
 * A restore onto a disk that fills up restores what fits, names every path that did not, applies the
 * folders' modes and exits 3; a read-only target is said to be read-only, never "skipped existing
 * files"; a missing target on a read-only file system is not "does not exist". On a small tmpfs where
 * `mount` works (as root); elsewhere the same in-process checks run with ENOSPC and EROFS injected
 * into the engine's file-system calls.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { backup, restore, type Repository, type RestoreResult } from '../../src-engine/index';
import { newRepo, PASSWORD, prng, runCli, tempDir, writeFile } from './helpers';

const env = { STRONGROOM_PASSWORD: PASSWORD };
// Four fit in the 6 MiB tmpfs with room to spare for the 200 small files (a page, 4 KiB, each).
const BIG = 1250 * 1024;
let work: string;
let src: string;
let repoDir: string;
let repo: Repository;
let mnt: string;
/** Why no tmpfs could be mounted here (the checks then run with injected errors), or undefined. */
let noMount: string | undefined;

beforeAll(async () => {
  work = await tempDir('full-disk');
  src = path.join(work, 'src');
  for (let i = 0; i < 8; i++) writeFile(path.join(src, `a-big/${i}.bin`), prng(`big-${i}`, BIG));
  for (let i = 0; i < 200; i++) writeFile(path.join(src, `b-small/${i}.txt`), prng(`small-${i}`, 1000));
  fs.chmodSync(path.join(src, 'a-big'), 0o750);
  fs.chmodSync(path.join(src, 'b-small'), 0o750);
  repoDir = path.join(work, 'repo');
  repo = await newRepo(repoDir);
  // Read on one thread, so the packs hold the files one after another, big ones first, on every run.
  await backup(repo, { paths: [src], workers: 0 });
  mnt = path.join(work, 'mnt');
  fs.mkdirSync(mnt);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    noMount = `cannot mount a tmpfs here (${r.error?.message ?? r.stderr.trim()}): ENOSPC and EROFS are injected, and the CLI checks are skipped`;
    console.log(`note: ${noMount}`);
  }
});
afterAll(() => {
  if (!noMount) spawnSync('umount', ['-l', mnt]);
  fs.rmSync(work, { recursive: true, force: true });
});

/** Makes every write under `root` fail with ENOSPC once `capacity` bytes are held (removed files free theirs). */
function injectFullDisk(root: string, capacity: number): () => void {
  let used = 0;
  const held = new Map<string, number>();
  const fdPath = new Map<number, string>();
  const open = fs.openSync;
  const write = fs.writeSync;
  const rm = fs.rmSync;
  const rename = fs.renameSync;
  const spies = [
    vi.spyOn(fs, 'openSync').mockImplementation(((p: fs.PathLike, ...rest: never[]) => {
      const fd = (open as (...a: unknown[]) => number)(p, ...rest);
      if (typeof p === 'string' && p.startsWith(root)) fdPath.set(fd, p);
      return fd;
    }) as typeof fs.openSync),
    vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, ...rest: never[]) => {
      const p = fdPath.get(fd);
      const length = (rest[2] as number | undefined) ?? 0;
      if (p !== undefined) {
        if (used + length > capacity)
          throw Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' });
        used += length;
        held.set(p, (held.get(p) ?? 0) + length);
      }
      return (write as (...a: unknown[]) => number)(fd, ...rest);
    }) as typeof fs.writeSync),
    vi.spyOn(fs, 'rmSync').mockImplementation(((p: fs.PathLike, ...rest: never[]) => {
      used -= held.get(String(p)) ?? 0;
      held.delete(String(p));
      return (rm as (...a: unknown[]) => void)(p, ...rest);
    }) as typeof fs.rmSync),
    vi.spyOn(fs, 'renameSync').mockImplementation(((from: fs.PathLike, to: fs.PathLike) => {
      const n = held.get(String(from));
      if (n !== undefined) held.set(String(to), n);
      held.delete(String(from));
      return rename(from, to);
    }) as typeof fs.renameSync),
  ];
  return () => spies.forEach((s) => s.mockRestore());
}

/** Makes every folder or file created under `root` fail with EROFS, as a read-only mount does. */
function injectReadOnly(root: string): () => void {
  const mkdir = fs.mkdirSync;
  const open = fs.openSync;
  const erofs = () => Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
  const spies = [
    vi.spyOn(fs, 'mkdirSync').mockImplementation(((p: fs.PathLike, opts?: fs.MakeDirectoryOptions) => {
      if (!String(p).startsWith(root) || fs.existsSync(p)) return mkdir(p, opts);
      // Node's recursive mkdir says ENOENT for a parent it could not create, whatever the reason.
      if (opts?.recursive) throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
      throw erofs();
    }) as typeof fs.mkdirSync),
    vi.spyOn(fs, 'openSync').mockImplementation(((p: fs.PathLike, flags: number, ...rest: never[]) => {
      if (String(p).startsWith(root) && typeof flags === 'number' && flags & fs.constants.O_CREAT)
        throw erofs();
      return (open as (...a: unknown[]) => number)(p, flags, ...rest);
    }) as typeof fs.openSync),
  ];
  return () => spies.forEach((s) => s.mockRestore());
}

function remount(mode: 'ro' | 'rw'): void {
  const r = spawnSync('mount', ['-o', `remount,${mode}`, mnt], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`remount ${mode}: ${r.stderr}`);
}

describe('a target disk that fills up', () => {
  it('restores what fits, names the rest, applies the folders modes', async () => {
    const target = path.join(mnt, 'full');
    const restoreInjected = noMount ? injectFullDisk(mnt, 6 * 1024 * 1024) : () => undefined;
    let res: RestoreResult;
    try {
      res = await restore(repo, 'latest', { target });
    } finally {
      restoreInjected();
    }
    const out = path.join(target, src);
    // Every small file fits once the big ones that did not were removed again.
    expect(fs.readdirSync(path.join(out, 'b-small')).length).toBe(200);
    expect(fs.readFileSync(path.join(out, 'b-small/7.txt')).equals(prng('small-7', 1000))).toBe(true);
    const bigRestored = fs.readdirSync(path.join(out, 'a-big')).filter((n) => !n.startsWith('.'));
    expect(bigRestored.length).toBeGreaterThan(0);
    expect(bigRestored.length).toBeLessThan(8);
    for (const n of bigRestored) expect(fs.statSync(path.join(out, 'a-big', n)).size).toBe(BIG);
    // No temporary file is left behind.
    expect(fs.readdirSync(path.join(out, 'a-big')).filter((n) => n.startsWith('.sr'))).toEqual([]);
    const missing = res.problems.filter((p) => p.kind === 'not-restored');
    expect(missing.map((p) => path.basename(p.path)).sort()).toEqual(
      [...Array(8).keys()].map((i) => `${i}.bin`).filter((n) => !bigRestored.includes(n)),
    );
    for (const p of missing)
      expect(p).toMatchObject({ reason: 'the disk is full (ENOSPC)', errno: 'ENOSPC' });
    expect(res.filesRestored).toBe(200 + bigRestored.length);
    expect(res.filesNotRestored).toBe(missing.length);
    expect(res.filesSkipped).toBe(0);
    for (const d of ['a-big', 'b-small'])
      expect((fs.statSync(path.join(out, d)).mode & 0o777).toString(8)).toBe('750');
  });

  it('the CLI names them, says how many, and exits 3', async (ctx) => {
    // The CLI runs in a process of its own: there is nothing to inject errors into.
    if (noMount) ctx.skip(noMount);
    const target = path.join(mnt, 'full-cli');
    const r = await runCli(['-r', repoDir, 'restore', 'latest', '--target', target], env);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/not restored: .*a-big\/\d\.bin: the disk is full \(ENOSPC\)/);
    const missing = r.stderr.split('\n').filter((l) => l.startsWith('not restored:')).length;
    expect(r.stdout).toContain(
      `INCOMPLETE: ${missing} paths were not restored (listed above), ${missing} files in all`,
    );
    expect(r.stdout).toMatch(new RegExp(`^restored ${208 - missing} files`));
    expect(r.stdout).not.toMatch(/skipped/);
  });
});

describe('a read-only target', () => {
  it('is said to be read-only, and nothing is counted as skipped', async () => {
    const target = path.join(mnt, 'ro-existing');
    fs.rmSync(path.join(mnt, 'full'), { recursive: true, force: true });
    fs.rmSync(path.join(mnt, 'full-cli'), { recursive: true, force: true });
    fs.mkdirSync(target);
    const undo = noMount ? injectReadOnly(mnt) : (remount('ro'), () => remount('rw'));
    try {
      const res = await restore(repo, 'latest', { target });
      const top = src.split('/').filter(Boolean)[0]!;
      expect(res.problems).toEqual([
        {
          kind: 'not-restored',
          path: path.join(target, top),
          reason: 'the target is on a read-only file system (EROFS); nothing under it was restored',
          errno: 'EROFS',
        },
      ]);
      expect(res).toMatchObject({ filesRestored: 0, filesSkipped: 0, filesNotRestored: 208 });
      if (!noMount) {
        const r = await runCli(['-r', repoDir, 'restore', 'latest', '--target', target], env);
        expect(r.code, r.stderr).toBe(3);
        expect(r.stdout).not.toMatch(/skipped/);
        expect(r.stdout).toContain('INCOMPLETE: 1 paths were not restored (listed above), 208 files in all');
        expect(r.stderr).toContain('read-only file system (EROFS)');
      }

      // A target that does not exist yet, on the read-only file system: not "does not exist".
      const missing = path.join(mnt, 'not-there', 'deeper');
      const err = await restore(repo, 'latest', { target: missing }).catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: 'IO',
        message: `${missing} is on a read-only file system (creating the restore target)`,
      });
    } finally {
      undo();
    }
  });
});
