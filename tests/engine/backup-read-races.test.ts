/**
 * A backup stores only what was there. Files swapped or rewritten between the scan and the read, or
 * while being read, are changed at exactly that moment through the backup's read hooks: no sleeping
 * races. A file swapped for a symlink or a FIFO is refused by name (and never blocks the backup); one
 * rewritten while read is read again, and stored with a `changed` record when it kept moving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { backup, listTree, restore, type EngineProblem } from '../../src-engine/index';
import { newRepo, PASSWORD, prng, runCli, tempDir, writeFile } from './helpers';

let work: string;
beforeAll(async () => {
  work = await tempDir('read-races');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A source folder with a few files around `z/victim`, and a repository for it. */
async function setup(label: string, victim: Buffer | string = 'original\n') {
  const src = path.join(work, label, 'src');
  writeFile(path.join(src, 'a/one.bin'), prng(`${label}-one`, 200_000));
  writeFile(path.join(src, 'a/two.txt'), 'two\n');
  writeFile(path.join(src, 'z/victim'), victim);
  const repoDir = path.join(work, label, 'repo');
  const repo = await newRepo(repoDir);
  return { src, repoDir, repo, victim: path.join(src, 'z/victim') };
}

/** The files of a snapshot's folder `dir`, name -> size. */
async function filesIn(repo: Awaited<ReturnType<typeof newRepo>>, tree: string, dir: string) {
  const out: Record<string, number | undefined> = {};
  for (const n of await listTree(repo, tree, dir)) out[path.basename(n.path)] = n.size;
  return out;
}

describe('a file swapped between the scan and the read', () => {
  for (const workers of [undefined, 0]) {
    const where = workers === 0 ? 'on the main thread' : 'in the workers';
    it(`for a symlink is refused by name, and the link's target is not stored (${where})`, async () => {
      const { src, repo, victim } = await setup(`symlink-${workers ?? 'pool'}`);
      const secret = path.join(work, `secret-${workers ?? 'pool'}`);
      fs.writeFileSync(secret, 'SECRET\n');
      const problems: EngineProblem[] = [];
      const b = await backup(repo, {
        paths: [src],
        workers,
        onProblem: (p) => problems.push(p),
        readHooks: {
          beforeRead: (p) => {
            if (p !== victim) return;
            fs.rmSync(victim);
            fs.symlinkSync(secret, victim);
          },
        },
      });
      expect(problems).toEqual([
        {
          kind: 'not-stored',
          path: victim,
          reason: 'changed type since it was scanned (now a symlink), refusing to archive',
          errno: 'ELOOP',
        },
      ]);
      expect(b.snapshot.partial).toBe(true);
      expect(await filesIn(repo, b.snapshot.tree, path.join(src, 'z'))).toEqual({});
      const target = path.join(work, `symlink-${workers ?? 'pool'}`, 'out');
      await restore(repo, 'latest', { target });
      expect(fs.existsSync(path.join(target, victim))).toBe(false);
      expect(fs.readFileSync(path.join(target, src, 'a/two.txt'), 'utf8')).toBe('two\n');
    });
  }

  it('for a FIFO does not block: the backup finishes, names it, and leaves no lock', async () => {
    const { src, repoDir, repo, victim } = await setup('fifo');
    const problems: EngineProblem[] = [];
    const b = await backup(repo, {
      paths: [src],
      onProblem: (p) => problems.push(p),
      readHooks: {
        beforeRead: (p) => {
          if (p !== victim) return;
          fs.rmSync(victim);
          execFileSync('mkfifo', [victim]);
        },
      },
    });
    expect(problems).toEqual([
      {
        kind: 'not-stored',
        path: victim,
        reason: 'changed type since it was scanned (now a FIFO), refusing to archive',
      },
    ]);
    expect(b.snapshot.partial).toBe(true);
    expect(fs.readdirSync(path.join(repoDir, 'locks'))).toEqual([]);
  });

  it('for another file (a new inode) is refused by name', async () => {
    const { src, repo, victim } = await setup('inode');
    const problems: EngineProblem[] = [];
    await backup(repo, {
      paths: [src],
      onProblem: (p) => problems.push(p),
      readHooks: {
        beforeRead: (p) => {
          if (p !== victim) return;
          fs.writeFileSync(`${victim}.new`, 'someone else\n');
          fs.renameSync(`${victim}.new`, victim);
        },
      },
    });
    expect(problems).toEqual([
      {
        kind: 'not-stored',
        path: victim,
        reason: expect.stringMatching(/^replaced by another file since it was scanned .*refusing to archive/),
      },
    ]);
  });
});

describe('a file rewritten while it is read', () => {
  const MiB = 1024 * 1024;

  it('truncated once: read again, and the version stored is the one that exists', async () => {
    const { src, repo, victim } = await setup('truncated', prng('big', 3 * MiB));
    let reads = 0;
    const problems: EngineProblem[] = [];
    const b = await backup(repo, {
      paths: [src],
      workers: 0,
      onProblem: (p) => problems.push(p),
      readHooks: {
        afterWindow: (p, bytesRead) => {
          // After the first 1 MiB of the first read: the first bytes rewritten, the file cut short.
          if (p !== victim || bytesRead !== MiB || reads++ > 0) return;
          const fd = fs.openSync(victim, 'r+');
          fs.writeSync(fd, Buffer.alloc(1000, 0x41), 0, 1000, 0);
          fs.ftruncateSync(fd, 300_000);
          fs.closeSync(fd);
        },
      },
    });
    expect(reads).toBe(1);
    expect(problems).toEqual([]);
    expect((await filesIn(repo, b.snapshot.tree, path.join(src, 'z'))).victim).toBe(300_000);
    const target = path.join(work, 'truncated', 'out');
    await restore(repo, 'latest', { target });
    expect(fs.readFileSync(path.join(target, victim)).equals(fs.readFileSync(victim))).toBe(true);
    // The restored file carries the times of the version stored (to the microsecond at least).
    const us = (p: string) => fs.statSync(p, { bigint: true }).mtimeNs / 1000n;
    expect(us(path.join(target, victim))).toBe(us(victim));
  });

  it('still moving on the second read: stored as read, with a `changed` record', async () => {
    const { src, repo, victim } = await setup('moving', prng('moving', 3 * MiB));
    let reads = 0;
    const problems: EngineProblem[] = [];
    const b = await backup(repo, {
      paths: [src],
      workers: 0,
      onProblem: (p) => problems.push(p),
      readHooks: {
        afterWindow: (p, bytesRead) => {
          if (p !== victim || bytesRead !== MiB) return;
          reads++;
          fs.appendFileSync(victim, `appended while read ${reads}\n`);
        },
      },
    });
    expect(reads).toBe(2);
    expect(problems).toEqual([
      {
        kind: 'changed',
        path: victim,
        reason: 'changed while it was backed up (read twice, it moved both times); stored as read',
      },
    ]);
    expect(b.snapshot.partial).toBe(false);
    // As read the second time: each append came before the read reached the end, so both are in it.
    const size = (await filesIn(repo, b.snapshot.tree, path.join(src, 'z'))).victim;
    expect(size).toBe(3 * MiB + 'appended while read 1\n'.length + 'appended while read 2\n'.length);
  });
});

describe('the CLI', () => {
  it.runIf(process.platform === 'linux')(
    'exits 3 for a file that moved while read (a procfs file: its size says 0, it reads as bytes)',
    async () => {
      const repoDir = path.join(work, 'cli', 'repo');
      await newRepo(repoDir);
      const r = await runCli(['-r', repoDir, 'backup', '/proc/version'], { STRONGROOM_PASSWORD: PASSWORD });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain('changed while backed up: /proc/version: changed while it was backed up');
      expect(r.stdout).toMatch(/1 files changed while they were read/);
    },
  );
});
