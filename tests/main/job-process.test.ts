/**
 * The job process for real: the ForkedEngineRunner forks src-main/job-process (through tsx) and it
 * runs the real engine on temporary folders. Repositories are mostly made in the test with cheap
 * scrypt and small chunks (the job process opens them with the slot's own parameters); `init` itself
 * is tested through the job process once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_JOB_PROCESS_ENTRY, ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import type { JobRequest, RepoLocation } from '../../src-shared/job-protocol';
import { newRepo, packFiles, PASSWORD, prng, tempDir, writeFile } from '../engine/helpers';
import { isRoot, RunRecorder } from './job-process-helpers';

const runner = new ForkedEngineRunner();
const never = new AbortController().signal;
const dirs: string[] = [];
async function folder(label: string): Promise<string> {
  const d = await tempDir(`jobproc-${label}`);
  dirs.push(d);
  return d;
}
afterAll(() => {
  // A job process answers before it has exited: give its last writes a moment.
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true, maxRetries: 10 });
});

function local(p: string): RepoLocation {
  return { kind: 'local', path: p };
}

async function run(request: JobRequest, rec = new RunRecorder(), signal = never, r = runner) {
  const outcome = await r.run(request, rec, signal);
  // Whatever happened, the password is in nothing that came back.
  expect(rec.everything(outcome)).not.toContain(PASSWORD);
  return { outcome, rec };
}

function backupRequest(repo: string, paths: string[], tags = ['item:a']): JobRequest {
  return {
    op: 'backup',
    repo: local(repo),
    password: PASSWORD,
    paths,
    excludes: [],
    tags,
    host: 'test-host',
  };
}

describe('creating and opening a vault', { timeout: 120_000 }, () => {
  it('init creates a repository and answers its id; a second init there is refused as already existing', async () => {
    const dir = path.join(await folder('init'), 'vault');
    const { outcome } = await run({ op: 'init', repo: local(dir), password: PASSWORD });
    expect(outcome).toMatchObject({ status: 'success', errorCode: null });
    const id = (outcome.value as { repositoryId: string }).repositoryId;
    expect(id).toMatch(/^[0-9a-f]{32}$/);

    const opened = await run({ op: 'open', repo: local(dir), password: PASSWORD });
    expect(opened.outcome).toMatchObject({ status: 'success', value: { repositoryId: id } });

    const again = await run({ op: 'init', repo: local(dir), password: PASSWORD });
    expect(again.outcome).toMatchObject({ status: 'failed', errorCode: 'REPOSITORY_EXISTS' });
    expect(again.outcome.message).toContain(dir);
  });

  it('open with the wrong password fails with wrong_password in plain words', async () => {
    const dir = await folder('wrongpw');
    await newRepo(dir);
    const { outcome, rec } = await run({ op: 'open', repo: local(dir), password: 'not the password' });
    expect(outcome).toMatchObject({ status: 'failed', errorCode: 'WRONG_PASSWORD', value: null });
    expect(outcome.message).toBe(`Wrong password: it does not open the vault at ${dir}.`);
    expect(rec.everything(outcome)).not.toContain('not the password');
  });

  it('open on a folder that holds no vault fails with not_a_repository', async () => {
    const dir = await folder('norepo');
    writeFile(path.join(dir, 'something.txt'), 'hello');
    const { outcome } = await run({ op: 'open', repo: local(dir), password: PASSWORD });
    expect(outcome).toMatchObject({ status: 'failed', errorCode: 'NO_REPOSITORY' });
    expect(outcome.message).toContain(`There is no Strongroom vault at ${dir}`);
  });

  it('a request that breaks the protocol is refused by field, without echoing its values', async () => {
    const dir = await folder('invalid');
    const bad = {
      op: 'verify',
      repo: local(dir),
      password: PASSWORD,
      readData: 'yes',
    } as unknown as JobRequest;
    const { outcome } = await run(bad);
    expect(outcome).toMatchObject({ status: 'failed', errorCode: 'INVALID_ARGUMENT' });
    expect(outcome.message).toContain('request.readData');
    expect(outcome.message).not.toContain('yes');
  });
});

describe('backup, browse, restore', { timeout: 120_000 }, () => {
  let repo: string;
  let src: string;
  let firstSnapshot: string;
  const big = prng('big', 3 * 1024 * 1024);

  beforeAll(async () => {
    repo = await folder('repo');
    await newRepo(repo);
    src = await folder('src');
    writeFile(path.join(src, 'docs', 'letter.txt'), 'Dear reader,\n');
    writeFile(path.join(src, 'docs', 'deep', 'notes.md'), '# notes\n');
    writeFile(path.join(src, 'big.bin'), big);
    writeFile(path.join(src, 'skip.tmp'), 'excluded');
  });

  it('backs up with progress (a scan, then bytes up to the total) and answers the snapshot', async () => {
    const req = { ...backupRequest(repo, [src]), excludes: ['*.tmp'] } as JobRequest;
    const { outcome, rec } = await run(req);
    expect(outcome).toMatchObject({
      status: 'success',
      errorCode: null,
      filesTotal: 3,
      filesDone: 3,
      filesFailed: 0,
    });
    const total = big.length + 'Dear reader,\n'.length + '# notes\n'.length;
    expect(outcome.bytesTotal).toBe(total);
    expect(outcome.bytesDone).toBe(total);
    expect(outcome.bytesAdded).toBeGreaterThan(0);
    expect(outcome.snapshotId).toMatch(/^[0-9a-f]{64}$/);
    firstSnapshot = outcome.snapshotId!;
    const phases = rec.progress.map((p) => p.phase);
    expect(phases[0]).toBe('scan');
    expect(phases).toContain('backup');
    const last = rec.progress.at(-1)!;
    expect(last.bytesDone).toBe(total);
    expect(last.bytesTotal).toBe(total);
    expect(rec.logs.some((l) => l.message.startsWith('Backed up 3 files'))).toBe(true);
  });

  it('lists snapshots newest first with their file counts and sizes, filtered by tag', async () => {
    writeFile(path.join(src, 'docs', 'letter.txt'), 'Dear reader, again\n');
    const second = await run(backupRequest(repo, [src], ['item:b']));
    expect(second.outcome.status).toBe('success');

    const all = await run({ op: 'snapshots', repo: local(repo), password: PASSWORD });
    const snaps = (
      all.outcome.value as { snapshots: { id: string; files: number; bytes: number; tags: string[] }[] }
    ).snapshots;
    expect(snaps.map((s) => s.id)).toEqual([second.outcome.snapshotId, firstSnapshot]);
    // The second backup has no exclude: skip.tmp is in it.
    expect(snaps[0]).toMatchObject({ files: 4, tags: ['item:b'] });
    expect(snaps[1]).toMatchObject({ files: 3, bytes: big.length + 13 + 8, tags: ['item:a'] });

    const tagged = await run({ op: 'snapshots', repo: local(repo), password: PASSWORD, tag: 'item:a' });
    expect((tagged.outcome.value as { snapshots: { id: string }[] }).snapshots.map((s) => s.id)).toEqual([
      firstSnapshot,
    ]);
  });

  it('ls lists one folder level with types, sizes and dates', async () => {
    const { outcome } = await run({
      op: 'ls',
      repo: local(repo),
      password: PASSWORD,
      snapshotId: firstSnapshot,
      path: path.join(src, 'docs'),
    });
    expect(outcome.status).toBe('success');
    const entries = (
      outcome.value as { entries: { name: string; type: string; size: number | null; path: string }[] }
    ).entries;
    expect(entries.map((e) => [e.name, e.type, e.size])).toEqual([
      ['deep', 'dir', null],
      ['letter.txt', 'file', 13],
    ]);
    expect(entries[1]!.path).toBe(path.join(src, 'docs', 'letter.txt'));

    const missing = await run({
      op: 'ls',
      repo: local(repo),
      password: PASSWORD,
      snapshotId: firstSnapshot,
      path: path.join(src, 'nothing-here'),
    });
    expect(missing.outcome).toMatchObject({ status: 'failed', errorCode: 'NOT_FOUND' });
  });

  it('restores one file of the first backup into another folder, bytes equal to that version', async () => {
    const target = await folder('restore');
    const file = path.join(src, 'docs', 'letter.txt');
    const { outcome, rec } = await run({
      op: 'restore',
      repo: local(repo),
      password: PASSWORD,
      snapshotId: firstSnapshot,
      include: [file],
      target,
      conflict: 'overwrite',
    });
    expect(outcome).toMatchObject({ status: 'success', filesDone: 1, filesFailed: 0, bytesDone: 13 });
    expect(fs.readFileSync(path.join(target, file), 'utf8')).toBe('Dear reader,\n');
    expect(fs.existsSync(path.join(target, src, 'big.bin'))).toBe(false);
    expect(rec.progress.every((p) => p.phase === 'restore')).toBe(true);

    // Again with "keep both": the existing file stays, the restored copy sits beside it.
    fs.writeFileSync(path.join(target, file), 'changed since');
    const both = await run({
      op: 'restore',
      repo: local(repo),
      password: PASSWORD,
      snapshotId: firstSnapshot,
      include: [file],
      target,
      conflict: 'keep-both',
    });
    expect(both.outcome.status).toBe('success');
    expect(fs.readFileSync(path.join(target, file), 'utf8')).toBe('changed since');
    expect(fs.readFileSync(path.join(target, src, 'docs', 'letter (restored).txt'), 'utf8')).toBe(
      'Dear reader,\n',
    );
    // The answer says which file was written where, so the person is told and shown that one.
    const restoredAs = path.join(target, src, 'docs', 'letter (restored).txt');
    expect(both.outcome.value).toEqual({
      op: 'restore',
      target,
      keptBoth: [{ path: path.join(target, file), restoredAs }],
      keptBothCount: 1,
    });
    expect(both.outcome.message).toContain(
      'Restored as “letter (restored).txt” beside the file that was there.',
    );
  });

  it('restores relative to a folder of the backup, widened to hold every path the backup has', async () => {
    const target = await folder('restore-relative');
    const { outcome } = await run({
      op: 'restore',
      repo: local(repo),
      password: PASSWORD,
      snapshotId: firstSnapshot,
      include: [],
      target,
      conflict: 'overwrite',
      stripPrefix: src,
    });
    expect(outcome.status).toBe('success');
    expect(fs.readFileSync(path.join(target, 'docs', 'letter.txt'), 'utf8')).toBe('Dear reader,\n');
    expect(fs.existsSync(path.join(target, src))).toBe(false);

    // A prefix inside the backup's folder (the item's folders changed since) would leave files out:
    // it is widened to the backup's folder instead.
    const narrow = await folder('restore-narrow');
    const wide = await run({
      op: 'restore',
      repo: local(repo),
      password: PASSWORD,
      snapshotId: firstSnapshot,
      include: [],
      target: narrow,
      conflict: 'overwrite',
      stripPrefix: path.join(src, 'docs', 'deep'),
    });
    expect(wide.outcome).toMatchObject({ status: 'success', filesDone: outcome.filesDone });
    expect(fs.readFileSync(path.join(narrow, 'docs', 'letter.txt'), 'utf8')).toBe('Dear reader,\n');
  });

  it('refuses a strip prefix that is not an absolute path', async () => {
    const { outcome } = await run({
      op: 'restore',
      repo: local(repo),
      password: PASSWORD,
      snapshotId: firstSnapshot,
      include: [],
      target: '/tmp',
      conflict: 'overwrite',
      stripPrefix: '../elsewhere',
    });
    expect(outcome.status).toBe('failed');
  });

  it('a restore that cannot write a file ends with warning, naming the file and the reason', async () => {
    const target = await folder('restore-blocked');
    // A folder where the file should go: the engine refuses to replace it.
    fs.mkdirSync(path.join(target, src, 'docs', 'letter.txt'), { recursive: true });
    const { outcome, rec } = await run({
      op: 'restore',
      repo: local(repo),
      password: PASSWORD,
      snapshotId: firstSnapshot,
      include: [path.join(src, 'docs')],
      target,
      conflict: 'overwrite',
    });
    expect(outcome).toMatchObject({ status: 'warning', filesDone: 1, filesFailed: 1 });
    expect(outcome.message).toContain('1 file could not be restored');
    expect(rec.problems).toEqual([
      {
        kind: 'not-restored',
        path: path.join(target, src, 'docs', 'letter.txt'),
        reason: expect.stringMatching(/^a directory is in the way/),
        errno: 'EISDIR',
      },
    ]);
    expect(fs.readFileSync(path.join(target, src, 'docs', 'deep', 'notes.md'), 'utf8')).toBe('# notes\n');
  });

  it('verify checks the structure quickly, reads all data on request, and fails naming damage', async () => {
    const quick = await run({ op: 'verify', repo: local(repo), password: PASSWORD, readData: false });
    expect(quick.outcome).toMatchObject({ status: 'success', errorCode: null });
    expect(quick.outcome.message).toContain('structure checked');

    const full = await run({ op: 'verify', repo: local(repo), password: PASSWORD, readData: true });
    expect(full.outcome.status).toBe('success');
    expect(full.outcome.message).toContain('read in full');
    expect(full.rec.progress.some((p) => p.phase === 'verify')).toBe(true);

    // One flipped byte in the middle of the biggest pack: the headers still agree, the data does not.
    const damagedRepo = await folder('damaged');
    fs.cpSync(repo, damagedRepo, { recursive: true });
    const pack = packFiles(damagedRepo).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0]!;
    const bytes = fs.readFileSync(pack);
    bytes[Math.floor(bytes.length / 3)]! ^= 0xff;
    fs.writeFileSync(pack, bytes);
    const bad = await run({ op: 'verify', repo: local(damagedRepo), password: PASSWORD, readData: true });
    expect(bad.outcome).toMatchObject({ status: 'failed', errorCode: 'CORRUPT' });
    expect(bad.outcome.message).toMatch(/^Verify found problems in the vault: damaged pack/);
    expect(bad.rec.logs.some((l) => l.level === 'error' && l.path === path.join(src, 'big.bin'))).toBe(true);
  });
});

describe('retention', { timeout: 120_000 }, () => {
  it('forgets the snapshots of one tag that the policy does not keep, prunes, and leaves other tags alone', async () => {
    const repo = await folder('retention');
    await newRepo(repo);
    const src = await folder('retention-src');
    for (let i = 0; i < 3; i++) {
      writeFile(path.join(src, 'file.bin'), prng(`version ${i}`, 200_000));
      expect((await run(backupRequest(repo, [src], ['item:a']))).outcome.status).toBe('success');
    }
    const other = await run(backupRequest(repo, [src], ['item:b']));
    const { outcome } = await run({
      op: 'retention',
      repo: local(repo),
      password: PASSWORD,
      tag: 'item:a',
      policy: { last: 1 },
      prune: true,
    });
    expect(outcome).toMatchObject({ status: 'success', value: { forgotten: 2, kept: 1 } });
    expect((outcome.value as { prunedBytes: number }).prunedBytes).toBeGreaterThan(300_000);

    const left = await run({ op: 'snapshots', repo: local(repo), password: PASSWORD });
    const snaps = (left.outcome.value as { snapshots: { id: string; tags: string[] }[] }).snapshots;
    expect(snaps.map((s) => s.tags[0]).sort()).toEqual(['item:a', 'item:b']);
    expect(snaps.map((s) => s.id)).toContain(other.outcome.snapshotId);
    expect(
      (await run({ op: 'verify', repo: local(repo), password: PASSWORD, readData: true })).outcome.status,
    ).toBe('success');

    const nothing = await run({
      op: 'retention',
      repo: local(repo),
      password: PASSWORD,
      tag: 'item:a',
      policy: {},
      prune: false,
    });
    expect(nothing.outcome).toMatchObject({ status: 'failed', errorCode: 'INVALID_ARGUMENT' });
  }, 180_000);
});

describe('a file that cannot be read', { timeout: 120_000 }, () => {
  // As root, permissions do not stop reads; the job process then runs as "nobody", for whom a
  // root-owned file with mode 0600 is unreadable, as it is for any user with chmod 000.
  const asNobody = isRoot ? new ForkedEngineRunner({ uid: 65534, gid: 65534 }) : runner;
  // "nobody" must be able to load the job process (a checkout under /root is closed to it).
  const nobodyCannotRun =
    isRoot &&
    spawnSync(
      process.execPath,
      [
        '-e',
        'for (const f of process.argv.slice(1)) require("fs").accessSync(f, require("fs").constants.R_OK)',
        DEV_JOB_PROCESS_ENTRY,
        fileURLToPath(new URL('../../node_modules/tsx/package.json', import.meta.url)),
      ],
      { uid: 65534, gid: 65534 },
    ).status !== 0;
  if (nobodyCannotRun)
    console.log(
      'skipped "partial backup": running as root, and user nobody cannot read this checkout, so no file can be made unreadable to the job process',
    );

  it.skipIf(nobodyCannotRun)(
    'makes a partial backup: status warning, filesFailed, and the path with the reason in the log',
    async () => {
      const base = await folder('unreadable');
      fs.chmodSync(base, 0o755);
      const repo = path.join(base, 'repo');
      await newRepo(repo);
      const src = path.join(base, 'src');
      writeFile(path.join(src, 'fine.txt'), 'readable');
      writeFile(path.join(src, 'secret.txt'), 'not for you', isRoot ? 0o600 : 0o000);
      if (isRoot) {
        for (const p of [
          repo,
          ...fs.readdirSync(repo, { recursive: true }).map((n) => path.join(repo, String(n))),
        ])
          fs.chownSync(p, 65534, 65534);
      }
      const { outcome, rec } = await run(backupRequest(repo, [src]), new RunRecorder(), never, asNobody);
      expect(outcome).toMatchObject({
        status: 'warning',
        errorCode: null,
        filesTotal: 2,
        filesDone: 1,
        filesFailed: 1,
      });
      expect(outcome.message).toContain('1 file could not be read');
      expect(outcome.snapshotId).toMatch(/^[0-9a-f]{64}$/);
      expect(rec.problems).toEqual([
        {
          kind: 'not-stored',
          path: path.join(src, 'secret.txt'),
          reason: expect.stringMatching(/^cannot read \(EACCES/),
          errno: 'EACCES',
        },
      ]);
    },
  );
});

describe('cancel and crash', { timeout: 120_000 }, () => {
  /**
   * 32 GiB of zeros, sparse: nothing on disk, but every byte is read and chunked, which takes far
   * longer than the job process's 10 s stop deadline on any machine (1 GiB was read whole in under
   * 10 s on an idle one, so the test could not tell a stop mid-file from a finished file).
   */
  const HUGE = 32 * 1024 * 1024 * 1024;
  function hugeFile(p: string): void {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.closeSync(fs.openSync(p, 'w'));
    fs.truncateSync(p, HUGE);
  }

  it('cancel stops a running backup between files through its AbortSignal: cancelled, no snapshot, lock released', async () => {
    const repo = await folder('cancel');
    await newRepo(repo);
    const src = await folder('cancel-src');
    for (let i = 0; i < 400; i++)
      writeFile(path.join(src, `f${String(i).padStart(3, '0')}.bin`), prng(`f${i}`, 256 * 1024));
    const rec = new RunRecorder();
    const controller = new AbortController();
    const pending = runner.run(backupRequest(repo, [src]), rec, controller.signal);
    // Files are being saved (the chunk workers have started).
    await rec.progressWhere((p) => p.phase === 'backup' && p.filesDone > 0);
    controller.abort();
    const outcome = await pending;
    expect(outcome).toMatchObject({
      status: 'cancelled',
      errorCode: null,
      snapshotId: null,
      filesTotal: 400,
    });
    expect(outcome.message).toBe(
      'Backup cancelled; no new backup was saved (what was already stored is reused next time).',
    );
    expect(outcome.filesDone).toBeLessThan(400);
    expect(fs.readdirSync(path.join(repo, 'snapshots'))).toEqual([]);
    // The engine stopped cleanly: its lock is released.
    expect(fs.readdirSync(path.join(repo, 'locks'))).toEqual([]);
  }, 120_000);

  it('cancel in the middle of a huge file answers cancelled within seconds, and the next backup works', async () => {
    const repo = await folder('cancel-huge');
    await newRepo(repo);
    const src = await folder('cancel-huge-src');
    writeFile(path.join(src, 'small.txt'), 'small');
    hugeFile(path.join(src, 'huge.img'));
    const rec = new RunRecorder();
    const controller = new AbortController();
    const pending = runner.run(backupRequest(repo, [src]), rec, controller.signal);
    await rec.progressWhere((p) => p.phase === 'backup');
    controller.abort();
    const outcome = await pending;
    expect(outcome).toMatchObject({ status: 'cancelled', snapshotId: null });
    // Answered by the job process itself (the engine finishes a file before it stops), not by a kill.
    expect(outcome.message).toMatch(/^Backup cancelled;/);
    expect(outcome.bytesDone).toBeLessThan(HUGE);

    fs.rmSync(path.join(src, 'huge.img'));
    const next = await run(backupRequest(repo, [src]));
    expect(next.outcome).toMatchObject({ status: 'success', filesDone: 1 });
  }, 120_000);

  it('a job process killed mid-backup is a failed job with a clear message, and the next jobs break its stale lock', async () => {
    const repo = await folder('crash');
    await newRepo(repo);
    const src = await folder('crash-src');
    writeFile(path.join(src, 'small.txt'), 'small');
    hugeFile(path.join(src, 'huge.img'));
    let child: ChildProcess | undefined;
    const killable = new ForkedEngineRunner({ onSpawn: (c) => (child = c) });
    const rec = new RunRecorder();
    const pending = killable.run(backupRequest(repo, [src]), rec, never);
    await rec.progressWhere((p) => p.phase === 'backup');
    child!.kill('SIGKILL');
    const outcome = await pending;
    expect(outcome).toMatchObject({ status: 'failed', errorCode: 'PROCESS_CRASHED', filesTotal: 2 });
    expect(outcome.message).toBe(
      'The job process stopped unexpectedly (killed by SIGKILL) before the backup finished. ' +
        'Nothing already stored in the vault was lost; run it again.',
    );
    // The dead process's lock is still there...
    expect(fs.readdirSync(path.join(repo, 'locks'))).toHaveLength(1);

    // ...and the next jobs break it as stale (its holder is dead), prune too, which needs the vault
    // to itself.
    fs.rmSync(path.join(src, 'huge.img'));
    const next = await run(backupRequest(repo, [src]));
    expect(next.outcome.status).toBe('success');
    const retention = await run({
      op: 'retention',
      repo: local(repo),
      password: PASSWORD,
      tag: 'item:a',
      policy: { last: 1 },
      prune: true,
    });
    expect(retention.outcome.status).toBe('success');
    expect(fs.readdirSync(path.join(repo, 'locks'))).toEqual([]);
  }, 120_000);

  it('a job cancelled before its process is ready never runs', async () => {
    const controller = new AbortController();
    controller.abort();
    const outcome = await runner.run(
      backupRequest('/nonexistent', ['/nonexistent']),
      new RunRecorder(),
      controller.signal,
    );
    expect(outcome).toMatchObject({ status: 'cancelled', message: 'Cancelled before it started.' });
  });

  it('a job process that cannot start is a failed job, not a rejection', async () => {
    const dir = await folder('no-entry');
    const broken = new ForkedEngineRunner({ entry: path.join(dir, 'no-such-entry.mjs') });
    const rec = new RunRecorder();
    const outcome = await broken.run(backupRequest(dir, [dir]), rec, never);
    expect(outcome).toMatchObject({ status: 'failed', errorCode: 'PROCESS_CRASHED' });
    expect(outcome.message).toMatch(/^The job process stopped unexpectedly \(exit code 1\)/);
    expect(rec.logs.at(-1)?.message).toContain('Cannot find module');
  });
});
