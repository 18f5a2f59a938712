import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import crypto from 'node:crypto';
import path from 'node:path';
import { backup, check, restore } from '../../src-engine/index';
import { newRepo, openRepo, packFiles, prng, tempDir, writeFile } from './helpers';

let work: string;
let repoDir: string;
let src: string;
let snapshotId: string;

beforeAll(async () => {
  work = await tempDir('tamper');
  repoDir = path.join(work, 'repo');
  src = path.join(work, 'src');
  for (let i = 0; i < 6; i++) writeFile(path.join(src, `file${i}.bin`), prng(`t${i}`, 90_000));
  writeFile(path.join(src, 'text.txt'), 'compressible text line\n'.repeat(8000));
  const repo = await newRepo(repoDir);
  snapshotId = (await backup(repo, { paths: [src] })).snapshotId;
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function flip(file: string, pos: number): () => void {
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, pos);
  const orig = b[0]!;
  b[0] = orig ^ 0x5a;
  fs.writeSync(fd, b, 0, 1, pos);
  fs.closeSync(fd);
  return () => {
    const fd2 = fs.openSync(file, 'r+');
    fs.writeSync(fd2, Buffer.from([orig]), 0, 1, pos);
    fs.closeSync(fd2);
  };
}

describe('tampering', () => {
  it('starts from a clean repository with several packs', async () => {
    expect(packFiles(repoDir).length).toBeGreaterThanOrEqual(3);
    expect((await check(await openRepo(repoDir), { readDataPercent: 100 })).ok).toBe(true);
  });

  it('detects a changed byte anywhere in any pack, in check and in restore, and restores nothing from it', async () => {
    const packs = packFiles(repoDir);
    for (const pack of packs) {
      const size = fs.statSync(pack).size;
      // Start, a nonce, inside data, a tag, the header, its length field.
      const positions = [
        0,
        5,
        13,
        Math.floor(size / 3),
        Math.floor(size / 2),
        size - 60,
        size - 30,
        size - 5,
        size - 1,
      ];
      // Plus a few positions that differ on every run: any byte must do.
      for (let i = 0; i < 3; i++) positions.push(crypto.randomInt(0, size));
      for (const pos of [...new Set(positions)].filter((p) => p >= 0 && p < size)) {
        const undo = flip(pack, pos);
        try {
          const repo = await openRepo(repoDir);
          const res = await check(repo, { readDataPercent: 100 });
          expect(res.ok, `check missed byte ${pos} of ${path.basename(pack)}`).toBe(false);
          expect(res.damagedPacks.map((d) => d.pack)).toContain(path.basename(pack));
          const target = path.join(work, `out-${path.basename(pack).slice(0, 6)}-${pos}`);
          await expect(restore(repo, snapshotId, { target }), `restore missed byte ${pos}`).rejects.toThrow(
            /damaged|authentication|header/,
          );
          // Whatever was restored is byte-identical to the source: nothing damaged was written.
          const restored = path.join(target, src);
          if (fs.existsSync(restored)) {
            for (const name of fs.readdirSync(restored)) {
              expect(
                fs.readFileSync(path.join(restored, name)).equals(fs.readFileSync(path.join(src, name))),
              ).toBe(true);
            }
          }
        } finally {
          undo();
        }
      }
    }
    expect((await check(await openRepo(repoDir), { readDataPercent: 100 })).ok).toBe(true);
  });

  it('names the snapshot and files a damaged pack touches', async () => {
    const repo = await openRepo(repoDir);
    await repo.loadIndex();
    const e = [...repo.index.values()].find((x) => x.type === 0)!;
    const packPath = packFiles(repoDir).find((p) => p.endsWith(e.pack))!;
    const undo = flip(packPath, e.offset + 20);
    try {
      const res = await check(await openRepo(repoDir), { readDataPercent: 100 });
      const d = res.damagedPacks.find((x) => x.pack === e.pack)!;
      expect(d.snapshots).toEqual([snapshotId]);
      expect(d.lost.length).toBeGreaterThan(0);
      expect(d.lost.every((l) => l.path.startsWith(`${src}/`) && l.snapshots[0] === snapshotId)).toBe(true);
    } finally {
      undo();
    }
  });

  it('detects a damaged pack header even without reading data', async () => {
    const pack = packFiles(repoDir)[0]!;
    const undo = flip(pack, fs.statSync(pack).size - 10);
    try {
      expect((await check(await openRepo(repoDir))).ok).toBe(false);
    } finally {
      undo();
    }
  });

  it('detects a deleted pack and a damaged snapshot file', async () => {
    const pack = packFiles(repoDir)[1]!;
    fs.renameSync(pack, `${pack}.moved`);
    try {
      const res = await check(await openRepo(repoDir));
      expect(res.ok).toBe(false);
      expect(res.errors.join('\n')).toMatch(/missing/);
    } finally {
      fs.renameSync(`${pack}.moved`, pack);
    }
    const snap = path.join(repoDir, 'snapshots', snapshotId);
    const undo = flip(snap, 30);
    try {
      // A damaged snapshot file is reported and left out (it must not hide the others), and check fails.
      const repo = await openRepo(repoDir);
      expect((await repo.listSnapshots()).map((s) => s.id)).not.toContain(snapshotId);
      expect(repo.problems.map((p) => p.file)).toContain(`snapshots/${snapshotId}`);
      const res = await check(await openRepo(repoDir));
      expect(res.ok).toBe(false);
      expect(res.errors.join('\n')).toMatch(
        new RegExp(`snapshot file ${snapshotId.slice(0, 16)} cannot be read`),
      );
    } finally {
      undo();
    }
  });
});
