/**
 * A backup onto a vault whose disk fills up (a 6 MiB tmpfs, as root where `mount` works): it fails
 * saying how much is free and how much it still had to read, leaves no temporary pack of any of its
 * threads on the full disk, and the vault stays sound: the next backup, once there is room, finishes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { backup, check } from '../../src-engine/index';
import { newRepo, openRepo, prng, tempDir, writeFile } from './helpers';

let work: string;
let src: string;
let mnt: string;
let noMount: string | undefined;

beforeAll(async () => {
  work = await tempDir('backup-full');
  src = path.join(work, 'src');
  // Incompressible, and more than the disk holds, in files big enough to keep every worker writing.
  for (let i = 0; i < 24; i++) writeFile(path.join(src, `${i}.bin`), prng(`full-${i}`, 1024 * 1024));
  mnt = path.join(work, 'mnt');
  fs.mkdirSync(mnt);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    noMount = `cannot mount a tmpfs here (${r.error?.message ?? r.stderr.trim()})`;
    console.log(`note: ${noMount}: the full-disk backup test is skipped`);
  }
});
afterAll(() => {
  if (!noMount) spawnSync('umount', ['-l', mnt]);
  fs.rmSync(work, { recursive: true, force: true });
});

function temporaryFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.strongroom-tmp')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

describe('a backup onto a full vault', () => {
  it('fails with how much is free and needed, and leaves none of its temporary files', async (ctx) => {
    if (noMount) ctx.skip();
    const repoDir = path.join(mnt, 'repo');
    const repo = await newRepo(repoDir);
    const err = await backup(repo, { paths: [src], workers: 2 }).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).toBe('DISK_FULL');
    expect(err?.message).toMatch(
      /^the vault's disk is full \([\d.]+ (B|KB|MB) free\): this backup had read [\d.]+ (KB|MB) of 25 MB, so it needs up to [\d.]+ MB more/,
    );
    expect(err?.message).toContain("this backup's temporary files were removed");
    expect(temporaryFiles(repoDir)).toEqual([]);

    // What was stored stays sound, and once the disk has room the next backup finishes, reusing it.
    const checked = await check(await openRepo(repoDir));
    expect(checked.errors).toEqual([]);
    const grown = spawnSync('mount', ['-o', 'remount,size=40m', mnt], { encoding: 'utf8' });
    expect(grown.status, grown.stderr).toBe(0);
    const again = await backup(await openRepo(repoDir), { paths: [src] });
    expect(again.snapshot.summary.filesNew).toBe(24);
    expect(again.problems).toEqual([]);
    expect((await check(await openRepo(repoDir), { readDataPercent: 100 })).errors).toEqual([]);
  });
});
