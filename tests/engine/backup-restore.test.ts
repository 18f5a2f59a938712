import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { backup, check, restore, listTree, DEFAULT_CHUNKER, type Repository } from '../../src-engine/index';
import { CLI, describeTree, newRepo, openRepo, PASSWORD, prng, tempDir, writeFile, SMALL } from './helpers';

let work: string;
beforeAll(async () => {
  work = await tempDir('roundtrip');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function makeSource(root: string): void {
  writeFile(path.join(root, 'docs/readme.txt'), 'hello strongroom\n'.repeat(5000), 0o640);
  writeFile(path.join(root, 'docs/script.sh'), '#!/bin/sh\necho hi\n', 0o755);
  writeFile(path.join(root, 'bin/random.bin'), prng('random', 300_000));
  writeFile(path.join(root, 'empty-file'), '');
  writeFile(path.join(root, 'private'), 'secret', 0o600);
  fs.mkdirSync(path.join(root, 'empty-dir/nested-empty'), { recursive: true });
  fs.symlinkSync('docs/readme.txt', path.join(root, 'link-to-readme'));
  fs.symlinkSync('/nonexistent/target', path.join(root, 'dangling'));
  fs.utimesSync(
    path.join(root, 'docs/readme.txt'),
    new Date('2020-01-02T03:04:05.678Z'),
    new Date('2020-01-02T03:04:05.678Z'),
  );
  fs.utimesSync(
    path.join(root, 'empty-dir'),
    new Date('2019-05-06T07:08:09Z'),
    new Date('2019-05-06T07:08:09Z'),
  );
  fs.chmodSync(path.join(root, 'empty-dir/nested-empty'), 0o750);
}

async function storedBytes(repoDir: string): Promise<number> {
  let n = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else n += fs.statSync(path.join(d, e.name)).size;
    }
  };
  walk(path.join(repoDir, 'packs'));
  return n;
}

describe('backup and restore', () => {
  let repo: Repository;
  let repoDir: string;
  let src: string;

  beforeAll(async () => {
    repoDir = path.join(work, 'repo');
    src = path.join(work, 'src');
    makeSource(src);
    repo = await newRepo(repoDir);
  });

  it('restores byte for byte with modes, mtimes, symlinks and empty directories', async () => {
    const r = await backup(repo, { paths: [src] });
    expect(r.snapshot.partial).toBe(false);
    expect(r.snapshot.summary.filesNew).toBe(5);
    const target = path.join(work, 'out1');
    const res = await restore(await openRepo(repoDir), r.snapshotId, { target });
    expect(res.filesRestored).toBe(5);
    expect(res.symlinks).toBe(2);
    const restored = path.join(target, src);
    expect(describeTree(restored)).toEqual(describeTree(src));
    expect(fs.statSync(path.join(restored, 'docs/readme.txt')).mtime.toISOString()).toBe(
      '2020-01-02T03:04:05.678Z',
    );
    expect(fs.readlinkSync(path.join(restored, 'dangling'))).toBe('/nonexistent/target');
  });

  it('an unchanged re-run reads nothing and stores nothing new', async () => {
    const r = await backup(repo, { paths: [src] });
    expect(r.snapshot.summary.filesUnmodified).toBe(5);
    expect(r.snapshot.summary.bytesProcessed).toBe(0);
    // Only the trees of the ancestor directories (whose mtimes moved) may be new, no file data.
    expect(r.snapshot.summary.bytesAdded).toBeLessThan(4096);
    expect(r.snapshot.parent).toBeDefined();
  });

  it('stores a file copied twice only once', async () => {
    const before = await storedBytes(repoDir);
    fs.copyFileSync(path.join(src, 'bin/random.bin'), path.join(src, 'bin/copy1.bin'));
    fs.copyFileSync(path.join(src, 'bin/random.bin'), path.join(src, 'bin/copy2.bin'));
    const r = await backup(repo, { paths: [src] });
    expect(r.snapshot.summary.filesNew).toBe(2);
    expect(r.snapshot.summary.bytesProcessed).toBe(600_000);
    // Only the two directory trees changed; no data blob was added.
    expect(await storedBytes(repoDir)).toBeLessThan(before + 10_000);
  });

  it('reuses almost every chunk of a large file with one byte inserted at its start', async () => {
    const big = prng('big', 2_000_000);
    writeFile(path.join(src, 'big.dat'), big);
    const first = await backup(repo, { paths: [src] });
    writeFile(path.join(src, 'big.dat'), Buffer.concat([Buffer.from('!'), big]));
    const second = await backup(repo, { paths: [src] });
    const chunks = 2_000_000 / SMALL.chunker!.avg;
    expect(first.snapshot.summary.blobsAdded).toBeGreaterThan(chunks * 0.5);
    // One or two new data chunks, plus the changed trees.
    expect(second.snapshot.summary.blobsAdded).toBeLessThanOrEqual(2 + 4);
    const target = path.join(work, 'out-shifted');
    await restore(repo, 'latest', { target, include: [path.join(src, 'big.dat')] });
    expect(
      fs.readFileSync(path.join(target, src, 'big.dat')).equals(Buffer.concat([Buffer.from('!'), big])),
    ).toBe(true);
  });

  it('lists a snapshot tree and restores only the chosen paths', async () => {
    const nodes = await listTree(repo, (await repo.findSnapshot('latest')).tree, path.join(src, 'docs'));
    expect(nodes.map((n) => path.basename(n.path))).toEqual(['docs', 'readme.txt', 'script.sh']);
    const target = path.join(work, 'out-include');
    await restore(repo, 'latest', { target, include: [path.join(src, 'docs/script.sh')] });
    expect(fs.readdirSync(path.join(target, src))).toEqual(['docs']);
    expect(fs.readdirSync(path.join(target, src, 'docs'))).toEqual(['script.sh']);
    await expect(restore(repo, 'latest', { target, include: ['/no/such/path'] })).rejects.toThrow(
      /nothing in snapshot/,
    );
  });

  it('handles existing files by skip, overwrite or keep-both', async () => {
    const target = path.join(work, 'out-conflict');
    const dest = path.join(target, src, 'private');
    writeFile(dest, 'local edit');
    const skip = await restore(repo, 'latest', {
      target,
      include: [path.join(src, 'private')],
      conflict: 'skip',
    });
    expect(skip.filesSkipped).toBe(1);
    expect(fs.readFileSync(dest, 'utf8')).toBe('local edit');
    await restore(repo, 'latest', { target, include: [path.join(src, 'private')], conflict: 'keep-both' });
    expect(fs.readFileSync(dest, 'utf8')).toBe('local edit');
    expect(fs.readFileSync(path.join(target, src, 'private (restored)'), 'utf8')).toBe('secret');
    await restore(repo, 'latest', { target, include: [path.join(src, 'private')], conflict: 'overwrite' });
    expect(fs.readFileSync(dest, 'utf8')).toBe('secret');
    expect(fs.statSync(dest).mode & 0o777).toBe(0o600);
    // No temporary files are left behind.
    expect(fs.readdirSync(path.dirname(dest)).filter((n) => n.includes('strongroom-restore'))).toEqual([]);
  });

  it('keeps several roots in one snapshot and excludes patterns', async () => {
    const other = path.join(work, 'other');
    writeFile(path.join(other, 'keep.txt'), 'keep');
    writeFile(path.join(other, 'skip.tmp'), 'skip');
    writeFile(path.join(other, 'node_modules/pkg/index.js'), 'x');
    writeFile(path.join(other, 'cache/deep/file'), 'x');
    const r = await backup(repo, {
      paths: [other, path.join(src, 'docs')],
      excludes: ['*.tmp', 'node_modules', 'cache/deep'],
    });
    const names = (await listTree(repo, r.snapshot.tree)).map((n) => n.path);
    expect(names).toContain(path.join(other, 'keep.txt'));
    expect(names).toContain(path.join(src, 'docs/readme.txt'));
    expect(names).not.toContain(path.join(other, 'skip.tmp'));
    expect(names.some((n) => n.includes('node_modules'))).toBe(false);
    expect(names).toContain(path.join(other, 'cache'));
    expect(names).not.toContain(path.join(other, 'cache/deep'));
    expect(r.snapshot.excludes).toEqual(['*.tmp', 'node_modules', 'cache/deep']);
  });

  it('warns about an unreadable file and marks the snapshot partial instead of failing', async () => {
    const dir = path.join(work, 'unreadable');
    writeFile(path.join(dir, 'ok.txt'), 'fine');
    writeFile(path.join(dir, 'gone.txt'), 'will vanish');
    const locked = path.join(dir, 'locked.txt');
    writeFile(locked, 'no access', 0o000);
    const warnings: string[] = [];
    let removed = false;
    const r = await backup(repo, {
      paths: [dir],
      onProblem: (p) => warnings.push(`${p.path}: ${p.reason}`),
      // A file removed between scan and read (mode-000 files: below, as a user who cannot read them).
      onProgress: (p) => {
        if (p.phase === 'backup' && !removed) {
          removed = true;
          fs.rmSync(path.join(dir, 'gone.txt'));
        }
      },
    });
    expect(r.snapshot.partial).toBe(true);
    expect(warnings.some((w) => w.includes('gone.txt'))).toBe(true);
    const names = (await listTree(repo, r.snapshot.tree, dir)).map((n) => path.basename(n.path));
    expect(names).toContain('ok.txt');
    expect(names).not.toContain('gone.txt');
    expect((await check(repo)).ok).toBe(true);
    // Again on a re-run, where a few changed files are read on the main thread instead of the workers.
    writeFile(path.join(dir, 'gone2.txt'), 'will vanish too');
    writeFile(path.join(dir, 'ok.txt'), 'fine, and changed');
    let removed2 = false;
    const again = await backup(repo, {
      paths: [dir],
      onProgress: (p) => {
        if (p.phase === 'backup' && !removed2) {
          removed2 = true;
          fs.rmSync(path.join(dir, 'gone2.txt'));
        }
      },
    });
    expect(again.snapshot.parent).toBe(r.snapshotId);
    expect(again.snapshot.partial).toBe(true);
    expect(again.snapshot.warnings.some((w) => w.includes('gone2.txt'))).toBe(true);
    expect(again.snapshot.summary.filesChanged).toBe(1);
    const target = path.join(work, 'out-unreadable');
    await restore(repo, again.snapshotId, { target });
    expect(fs.readFileSync(path.join(target, dir, 'ok.txt'), 'utf8')).toBe('fine, and changed');
  });

  it('cancellation leaves a valid repository whose packs the next run reuses', async () => {
    const dir = path.join(work, 'cancel');
    for (let i = 0; i < 40; i++) writeFile(path.join(dir, `f${i}.bin`), prng(`cancel ${i}`, 60_000));
    const ac = new AbortController();
    await expect(
      backup(repo, {
        paths: [dir],
        signal: ac.signal,
        progressIntervalMs: 0,
        onProgress: (p) => {
          if (p.phase === 'backup' && p.filesDone >= 5) ac.abort();
        },
      }),
    ).rejects.toThrow(/cancelled/);
    expect((await check(await openRepo(repoDir))).ok).toBe(true);
    const again = await backup(await openRepo(repoDir), { paths: [dir] });
    expect(again.snapshot.summary.bytesAdded).toBeLessThan(40 * 60_000);
    expect((await check(await openRepo(repoDir), { readDataPercent: 100 })).ok).toBe(true);
  });
});

describe('with the real default parameters', () => {
  it('backs up, deduplicates a shifted copy and restores a 24 MiB file', async () => {
    const repoDir = path.join(work, 'default-repo');
    const src = path.join(work, 'default-src');
    const data = prng('default-params', 24 * 1024 * 1024);
    writeFile(path.join(src, 'a.bin'), data);
    writeFile(path.join(src, 'shifted.bin'), Buffer.concat([Buffer.from('x'), data]));
    const repo = await newRepo(repoDir, { scrypt: SMALL.scrypt });
    expect(repo.config.chunker).toEqual(DEFAULT_CHUNKER);
    const r = await backup(repo, { paths: [src] });
    // The shifted copy adds at most ~2 chunks (<= 2 * 8 MiB worst case, ~2 MiB typically) to 24 MiB.
    expect(r.snapshot.summary.bytesAdded).toBeLessThan(24 * 1024 * 1024 + 5 * 1024 * 1024);
    const target = path.join(work, 'default-out');
    await restore(repo, r.snapshotId, { target });
    expect(
      fs
        .readFileSync(path.join(target, src, 'shifted.bin'))
        .subarray(1)
        .equals(data),
    ).toBe(true);
    expect(fs.readFileSync(path.join(target, src, 'a.bin')).equals(data)).toBe(true);
  });
});

// Root reads mode-000 files, so as root (CI) the "unreadable file" case runs as an unprivileged user.
const asRoot = process.getuid?.() === 0;
const unprivileged = asRoot ? nobodyUser() : null;
if (asRoot)
  console.warn(
    '[skipped] mode-000 file as this user: root reads any file; the case runs as "nobody" instead',
  );
if (asRoot && 'problem' in unprivileged!)
  console.warn(`[skipped] unreadable file as an unprivileged user: ${unprivileged.problem}`);

/** The uid and gid of `nobody`, when this process (root) can run a program as it. */
function nobodyUser(): { uid: number; gid: number } | { problem: string } {
  const id = (flag: string) => spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' });
  const [uid, gid] = [id('-u'), id('-g')].map((r) => (r.status === 0 ? Number(r.stdout.trim()) : NaN));
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return { problem: 'there is no user "nobody"' };
  const probe = spawnSync(process.execPath, ['-e', '0'], { uid, gid });
  if (probe.error || probe.status !== 0)
    return { problem: `cannot run a program as nobody: ${probe.error?.message ?? `exit ${probe.status}`}` };
  return { uid: uid!, gid: gid! };
}

describe('a file the backup may not read (mode 000)', () => {
  it.skipIf(asRoot)('is warned about and the snapshot marked partial (as this user)', async () => {
    const repoDir = path.join(work, 'repo-mode-000');
    const repo = await newRepo(repoDir);
    const dir = path.join(work, 'mode-000');
    writeFile(path.join(dir, 'ok.txt'), 'fine');
    writeFile(path.join(dir, 'locked.txt'), 'no access', 0o000);
    const warnings: string[] = [];
    const r = await backup(repo, { paths: [dir], onProblem: (p) => warnings.push(`${p.path}: ${p.reason}`) });
    expect(r.snapshot.partial).toBe(true);
    expect(warnings.some((w) => w.includes('locked.txt'))).toBe(true);
    const names = (await listTree(repo, r.snapshot.tree, dir)).map((n) => path.basename(n.path));
    expect(names).toContain('ok.txt');
    expect((await check(repo)).ok).toBe(true);
  });

  it.runIf(asRoot && !('problem' in unprivileged!))(
    'is warned about and the snapshot marked partial (as root: the backup runs as nobody)',
    async () => {
      const { uid, gid } = unprivileged as { uid: number; gid: number };
      // A folder of nobody's own, with the repository and the files in it.
      const home = await tempDir('as-nobody');
      try {
        const repoDir = path.join(home, 'repo');
        await newRepo(repoDir);
        const dir = path.join(home, 'src');
        writeFile(path.join(dir, 'ok.txt'), 'fine');
        writeFile(path.join(dir, 'locked.txt'), 'no access');
        chownTree(home, uid, gid);
        fs.chmodSync(path.join(dir, 'locked.txt'), 0o000);

        const run = await runAs(uid, gid, ['--repo', repoDir, '--json', 'backup', dir], {
          HOME: home,
          STRONGROOM_PASSWORD: PASSWORD,
        });
        expect(run.code, run.stderr).toBe(3); // finished, partial
        const snapshot = JSON.parse(run.stdout) as { id: string; partial: boolean; warnings: string[] };
        expect(snapshot.partial).toBe(true);
        expect(snapshot.warnings.some((w) => w.includes('locked.txt'))).toBe(true);

        const repo = await openRepo(repoDir);
        const { tree } = await repo.findSnapshot(snapshot.id);
        const names = (await listTree(repo, tree, dir)).map((n) => path.basename(n.path));
        expect(names).toContain('ok.txt');
        expect((await check(repo)).ok).toBe(true);
      } finally {
        fs.rmSync(home, { recursive: true, force: true });
      }
    },
  );
});

function chownTree(root: string, uid: number, gid: number): void {
  fs.chownSync(root, uid, gid);
  for (const entry of fs.readdirSync(root, { withFileTypes: true, recursive: true })) {
    fs.lchownSync(path.join(entry.parentPath, entry.name), uid, gid);
  }
}

function runAs(
  uid: number,
  gid: number,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      uid,
      gid,
      cwd: env.HOME,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
