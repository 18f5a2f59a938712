/**
 * Re-runs against a parent snapshot: unchanged files are never read, unchanged folders keep their tree
 * (nothing stored), and a change the parent's node would hide (a mode, a folder's metadata above
 * unchanged files) still reaches the new snapshot.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { backup, listTree } from '../../src-engine/index';
import { newRepo, openRepo, tempDir, writeFile } from './helpers';

let work: string;
let repoDir: string;
let src: string;

beforeAll(async () => {
  work = await tempDir('backup-rerun');
  src = path.join(work, 'src');
  for (const d of ['a', 'b', 'c/deep'])
    for (let i = 0; i < 20; i++) writeFile(path.join(src, d, `f${i}.txt`), `${d} ${i}\n`.repeat(i + 1));
  repoDir = path.join(work, 'repo');
  await backup(await newRepo(repoDir), { paths: [src] });
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The tree ids of the folders under `src` in a snapshot, by path. */
async function folderTrees(snapshotId: string): Promise<Map<string, string>> {
  const r = await openRepo(repoDir);
  await r.loadIndex();
  const out = new Map<string, string>();
  const visit = async (id: string, dir: string): Promise<void> => {
    for (const n of (await r.readTree(id)).nodes) {
      if (n.type !== 'dir' || !n.subtree) continue;
      out.set(path.join(dir, n.name), n.subtree);
      await visit(n.subtree, path.join(dir, n.name));
    }
  };
  await visit((await r.findSnapshot(snapshotId)).tree, '/');
  return out;
}

it('an unchanged re-run stores no tree of the backed-up folders again', async () => {
  const first = await backup(await openRepo(repoDir), { paths: [src] });
  const again = await backup(await openRepo(repoDir), { paths: [src] });
  expect(again.snapshot.summary.filesUnmodified).toBe(60);
  expect(again.snapshot.summary.bytesProcessed).toBe(0);
  const before = await folderTrees(first.snapshotId);
  const after = await folderTrees(again.snapshotId);
  for (const d of ['a', 'b', 'c', 'c/deep']) {
    const p = path.join(src, d);
    expect(after.get(p), p).toBe(before.get(p));
  }
});

it('reads nothing again when only the folders above the files changed', async () => {
  const parent = await backup(await openRepo(repoDir), { paths: [src] });
  // New folder times all the way up: no file changed.
  for (const d of ['c/deep', 'c', '.'])
    fs.utimesSync(path.join(src, d), new Date(2001, 1, 1), new Date(2001, 1, 1));
  const again = await backup(await openRepo(repoDir), { paths: [src] });
  expect(again.snapshot.summary.filesUnmodified).toBe(60);
  expect(again.snapshot.summary.bytesProcessed).toBe(0);
  const before = await folderTrees(parent.snapshotId);
  const after = await folderTrees(again.snapshotId);
  // The folders whose time changed get new trees; their untouched siblings keep theirs.
  expect(after.get(path.join(src, 'c'))).not.toBe(before.get(path.join(src, 'c')));
  expect(after.get(path.join(src, 'a'))).toBe(before.get(path.join(src, 'a')));
});

it('a changed mode alone, with the same contents, is in the new snapshot', async () => {
  const file = path.join(src, 'b', 'f3.txt');
  fs.chmodSync(file, 0o600);
  const again = await backup(await openRepo(repoDir), { paths: [src] });
  // chmod moves the ctime: that one file is read again (its chunks are all known), no other.
  expect(again.snapshot.summary.filesChanged).toBe(1);
  expect(again.snapshot.summary.filesUnmodified).toBe(59);
  const r = await openRepo(repoDir);
  const node = (await listTree(r, (await r.findSnapshot(again.snapshotId)).tree)).find(
    (n) => n.path === file,
  );
  expect(node?.mode).toBe(0o600);
});
