import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  backup,
  check,
  prune,
  restore,
  applyPolicy,
  groupSnapshots,
  type Snapshot,
} from '../../src-engine/index';
import { newRepo, openRepo, packFiles, prng, runCli, tempDir, writeFile, PASSWORD } from './helpers';
import { isStale, type LockInfo } from '../../src-engine/repository/lock';

/** What prune reports on a repository whose every pack is still referenced. */
const NOTHING_TO_PRUNE = {
  packsDeleted: 0,
  packsRepacked: 0,
  packsWritten: 0,
  blobsRemoved: 0,
  bytesFreed: 0,
  temporaryFilesRemoved: 0,
};

let work: string;
beforeAll(async () => {
  work = await tempDir('locks');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('locks', () => {
  it('refuses prune while a backup holds its shared lock, and allows it after', async () => {
    const repoDir = path.join(work, 'repo-lock');
    const repo = await newRepo(repoDir);
    const held = await repo.lock(false, 'backup');
    await expect(prune(await openRepo(repoDir))).rejects.toThrow(/locked: shared lock .* \(backup\)/);
    // Shared holders do not exclude each other: a second backup may run alongside.
    const src = path.join(work, 'lock-src');
    writeFile(path.join(src, 'x'), 'x');
    await backup(await openRepo(repoDir), { paths: [src] });
    await held.release();
    // Now it runs, and removes nothing that either backup references.
    await expect(prune(await openRepo(repoDir))).resolves.toEqual(NOTHING_TO_PRUNE);
    expect(await repo.listLocks()).toEqual([]);
    expect((await check(await openRepo(repoDir))).ok).toBe(true);
  });

  it('refuses a backup while prune holds the exclusive lock', async () => {
    const repoDir = path.join(work, 'repo-excl');
    const repo = await newRepo(repoDir);
    const held = await repo.lock(true, 'prune');
    const src = path.join(work, 'excl-src');
    writeFile(path.join(src, 'x'), 'x');
    await expect(backup(await openRepo(repoDir), { paths: [src] })).rejects.toThrow(/exclusive lock/);
    await held.release();
  });

  it('detects a lock left by a dead process, refuses by default, and breaks it on request', async () => {
    const repoDir = path.join(work, 'repo-stale');
    const repo = await newRepo(repoDir);
    const dead: LockInfo = {
      exclusive: false,
      host: os.hostname(),
      pid: 2 ** 22 + 12345, // above pid_max's default: no such process
      username: 'someone',
      created: Date.now(),
      refreshed: Date.now(),
      command: 'backup',
    };
    expect(isStale(dead)).toBe(true);
    expect(isStale({ ...dead, host: 'elsewhere' })).toBe(false);
    expect(isStale({ ...dead, host: 'elsewhere', refreshed: Date.now() - 31 * 60 * 1000 })).toBe(true);
    await repo.writeLock('deadbeefdeadbeefdeadbeefdeadbeef', dead);
    await expect(prune(await openRepo(repoDir))).rejects.toThrow(/stale .*unlock.*--break-lock/);
    await expect(prune(await openRepo(repoDir), { breakLock: true })).resolves.toEqual(NOTHING_TO_PRUNE);
    expect(await repo.listLocks()).toEqual([]);
    // And through the CLI: `unlock` removes stale locks only.
    await repo.writeLock('deadbeefdeadbeefdeadbeefdeadbeef', dead);
    const live = await repo.lock(false, 'backup');
    const r = await runCli(['-r', repoDir, 'unlock', '--json'], { STRONGROOM_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { removed: string[] }).removed).toHaveLength(1);
    expect(await repo.listLocks()).toEqual([live.id]);
    await live.release();
  });
});

const snap = (id: string, time: string, tags: string[] = []): Snapshot & { id: string } => ({
  id,
  time,
  tags,
  version: 1,
  host: 'h',
  username: 'u',
  paths: ['/data'],
  excludes: [],
  tree: 't',
  partial: false,
  warnings: [],
  summary: {
    filesNew: 0,
    filesChanged: 0,
    filesUnmodified: 0,
    dirs: 0,
    bytesProcessed: 0,
    bytesAdded: 0,
    blobsAdded: 0,
    durationMs: 0,
  },
});

describe('forget policies', () => {
  // Noon local time every day for 60 days, plus an extra snapshot in the evening of the last three.
  const days: (Snapshot & { id: string })[] = [];
  for (let i = 0; i < 60; i++) {
    const d = new Date(2026, 0, 1 + i, 12, 0, 0);
    days.push(snap(`d${i}`, d.toISOString()));
    if (i >= 57) days.push(snap(`e${i}`, new Date(2026, 0, 1 + i, 20, 0, 0).toISOString()));
  }
  const ids = (r: { keep: { id: string }[] }) => r.keep.map((s) => s.id);

  it('keep-last keeps the newest N', () => {
    expect(ids(applyPolicy(days, { last: 3 }))).toEqual(['e59', 'd59', 'e58']);
  });
  it('keep-daily keeps the newest of each day', () => {
    expect(ids(applyPolicy(days, { daily: 4 }))).toEqual(['e59', 'e58', 'e57', 'd56']);
  });
  it('keep-hourly keeps one per hour', () => {
    expect(ids(applyPolicy(days, { hourly: 3 }))).toEqual(['e59', 'd59', 'e58']);
  });
  it('keep-weekly and keep-monthly keep the newest of each week and month', () => {
    const weekly = applyPolicy(days, { weekly: 2 }).keep;
    expect(weekly).toHaveLength(2);
    expect(weekly[0]!.id).toBe('e59');
    const monthly = ids(applyPolicy(days, { monthly: 3 }));
    expect(monthly).toEqual(['e59', 'e58', 'd30']); // Mar 1 (day 59), Feb 28 evening (58), Jan 31 (30)
  });
  it('keep-yearly keeps one per year; policies combine; tagged snapshots stay', () => {
    const withOld = [
      ...days,
      snap('old', new Date(2024, 5, 1, 12).toISOString()),
      snap('tagged', new Date(2023, 1, 1, 12).toISOString(), ['keep']),
    ];
    expect(ids(applyPolicy(withOld, { yearly: 5 }))).toEqual(['e59', 'old', 'tagged']);
    expect(ids(applyPolicy(withOld, { yearly: 2 }))).toEqual(['e59', 'old']);
    const r = applyPolicy(withOld, { last: 1, yearly: 2, tags: ['keep'] });
    expect(ids(r)).toEqual(['e59', 'old', 'tagged']);
    expect(r.remove).toHaveLength(withOld.length - 3);
  });
  it('groups by host and paths', () => {
    const g = groupSnapshots([
      snap('a', '2026-01-01T00:00:00Z'),
      { ...snap('b', '2026-01-01T00:00:00Z'), host: 'other' },
    ]);
    expect(g.size).toBe(2);
  });
});

describe('forget and prune', () => {
  it('reclaims the space of forgotten snapshots, repacks shared packs, and keeps the rest restorable', async () => {
    const repoDir = path.join(work, 'repo-prune');
    const src = path.join(work, 'prune-src');
    const repo = await newRepo(repoDir);
    writeFile(path.join(src, 'keep.bin'), prng('keep', 200_000));
    writeFile(path.join(src, 'temp.bin'), prng('temp', 400_000));
    await backup(repo, { paths: [src] });
    fs.rmSync(path.join(src, 'temp.bin'));
    writeFile(path.join(src, 'new.bin'), prng('new', 100_000));
    const second = await backup(repo, { paths: [src] });
    const sizeBefore = packFiles(repoDir).reduce((n, p) => n + fs.statSync(p).size, 0);
    const env = { STRONGROOM_PASSWORD: PASSWORD };
    const f = await runCli(['-r', repoDir, 'forget', '--keep-last', '1', '--prune', '--json'], env);
    expect(f.code, f.stderr).toBe(0);
    const lines = f.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect((lines[0]!.removed as string[]).length).toBe(1);
    const sizeAfter = packFiles(repoDir).reduce((n, p) => n + fs.statSync(p).size, 0);
    expect(sizeAfter).toBeLessThan(sizeBefore - 350_000);
    const after = await openRepo(repoDir);
    expect((await check(after, { readDataPercent: 100 })).ok).toBe(true);
    expect((await after.listSnapshots()).map((s) => s.id)).toEqual([second.snapshotId]);
    const target = path.join(work, 'prune-out');
    await restore(after, 'latest', { target });
    expect(fs.readFileSync(path.join(target, src, 'keep.bin')).equals(prng('keep', 200_000))).toBe(true);
    expect(fs.readFileSync(path.join(target, src, 'new.bin')).equals(prng('new', 100_000))).toBe(true);
  });

  it('refuses forget without a policy rather than removing everything', async () => {
    const repoDir = path.join(work, 'repo-nopolicy');
    await newRepo(repoDir);
    const r = await runCli(['-r', repoDir, 'forget'], { STRONGROOM_PASSWORD: PASSWORD });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to remove everything/);
  });
});
