/** Restore reads the byte ranges of the blobs it needs (and pack headers), not whole packs. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { backup, restore, type Repository } from '../../src-engine/index';
import { blobId } from '../../src-engine/repository/crypto';
import { newRepo, prng, tempDir, writeFile, SMALL } from './helpers';

let work: string;
beforeAll(async () => {
  work = await tempDir('restore-ranges');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

it('a one-file restore reads about that file, not the packs around it', async () => {
  const src = path.join(work, 'src');
  // 60 incompressible files of 40 KiB, each a single chunk (under the 64 KiB minimum), in 1 MiB packs.
  for (let i = 0; i < 60; i++)
    writeFile(path.join(src, `f${String(i).padStart(2, '0')}`), prng(`r${i}`, 40_000));
  const repo: Repository = await newRepo(path.join(work, 'repo'), {
    ...SMALL,
    chunker: { min: 64 * 1024, avg: 128 * 1024, max: 256 * 1024 },
    packSize: 1024 * 1024,
  });
  await backup(repo, { paths: [src] });
  // A file stored first in a full pack: reading "from the blob to the end of the pack" would read ~1 MiB.
  const packPath = (id: string) => path.join(work, 'repo', 'packs', id.slice(0, 2), id);
  let pick: { name: string; pack: string } | undefined;
  for (let i = 0; i < 60 && !pick; i++) {
    const name = `f${String(i).padStart(2, '0')}`;
    const e = repo.index.get(blobId(repo.keys.blobId, prng(`r${i}`, 40_000)).toString('hex'));
    expect(e).toBeDefined();
    if (e!.offset === 0 && fs.statSync(packPath(e!.pack)).size > 900 * 1024) pick = { name, pack: e!.pack };
  }
  expect(pick).toBeDefined();

  let read = 0;
  const original = repo.storage.readRange.bind(repo.storage);
  repo.storage.readRange = async (name, offset, length) => {
    if (name.includes('packs')) read += length;
    return original(name, offset, length);
  };
  const target = path.join(work, 'out');
  await restore(repo, 'latest', { target, include: [path.join(src, pick!.name)] });
  expect(
    fs
      .readFileSync(path.join(target, src, pick!.name))
      .equals(prng(`r${Number(pick!.name.slice(1))}`, 40_000)),
  ).toBe(true);
  // 40 KB of blob, a 64 KiB header tail per pack touched, and the tree blobs: far under one pack.
  expect(read).toBeLessThan(400 * 1024);
});
