/** A snapshot's summary says how many files it holds and their total size, whether they were read or reused. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { backup } from '../../src-engine/index';
import { newRepo, openRepo, tempDir, writeFile } from './helpers';

let work: string;
let src: string;
let repoDir: string;

beforeAll(async () => {
  work = await tempDir('snapshot-totals');
  src = path.join(work, 'src');
  for (const d of ['a', 'b/deep'])
    for (let i = 0; i < 5; i++) writeFile(path.join(src, d, `f${i}`), 'x'.repeat(i * 100));
  repoDir = path.join(work, 'repo');
  await newRepo(repoDir);
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

it('totals every file of the snapshot, new, changed and unmodified alike', async () => {
  const first = await backup(await openRepo(repoDir), { paths: [src] });
  expect(first.snapshot.summary.totalFilesProcessed).toBe(10);
  expect(first.snapshot.summary.totalBytesProcessed).toBe(2 * (0 + 100 + 200 + 300 + 400));

  writeFile(path.join(src, 'a', 'f0'), 'y'.repeat(50));
  writeFile(path.join(src, 'b', 'new'), 'z'.repeat(7));
  const again = await backup(await openRepo(repoDir), { paths: [src] });
  const s = again.snapshot.summary;
  expect(s.filesUnmodified).toBe(9);
  // Unmodified files were not read, yet they count in what the snapshot holds.
  expect(s.totalFilesProcessed).toBe(11);
  expect(s.totalBytesProcessed).toBe(2000 + 50 + 7);
  // And it is what the stored snapshot says.
  const stored = await (await openRepo(repoDir)).findSnapshot(again.snapshotId);
  expect(stored.summary.totalBytesProcessed).toBe(2057);
});
