/**
 * Cancelling a backup in the middle of a large file stops that file at its next read window, in the
 * chunk workers and on the main thread alike: the backup ends with 'cancelled' without reading the rest
 * of the file, writes no snapshot, and leaves a repository that checks clean.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { backup, check, type BackupProgress } from '../../src-engine/index';
import { newRepo, openRepo, prng, SMALL, tempDir, writeFile } from './helpers';

let work: string;
beforeAll(async () => {
  work = await tempDir('backup-cancel');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A file of `size` bytes that is one hole: reading it all would take minutes, storing it nothing. */
function sparseFile(p: string, size: number): void {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.closeSync(fs.openSync(p, 'w'));
  fs.truncateSync(p, size);
}

/** Runs a backup that cancels itself once 1 MiB was read; returns its error and its last progress. */
async function cancelAfterOneMiB(repoDir: string, src: string) {
  const ac = new AbortController();
  let last: BackupProgress | undefined;
  const err = await backup(await openRepo(repoDir), {
    paths: [src],
    signal: ac.signal,
    progressIntervalMs: 0,
    onProgress: (p) => {
      last = p;
      if (p.phase === 'backup' && p.bytesDone > 1024 * 1024 && !ac.signal.aborted) ac.abort();
    },
  }).then(
    () => undefined,
    (e: Error) => e,
  );
  return { err, last };
}

async function expectCleanRepository(repoDir: string): Promise<void> {
  expect(fs.readdirSync(path.join(repoDir, 'snapshots'))).toEqual([]);
  expect(fs.readdirSync(path.join(repoDir, 'locks'))).toEqual([]);
  const r = await check(await openRepo(repoDir), { readDataPercent: 100 });
  expect(r.errors).toEqual([]);
  expect(r.ok).toBe(true);
}

it('cancel during a huge file in a chunk worker ends cancelled without reading the rest of it', async () => {
  const repoDir = path.join(work, 'repo-pool');
  // The real chunk sizes: the id set is sized by bytes / minimum chunk, which the tests' tiny chunks would blow up.
  await newRepo(repoDir, { scrypt: SMALL.scrypt });
  const src = path.join(work, 'src-pool');
  const HUGE = 256 * 1024 ** 3; // 256 GiB of hole: far more than this test's time allows to read
  writeFile(path.join(src, 'a-small.txt'), 'small');
  sparseFile(path.join(src, 'huge.img'), HUGE);

  const { err, last } = await cancelAfterOneMiB(repoDir, src);
  expect(err?.message).toMatch(/cancelled/);
  expect(last!.bytesDone).toBeLessThan(HUGE);
  await expectCleanRepository(repoDir);
}, 120_000);

it('cancel during a file chunked on the main thread (a small re-run) stops that file too', async () => {
  const repoDir = path.join(work, 'repo-inline');
  await newRepo(repoDir);
  const src = path.join(work, 'src-inline');
  writeFile(path.join(src, 'first.txt'), 'first');
  // With a parent, a re-run reading under 32 MiB chunks on the main thread.
  const parent = await backup(await openRepo(repoDir), { paths: [src] });
  const size = 24 * 1024 * 1024;
  writeFile(path.join(src, 'new.bin'), prng('inline cancel', size));

  const { err, last } = await cancelAfterOneMiB(repoDir, src);
  expect(err?.message).toMatch(/cancelled/);
  // Stopped at the next 1 MiB read window, far from the file's end.
  expect(last!.bytesDone).toBeLessThan(4 * 1024 * 1024);
  expect(fs.readdirSync(path.join(repoDir, 'snapshots'))).toEqual([parent.snapshotId]);
  expect(fs.readdirSync(path.join(repoDir, 'locks'))).toEqual([]);
  const r = await check(await openRepo(repoDir), { readDataPercent: 100 });
  expect(r.errors).toEqual([]);
  expect(r.ok).toBe(true);
}, 120_000);
