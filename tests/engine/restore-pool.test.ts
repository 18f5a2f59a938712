/**
 * Restore through its worker threads, in batches of files: every file is written byte for byte, and a
 * damaged blob opened in a worker still costs only the file that holds it, which is named.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { backup, restore, RestoreIncompleteError, type RestoreResult } from '../../src-engine/index';
import { blobId } from '../../src-engine/repository/crypto';
import { FILE_BATCH } from '../../src-engine/restore/restore-plan';
import { RestoreWorkerPool } from '../../src-engine/restore/restore-pool';
import { newRepo, openRepo, prng, tempDir, writeFile } from './helpers';

// More files than one batch holds, in folders of 100; each file one blob (under the 2 KiB minimum chunk).
const FILES = FILE_BATCH + 904;
const content = (i: number) => Buffer.concat([Buffer.from(`file ${i}\n`), prng(`p${i}`, i % 1500)]);
const rel = (i: number) => path.join(`d${Math.floor(i / 100)}`, `f${i}.bin`);

let work: string;
let src: string;
let repoDir: string;
let snapshotId: string;
beforeAll(async () => {
  work = await tempDir('restore-pool');
  src = path.join(work, 'src');
  for (let i = 0; i < FILES; i++) writeFile(path.join(src, rel(i)), content(i));
  repoDir = path.join(work, 'repo');
  ({ snapshotId } = await backup(await newRepo(repoDir), { paths: [src] }));
}, 120_000);
afterAll(() => {
  vi.restoreAllMocks();
  fs.rmSync(work, { recursive: true, force: true });
});

it('restores every file byte for byte through two restore workers, in more than one batch', async () => {
  const start = vi.spyOn(RestoreWorkerPool, 'start');
  const target = path.join(work, 'out');
  const r = await restore(await openRepo(repoDir), snapshotId, { target, workers: 2 });
  expect(start).toHaveBeenCalledTimes(1);
  expect(start.mock.calls[0]![1]).toBe(2);
  start.mockRestore();
  expect(r.problems).toEqual([]);
  expect(r.filesRestored).toBe(FILES);
  expect(r.filesNotRestored).toBe(0);
  for (let i = 0; i < FILES; i++) {
    expect(fs.readFileSync(path.join(target, src, rel(i))).equals(content(i)), rel(i)).toBe(true);
  }
}, 120_000);

it('a damaged blob fails only its own file, named, while every other file is restored', async () => {
  const damaged = 1234;
  const repo = await openRepo(repoDir);
  await repo.loadIndex();
  const e = repo.index.get(blobId(repo.keys.blobId, content(damaged)).toString('hex'))!;
  expect(e).toBeDefined();
  const pack = path.join(repoDir, 'packs', e.pack.slice(0, 2), e.pack);
  const fd = fs.openSync(pack, 'r+');
  const byte = Buffer.alloc(1);
  fs.readSync(fd, byte, 0, 1, e.offset + 14);
  fs.writeSync(fd, Buffer.from([byte[0]! ^ 0xff]), 0, 1, e.offset + 14);
  fs.closeSync(fd);

  const target = path.join(work, 'out-damaged');
  const err = await restore(await openRepo(repoDir), snapshotId, { target, workers: 2 }).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(err).toBeInstanceOf(RestoreIncompleteError);
  const result = (err as RestoreIncompleteError).result as RestoreResult;
  const lost = path.join(target, src, rel(damaged));
  expect(result.problems).toEqual([
    expect.objectContaining({
      kind: 'not-restored',
      path: lost,
      reason: expect.stringMatching(/damaged in the repository: .*authentication failed/),
    }),
  ]);
  expect(result.filesRestored).toBe(FILES - 1);
  expect(result.filesNotRestored).toBe(1);
  expect(fs.existsSync(lost)).toBe(false);
  for (let i = 0; i < FILES; i++) {
    if (i === damaged) continue;
    expect(fs.readFileSync(path.join(target, src, rel(i))).equals(content(i)), rel(i)).toBe(true);
  }
  // No temporary file of the damaged one stays behind.
  expect(fs.readdirSync(path.dirname(lost)).filter((n) => n.startsWith('.sr'))).toEqual([]);
}, 120_000);
