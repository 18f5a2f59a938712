/**
 * What `check` tells a person to act on: which repair, which snapshots, which files. An index file lost
 * while its packs are intact is an index problem (`repair index`), not lost data; a damaged pack names
 * every snapshot it touches and exactly the files that lose data, with "and N more" where a list is cut.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { backup, check } from '../../src-engine/index';
import { REPAIR_INDEX, REPAIR_INDEX_READ_ALL, REPAIR_SNAPSHOTS } from '../../src-engine/maintenance/check';
import { BLOB_DATA } from '../../src-engine/repository/pack';
import { newRepo, openRepo, PASSWORD, prng, runCli, tempDir, writeFile } from './helpers';

const env = { STRONGROOM_PASSWORD: PASSWORD };
let work: string;
beforeAll(async () => {
  work = await tempDir('check-report');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function flipByte(file: string, pos: number): void {
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, pos);
  b[0] = b[0]! ^ 0x5a;
  fs.writeSync(fd, b, 0, 1, pos);
  fs.closeSync(fd);
}

const packPath = (repoDir: string, pack: string) => path.join(repoDir, 'packs', pack.slice(0, 2), pack);

describe('an index file lost while its packs are intact', () => {
  it('is reported per pack with `repair index` as the repair, not as missing blobs and `repair snapshots`', async () => {
    const base = path.join(work, 'lost-index');
    const src = path.join(base, 'src');
    for (let i = 0; i < 40; i++) writeFile(path.join(src, `d${i % 4}`, `f${i}.bin`), prng(`f${i}`, 5000));
    const repoDir = path.join(base, 'repo');
    await backup(await newRepo(repoDir), { paths: [src] });
    const indexDir = path.join(repoDir, 'index');
    const [first] = fs.readdirSync(indexDir);
    writeFile(path.join(src, 'later.txt'), 'later');
    await backup(await openRepo(repoDir), { paths: [src] });
    expect(fs.readdirSync(indexDir)).toHaveLength(2);
    fs.rmSync(path.join(indexDir, first!));

    const r = await check(await openRepo(repoDir));
    expect(r.ok).toBe(false);
    expect(r.repairs).toEqual([REPAIR_INDEX]);
    expect(r.errors.join('\n')).not.toMatch(/is missing/);
    expect(r.errors.length).toBeGreaterThan(0);
    for (const e of r.errors)
      expect(e).toMatch(/^pack [0-9a-f]{16} is in no index file, yet snapshots use \d+ of its blobs/);
    expect(r.warnings.join('\n')).not.toMatch(/is not in any index/);

    const cli = await runCli(['-r', repoDir, 'check'], env);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`to repair, run in this order:\n  ${REPAIR_INDEX}\n`);
    expect(cli.stdout).not.toContain(REPAIR_SNAPSHOTS);

    expect((await runCli(['-r', repoDir, 'repair', 'index'], env)).code).toBe(0);
    const after = await check(await openRepo(repoDir));
    expect(after.errors).toEqual([]);
    expect(after.warnings).toEqual([]);
  }, 60_000);
});

describe('a damaged data pack shared by two snapshots', () => {
  const files = 700;
  let repoDir: string;
  let src: string;
  const snapshots: string[] = [];
  let pack: string;
  /** Files whose only blob is in `pack`. */
  let inPack: string[];

  beforeAll(async () => {
    const base = path.join(work, 'shared-pack');
    src = path.join(base, 'src');
    // Small files, each one blob, many to a pack; a folder too, whose tree is in a tree pack.
    for (let i = 0; i < files; i++)
      writeFile(path.join(src, 'many', `f${String(i).padStart(3, '0')}.txt`), `file ${i}\n`.repeat(20));
    repoDir = path.join(base, 'repo');
    snapshots.push((await backup(await newRepo(repoDir), { paths: [src] })).snapshotId);
    writeFile(path.join(src, 'later.txt'), 'later');
    snapshots.push((await backup(await openRepo(repoDir), { paths: [src] })).snapshotId);
    const repo = await openRepo(repoDir);
    await repo.loadIndex();
    const counts = new Map<string, number>();
    for (const e of repo.index.values())
      if (e.type === BLOB_DATA) counts.set(e.pack, (counts.get(e.pack) ?? 0) + 1);
    pack = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    const root = await repo.readTree((await repo.findSnapshot(snapshots[0]!)).tree);
    let tree = root;
    for (const part of [...src.split('/').filter(Boolean), 'many'])
      tree = await repo.readTree(tree.nodes.find((n) => n.name === part)!.subtree!);
    inPack = tree.nodes
      .filter((n) => repo.index.get(n.content![0]!)!.pack === pack)
      .map((n) => `${src}/many/${n.name}`);
    // More files than any list shows in full.
    expect(inPack.length).toBeGreaterThan(200);
  }, 120_000);

  it('--read-data names both snapshots and only the file whose blob is damaged', async () => {
    const repo = await openRepo(repoDir);
    await repo.loadIndex();
    const victim = inPack[150]!;
    const snap = await repo.findSnapshot(snapshots[1]!);
    let tree = await repo.readTree(snap.tree);
    for (const part of [...src.split('/').filter(Boolean), 'many'])
      tree = await repo.readTree(tree.nodes.find((n) => n.name === part)!.subtree!);
    const blob = tree.nodes.find((n) => n.name === path.basename(victim))!.content![0]!;
    const e = repo.index.get(blob)!;
    const file = packPath(repoDir, pack);
    const original = fs.readFileSync(file);
    flipByte(file, e.offset + 20);
    try {
      const r = await check(await openRepo(repoDir), { readDataPercent: 100 });
      expect(r.repairs).toEqual([REPAIR_INDEX_READ_ALL, REPAIR_SNAPSHOTS]);
      const d = r.damagedPacks.find((x) => x.pack === pack)!;
      expect(d.snapshots.sort()).toEqual([...snapshots].sort());
      expect(d.lost).toEqual([{ path: victim, kind: 'file', snapshots: snapshots }]);
      expect(d.lostCount).toBe(1);

      const cli = await runCli(['-r', repoDir, 'check', '--read-data'], env);
      expect(cli.stdout).toContain(`used by 2 snapshots: ${snapshots.map((s) => s.slice(0, 8)).join(', ')}`);
      expect(cli.stdout).toContain(`1 file lost:\n    ${victim} (in 2 snapshots)`);
    } finally {
      fs.writeFileSync(file, original);
    }
  }, 60_000);

  it('a missing pack names every file it held in both snapshots, and the CLI says how many more it did not list', async () => {
    const file = packPath(repoDir, pack);
    const moved = `${file}.moved`;
    fs.renameSync(file, moved);
    try {
      const r = await check(await openRepo(repoDir));
      const d = r.damagedPacks.find((x) => x.pack === pack)!;
      expect(d.snapshots.sort()).toEqual([...snapshots].sort());
      expect(d.lostCount).toBe(inPack.length);
      expect(d.lost.map((l) => l.path).sort()).toEqual([...inPack].sort());
      expect(d.lost.every((l) => l.kind === 'file' && l.snapshots.length === 2)).toBe(true);

      const cli = await runCli(['-r', repoDir, 'check'], env);
      expect(cli.stdout).toContain(`${inPack.length} files lost:`);
      expect(cli.stdout).toMatch(new RegExp(`\\n    and ${inPack.length - 20} more \\(--json lists `));
    } finally {
      fs.renameSync(moved, file);
    }
  }, 60_000);
});
