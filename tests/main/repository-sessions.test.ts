/**
 * Repository sessions over real forked job processes and real repositories: one process and one
 * opened repository answer a vault's queries; vaults never share one; a crash costs one query; idle,
 * removal and endAll leave no process; the backups list totals snapshots without totals once.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import { JobProcessSession } from '../../src-main/adapters/job-process-connection';
import { RepositorySessions } from '../../src-main/services/backup/repository-sessions';
import { backup, LocalFolderStorage, Repository, type Snapshot } from '../../src-engine/index';
import {
  JOB_PROTOCOL_VERSION,
  type JobOutcome,
  type JobRequest,
  type LsEntry,
  type SnapshotInfo,
} from '../../src-shared/job-protocol';
import { openRepo, PASSWORD, SMALL, tempDir, writeFile } from '../engine/helpers';

const quiet = { onProgress: () => undefined, onLog: () => undefined };

let work: string;
let spawned: ChildProcess[];
let sessions: RepositorySessions;

function start(idleMs = 600_000): RepositorySessions {
  spawned = [];
  const forked = new ForkedEngineRunner({ onSpawn: (c) => spawned.push(c) });
  sessions = new RepositorySessions({
    processes: forked,
    runner: forked,
    dataDir: path.join(work, 'app'),
    idleMs,
  });
  return sessions;
}

const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
const exited = (c: ChildProcess) =>
  alive(c) ? new Promise<void>((resolve) => c.once('exit', () => resolve())) : Promise.resolve();

function run(request: JobRequest): Promise<JobOutcome> {
  return sessions.run(request, quiet, new AbortController().signal);
}

async function ls(repoDir: string, snapshotId: string, dir: string, password = PASSWORD): Promise<LsEntry[]> {
  const o = await run({ op: 'ls', repo: { kind: 'local', path: repoDir }, password, snapshotId, path: dir });
  expect(o.status, o.message).toBe('success');
  return o.value && 'entries' in o.value ? o.value.entries : [];
}

async function snapshots(repoDir: string): Promise<SnapshotInfo[]> {
  const o = await run({ op: 'snapshots', repo: { kind: 'local', path: repoDir }, password: PASSWORD });
  expect(o.status, o.message).toBe('success');
  return o.value && 'snapshots' in o.value ? o.value.snapshots : [];
}

/** A repository at `<work>/<name>` with one backup of a folder holding `files` (name -> contents). */
async function repoWith(name: string, files: Record<string, string>, password = PASSWORD) {
  const src = path.join(work, `${name}-src`);
  for (const [f, body] of Object.entries(files)) writeFile(path.join(src, f), body);
  const repoDir = path.join(work, name);
  const repo = await Repository.init(new LocalFolderStorage(repoDir), password, SMALL);
  const made = await backup(repo, { paths: [src] });
  return { src, repoDir, snapshotId: made.snapshotId };
}

beforeAll(async () => {
  work = await tempDir('repository-sessions');
});
afterEach(async () => {
  await sessions?.endAll();
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('one session per vault', { timeout: 120_000 }, () => {
  it('answers many queries with one process and one opened key, and sees a later backup', async () => {
    start();
    const a = await repoWith('one', { 'docs/a.txt': 'alpha', 'docs/deep/b.txt': 'beta', 'c.txt': 'gamma' });
    const top = await ls(a.repoDir, a.snapshotId, a.src);
    expect(top.map((e) => e.name).sort()).toEqual(['c.txt', 'docs']);
    // Another computer's view of the vault, opened while its key files are there.
    const other = await openRepo(a.repoDir);
    // The key files gone: a new opening would fail, so every answer below comes from the held key.
    fs.rmSync(path.join(a.repoDir, 'keys'), { recursive: true });
    for (let i = 0; i < 5; i++) {
      expect((await ls(a.repoDir, a.snapshotId, path.join(a.src, 'docs'))).map((e) => e.name).sort()).toEqual(
        ['a.txt', 'deep'],
      );
      expect((await ls(a.repoDir, a.snapshotId, path.join(a.src, 'docs/deep')))[0]?.name).toBe('b.txt');
    }
    expect(await snapshots(a.repoDir)).toHaveLength(1);

    // Another backup (another process, another computer): new index and snapshot files.
    writeFile(path.join(a.src, 'docs/new.txt'), 'new file, new blobs');
    const second = await backup(other, { paths: [a.src] });
    const listed = await snapshots(a.repoDir);
    expect(listed.map((s) => s.id)).toEqual([second.snapshotId, a.snapshotId]);
    expect((await ls(a.repoDir, second.snapshotId, path.join(a.src, 'docs'))).map((e) => e.name)).toContain(
      'new.txt',
    );
    expect(spawned).toHaveLength(1);
    expect(sessions.openCount).toBe(1);
  });

  it('never answers one vault with another vault’s data, nor the right place with a wrong password', async () => {
    start();
    const a = await repoWith('vault-a', { 'only-in-a.txt': 'a' });
    const b = await repoWith('vault-b', { 'only-in-b.txt': 'b' }, 'the password of b');
    expect((await ls(a.repoDir, a.snapshotId, a.src)).map((e) => e.name)).toEqual(['only-in-a.txt']);
    expect((await ls(b.repoDir, b.snapshotId, b.src, 'the password of b')).map((e) => e.name)).toEqual([
      'only-in-b.txt',
    ]);
    expect(spawned).toHaveLength(2);
    // A's place with B's password: refused, though A's session holds A open.
    const wrong = await run({
      op: 'ls',
      repo: { kind: 'local', path: a.repoDir },
      password: 'the password of b',
      snapshotId: a.snapshotId,
      path: a.src,
    });
    expect(wrong).toMatchObject({ status: 'failed', errorCode: 'WRONG_PASSWORD', value: null });
    // A's snapshot asked of B's place: B has no such snapshot.
    const crossed = await run({
      op: 'ls',
      repo: { kind: 'local', path: b.repoDir },
      password: 'the password of b',
      snapshotId: a.snapshotId,
      path: a.src,
    });
    expect(crossed.status).toBe('failed');
    expect(crossed.value).toBeNull();
    // And A, asked again with its own password, still answers with A.
    expect((await ls(a.repoDir, a.snapshotId, a.src)).map((e) => e.name)).toEqual(['only-in-a.txt']);
  });

  it('a killed session process costs the query in flight; the next query starts a new session', async () => {
    start();
    const a = await repoWith('crash', { 'x.txt': 'x' });
    await ls(a.repoDir, a.snapshotId, a.src);
    const inFlight = run({
      op: 'ls',
      repo: { kind: 'local', path: a.repoDir },
      password: PASSWORD,
      snapshotId: a.snapshotId,
      path: a.src,
    });
    spawned[0]!.kill('SIGKILL');
    const lost = await inFlight;
    // Either it was answered before the kill landed, or it failed with words; never a hang or a throw.
    if (lost.status !== 'success') {
      expect(lost).toMatchObject({ status: 'failed', errorCode: 'PROCESS_CRASHED' });
      expect(lost.message).toMatch(/stopped unexpectedly .* try again/);
    }
    await exited(spawned[0]!);
    expect((await ls(a.repoDir, a.snapshotId, a.src)).map((e) => e.name)).toEqual(['x.txt']);
    expect(spawned).toHaveLength(2);
  });

  it('ends after its idle time, and every session at endAll, leaving no process', async () => {
    start(300);
    const a = await repoWith('idle', { 'i.txt': 'i' });
    await ls(a.repoDir, a.snapshotId, a.src);
    await exited(spawned[0]!);
    expect(sessions.openCount).toBe(0);
    // The next query opens a new session.
    await ls(a.repoDir, a.snapshotId, a.src);
    expect(spawned).toHaveLength(2);

    start();
    const b = await repoWith('end-all', { 'j.txt': 'j' });
    await Promise.all([ls(a.repoDir, a.snapshotId, a.src), ls(b.repoDir, b.snapshotId, b.src)]);
    expect(spawned.filter(alive)).toHaveLength(2);
    await sessions.endAll();
    expect(spawned.filter(alive)).toHaveLength(0);
    expect(sessions.openCount).toBe(0);
  });

  it('endAt ends the session of one place and no other', async () => {
    start();
    const a = await repoWith('end-at-a', { 'a.txt': 'a' });
    const b = await repoWith('end-at-b', { 'b.txt': 'b' });
    await ls(a.repoDir, a.snapshotId, a.src);
    await ls(b.repoDir, b.snapshotId, b.src);
    await sessions.endAt({ kind: 'local', path: a.repoDir });
    expect(alive(spawned[0]!)).toBe(false);
    expect(alive(spawned[1]!)).toBe(true);
  });
});

describe('the backups list', { timeout: 120_000 }, () => {
  it('totals snapshots made before the summary held totals once, and keeps them in the data directory', async () => {
    start();
    const a = await repoWith('old', { 'a.txt': 'x'.repeat(1000), 'sub/b.txt': 'y'.repeat(234) });
    // As a backup before the totals were recorded wrote it: the same snapshot, no totals.
    const repo = await openRepo(a.repoDir);
    const snap = await repo.findSnapshot(a.snapshotId);
    const { id: _id, ...fields } = snap;
    const { totalFilesProcessed: _f, totalBytesProcessed: _b, ...oldSummary } = fields.summary;
    const oldId = await repo.saveSnapshot({ ...fields, summary: oldSummary } satisfies Snapshot);
    await repo.removeSnapshot(a.snapshotId);
    // And one made now, whose summary says it.
    writeFile(path.join(a.src, 'c.txt'), 'z'.repeat(66));
    const now = await backup(await openRepo(a.repoDir), { paths: [a.src] });

    const listed = await snapshots(a.repoDir);
    expect(listed.map((s) => [s.id, s.files, s.bytes])).toEqual([
      [now.snapshotId, 3, 1300],
      [oldId, 2, 1234],
    ]);
    const cacheDir = path.join(work, 'app', 'snapshot-totals');
    const [cacheName] = fs.readdirSync(cacheDir);
    expect(cacheName).toBe(`${repo.config.id}.json`);
    const cacheFile = path.join(cacheDir, cacheName!);
    expect(JSON.parse(fs.readFileSync(cacheFile, 'utf8')).totals).toEqual({
      [oldId]: { files: 2, bytes: 1234 },
    });

    // A new session reads the totals from the cache, not the trees: with the trees' packs gone it still answers.
    await sessions.endAll();
    const packs = path.join(a.repoDir, 'packs');
    fs.renameSync(packs, `${packs}-away`);
    expect((await snapshots(a.repoDir)).map((s) => s.bytes)).toEqual([1300, 1234]);
    fs.renameSync(`${packs}-away`, packs);

    // A damaged cache is ignored (the trees are walked again) and written anew.
    await sessions.endAll();
    fs.writeFileSync(cacheFile, '{"version":1,"repositoryId":');
    expect((await snapshots(a.repoDir)).map((s) => s.bytes)).toEqual([1300, 1234]);
    expect(JSON.parse(fs.readFileSync(cacheFile, 'utf8')).totals).toEqual({
      [oldId]: { files: 2, bytes: 1234 },
    });
  });
});

describe('a session process that breaks the protocol', () => {
  it('fails the request in flight, is killed, and says it is gone', async () => {
    let listener: (m: unknown) => void = () => undefined;
    let exit: (how: string) => void = () => undefined;
    let killed = 0;
    const session = new JobProcessSession(() => ({
      send: (m) => {
        // It answers a run with something that is no message of the protocol.
        if (m.type === 'run')
          queueMicrotask(() => listener({ type: 'done', requestId: m.requestId, outcome: 'ok' }));
      },
      onMessage: (l) => (listener = l),
      onExit: (l) => (exit = l),
      kill: () => {
        killed++;
        queueMicrotask(() => exit('killed by SIGKILL'));
      },
    }));
    let gone = false;
    session.onGone(() => (gone = true));
    listener({ type: 'ready', protocol: JOB_PROTOCOL_VERSION });
    const outcome = await session.run(
      { op: 'snapshots', repo: { kind: 'local', path: '/nowhere' }, password: 'p' },
      quiet,
      new AbortController().signal,
    );
    expect(outcome).toMatchObject({ status: 'failed', errorCode: 'INTERNAL', value: null });
    expect(outcome.message).toContain('breaks the protocol');
    expect(killed).toBe(1);
    expect(gone).toBe(true);
  });
});
