/**
 * `repair index` and `repair snapshots` on each kind of damage: everything intact stays restorable, what
 * was dropped is said (in the result and in the rewritten snapshot), and check passes afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { backup, check, restore, type Repository } from '../../src-engine/index';
import { repairIndex, repairSnapshots } from '../../src-engine/maintenance/repair';
import { REPAIR_INDEX, REPAIR_INDEX_READ_ALL, REPAIR_SNAPSHOTS } from '../../src-engine/maintenance/check';
import { readPackHeader, BLOB_DATA } from '../../src-engine/repository/pack';
import { newRepo, openRepo, packFiles, PASSWORD, prng, runCli, tempDir, writeFile } from './helpers';

let work: string;
beforeAll(async () => {
  work = await tempDir('repair');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const CONTENT: Record<string, Buffer | string> = {
  'keep.txt': 'intact\n',
  'docs/one.bin': prng('one', 150_000),
  'docs/two.bin': prng('two', 150_000),
  'media/three.bin': prng('three', 150_000),
  'media/sub/four.txt': 'four\n',
};

interface Fixture {
  base: string;
  repoDir: string;
  src: string;
  snapshotId: string;
}

async function fixture(label: string): Promise<Fixture> {
  const base = path.join(work, label);
  const src = path.join(base, 'src');
  for (const [rel, data] of Object.entries(CONTENT)) writeFile(path.join(src, rel), data);
  const repoDir = path.join(base, 'repo');
  const { snapshotId } = await backup(await newRepo(repoDir), { paths: [src] });
  return { base, repoDir, src, snapshotId };
}

/** The pack holding the first data blob of `rel` (packs are small here, so each file has its own). */
async function packOf(repo: Repository, src: string, rel: string): Promise<{ pack: string; offset: number }> {
  await repo.loadIndex();
  let tree = await repo.readTree((await repo.findSnapshot('latest')).tree);
  const parts = [...src.split('/').filter(Boolean), ...rel.split('/')];
  for (const part of parts.slice(0, -1))
    tree = await repo.readTree(tree.nodes.find((n) => n.name === part)!.subtree!);
  const blob = tree.nodes.find((n) => n.name === parts[parts.length - 1])!.content![0]!;
  const e = repo.index.get(blob)!;
  return { pack: e.pack, offset: e.offset };
}

function packPath(repoDir: string, pack: string): string {
  return path.join(repoDir, 'packs', pack.slice(0, 2), pack);
}

/**
 * Overwrites two bytes inside the pack's sealed header, found from the length in its last four bytes.
 * A fixed offset from the end would land in a blob's data when the header is short (one entry).
 */
function damageHeader(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const size = fs.fstatSync(fd).size;
    const len = Buffer.alloc(4);
    fs.readSync(fd, len, 0, 4, size - 4);
    fs.writeSync(fd, Buffer.from('XX'), 0, 2, size - 4 - len.readUInt32LE(0) + 16);
  } finally {
    fs.closeSync(fd);
  }
}

/** Restores a snapshot and returns the relative paths (under src) of the files that came back intact. */
async function restoredIntact(f: Fixture, snapshot: string, label: string): Promise<string[]> {
  const target = path.join(f.base, label);
  await restore(await openRepo(f.repoDir), snapshot, { target });
  return Object.entries(CONTENT)
    .filter(([rel, data]) => {
      const p = path.join(target, f.src, rel);
      return fs.existsSync(p) && fs.readFileSync(p).equals(Buffer.from(data));
    })
    .map(([rel]) => rel)
    .sort();
}

describe('repair index', () => {
  it('finds nothing to change in a sound repository', async () => {
    const f = await fixture('sound');
    const before = fs.readdirSync(path.join(f.repoDir, 'index'));
    const r = await repairIndex(await openRepo(f.repoDir));
    expect(r).toMatchObject({ newIndex: undefined, packsAdded: [], packsReindexed: [], packsMissing: [] });
    expect(fs.readdirSync(path.join(f.repoDir, 'index'))).toEqual(before);
  });

  it('rebuilds a lost index from the packs, so check passes and everything restores', async () => {
    const f = await fixture('lost-index');
    for (const n of fs.readdirSync(path.join(f.repoDir, 'index')))
      fs.rmSync(path.join(f.repoDir, 'index', n));
    const r = await repairIndex(await openRepo(f.repoDir));
    expect(r.packsAdded.sort()).toEqual(packFiles(f.repoDir).map((p) => path.basename(p)));
    expect(r.newIndex).toMatch(/^[0-9a-f]{64}$/);
    const after = await check(await openRepo(f.repoDir), { readDataPercent: 100 });
    expect(after.errors).toEqual([]);
    expect(after.warnings).toEqual([]);
    expect(await restoredIntact(f, f.snapshotId, 'out')).toEqual(Object.keys(CONTENT).sort());
  });

  it('with --read-all-packs, copies a damaged pack’s intact blobs to a new pack, drops the damaged one and says so', async () => {
    const f = await fixture('damaged-pack');
    const repo = await openRepo(f.repoDir);
    const { pack, offset } = await packOf(repo, f.src, 'docs/one.bin');
    const file = packPath(f.repoDir, pack);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from('XXXX'), 0, 4, offset + 100);
    fs.closeSync(fd);
    const headerCount = (await readPackHeader(repo.storage, repo.keys, pack)).length;

    const checked = await check(await openRepo(f.repoDir), { readDataPercent: 100 });
    expect(checked.ok).toBe(false);
    expect(checked.repairs).toEqual([REPAIR_INDEX_READ_ALL, REPAIR_SNAPSHOTS]);
    // Every pack read is counted, the damaged one included.
    expect(checked.packsRead).toBe(packFiles(f.repoDir).length);
    expect(checked.damagedPacks.map((d) => d.pack)).toEqual([pack]);

    const dry = await repairIndex(await openRepo(f.repoDir), { readAllPacks: true, dryRun: true });
    expect(dry.packsSalvaged.map((s) => s.pack)).toEqual([pack]);
    expect(fs.existsSync(file)).toBe(true);

    const r = await repairIndex(await openRepo(f.repoDir), { readAllPacks: true });
    expect(r.packsSalvaged).toHaveLength(1);
    expect(r.packsSalvaged[0]!.blobsLost).toHaveLength(1);
    expect(r.packsSalvaged[0]!.blobsCopied).toBe(headerCount - 1);
    expect(fs.existsSync(file)).toBe(false);

    // The index no longer offers the damaged blob; the snapshot still names it until repaired.
    const missing = await check(await openRepo(f.repoDir), { readDataPercent: 100 });
    expect(missing.damagedPacks).toEqual([]);
    expect(missing.errors.join('\n')).toMatch(/docs\/one\.bin: blob [0-9a-f]+ is missing/);
    expect(missing.repairs).toEqual([REPAIR_SNAPSHOTS]);

    const rs = await repairSnapshots(await openRepo(f.repoDir));
    expect(rs.repaired).toHaveLength(1);
    expect(rs.repaired[0]!.dropped).toEqual([
      expect.stringMatching(
        new RegExp(`^${f.src}/docs/one\\.bin: 1 of \\d+ pieces are missing; file left out$`),
      ),
    ]);
    expect((await check(await openRepo(f.repoDir), { readDataPercent: 100 })).errors).toEqual([]);
    const intact = await restoredIntact(f, rs.repaired[0]!.newId!, 'out');
    expect(intact).toEqual(
      Object.keys(CONTENT)
        .filter((k) => k !== 'docs/one.bin')
        .sort(),
    );
  });
});

describe('a pack whose header is damaged', () => {
  it('is set aside by repair index, never warned about again by any command, and deleted by prune', async () => {
    const f = await fixture('damaged-header');
    const { pack } = await packOf(await openRepo(f.repoDir), f.src, 'docs/one.bin');
    const file = packPath(f.repoDir, pack);
    damageHeader(file);
    const env = { STRONGROOM_PASSWORD: PASSWORD };

    const r = await repairIndex(await openRepo(f.repoDir), { readAllPacks: true });
    expect(r.packsSetAside).toEqual([{ pack, reason: expect.stringMatching(/header/) }]);
    expect(fs.existsSync(file)).toBe(true);
    const cliRepair = await runCli(['-r', f.repoDir, 'repair', 'index', '--read-all-packs'], env);
    expect(cliRepair.code, cliRepair.stderr).toBe(0);
    // Already set aside: the second run reads it no more and has nothing to say about it.
    expect(cliRepair.stdout).not.toContain(pack.slice(0, 16));
    await repairSnapshots(await openRepo(f.repoDir));

    // Check names it once, as set aside until prune, and claims no backup or repair will index it.
    const checked = await check(await openRepo(f.repoDir));
    expect(checked.errors).toEqual([]);
    expect(checked.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^pack ${pack.slice(0, 16)} was set aside by \`repair index\` \\(.*header.*\\); no command uses it, and \`prune\` deletes it$`,
        ),
      ),
    ]);
    // Every other command is silent about it.
    const repo = await openRepo(f.repoDir);
    writeFile(path.join(f.src, 'new.txt'), 'new');
    await backup(repo, { paths: [f.src] });
    expect(repo.problems).toEqual([]);
    const ls = await runCli(['-r', f.repoDir, 'snapshots'], env);
    expect(ls.stderr).toBe('');

    const pruned = await runCli(['-r', f.repoDir, 'prune'], env);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(fs.existsSync(file)).toBe(false);
    const after = await check(await openRepo(f.repoDir), { readDataPercent: 100 });
    expect(after.errors).toEqual([]);
    expect(after.warnings).toEqual([]);
  }, 60_000);

  it('keeps its intact blobs, found where the index said they are: check --read-data names nothing lost, and everything restores', async () => {
    const f = await fixture('salvaged-header');
    const before = await openRepo(f.repoDir);
    const { pack } = await packOf(before, f.src, 'docs/one.bin');
    const blobs = before.packs.get(pack)!.length;
    const file = packPath(f.repoDir, pack);
    damageHeader(file);

    const structure = await check(await openRepo(f.repoDir));
    expect(structure.damagedPacks.map((d) => d.pack)).toEqual([pack]);
    const full = await check(await openRepo(f.repoDir), { readDataPercent: 100 });
    const d = full.damagedPacks.find((x) => x.pack === pack)!;
    expect(d.reason).toMatch(new RegExp(`header.*; all ${blobs} of its blobs are intact`));
    expect(d.lost).toEqual([]);
    expect(full.repairs).toEqual([REPAIR_INDEX_READ_ALL]);

    const r = await repairIndex(await openRepo(f.repoDir), { readAllPacks: true });
    expect(r.packsSetAside).toEqual([{ pack, reason: expect.stringMatching(/header/) }]);
    expect(r.packsSalvaged).toEqual([{ pack, blobsCopied: blobs, blobsLost: [], setAside: true }]);
    expect(fs.existsSync(file)).toBe(true);
    const after = await check(await openRepo(f.repoDir), { readDataPercent: 100 });
    expect(after.errors).toEqual([]);
    expect((await repairSnapshots(await openRepo(f.repoDir))).repaired).toEqual([]);
    expect(await restoredIntact(f, f.snapshotId, 'out')).toEqual(Object.keys(CONTENT).sort());
  });

  it('when no index names it, check says `repair index` sets it aside rather than that a backup will index it', async () => {
    const f = await fixture('unindexed-damaged-header');
    const { pack } = await packOf(await openRepo(f.repoDir), f.src, 'docs/two.bin');
    const file = packPath(f.repoDir, pack);
    damageHeader(file);
    for (const n of fs.readdirSync(path.join(f.repoDir, 'index')))
      fs.rmSync(path.join(f.repoDir, 'index', n));
    const checked = await check(await openRepo(f.repoDir));
    const all = [...checked.errors, ...checked.warnings].join('\n');
    expect(all).not.toMatch(new RegExp(`${pack.slice(0, 16)}.*indexes it`));
    expect(checked.errors).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^pack ${pack.slice(0, 16)} is in no index file and its header cannot be read .*repair index\` sets it aside`,
        ),
      ),
    );
    expect(checked.repairs[0]).toBe(REPAIR_INDEX);
    await repairIndex(await openRepo(f.repoDir));
    await repairSnapshots(await openRepo(f.repoDir));
    const after = await check(await openRepo(f.repoDir));
    expect(after.errors).toEqual([]);
    expect(after.warnings).toEqual([expect.stringMatching(/was set aside by `repair index`/)]);
  });
});

describe('repair snapshots', () => {
  it('rewrites a snapshot that lost a pack without the files it held, records what was dropped, replaces the original', async () => {
    const f = await fixture('missing-pack');
    const { pack } = await packOf(await openRepo(f.repoDir), f.src, 'media/three.bin');
    const header = await (async () => {
      const repo = await openRepo(f.repoDir);
      return readPackHeader(repo.storage, repo.keys, pack);
    })();
    expect(header.every((e) => e.type === BLOB_DATA)).toBe(true);
    fs.rmSync(packPath(f.repoDir, pack));

    const idx = await repairIndex(await openRepo(f.repoDir));
    expect(idx.packsMissing).toEqual([pack]);
    const checked = await check(await openRepo(f.repoDir));
    expect(checked.repairs).toEqual([REPAIR_SNAPSHOTS]);

    const snapFiles = () => fs.readdirSync(path.join(f.repoDir, 'snapshots')).sort();
    const before = snapFiles();
    const dry = await repairSnapshots(await openRepo(f.repoDir), { dryRun: true });
    expect(dry.repaired.map((s) => s.id)).toEqual([f.snapshotId]);
    expect(dry.repaired[0]!.newId).toBeUndefined();
    expect(snapFiles()).toEqual(before);

    const r = await repairSnapshots(await openRepo(f.repoDir), { snapshots: [f.snapshotId.slice(0, 8)] });
    const dropped = r.repaired[0]!.dropped;
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped.every((d) => / pieces are missing; file left out$/.test(d))).toBe(true);
    expect(dropped.some((d) => d.startsWith(`${f.src}/media/three.bin:`))).toBe(true);
    const newId = r.repaired[0]!.newId!;
    expect(snapFiles()).toEqual([newId]);

    const repo = await openRepo(f.repoDir);
    const snap = await repo.findSnapshot(newId);
    expect(snap.repaired).toMatchObject({ original: f.snapshotId, droppedCount: dropped.length, dropped });
    expect(snap.paths).toEqual([f.src]);
    expect((await check(repo, { readDataPercent: 100 })).errors).toEqual([]);
    const intact = await restoredIntact(f, newId, 'out');
    const lost = dropped.map((d) => path.relative(f.src, d.slice(0, d.indexOf(':'))));
    expect(intact).toEqual(
      Object.keys(CONTENT)
        .filter((k) => !lost.includes(k))
        .sort(),
    );
    expect(intact).toContain('keep.txt');
    expect(intact).toContain('media/sub/four.txt');
  });

  it('run again after it was stopped between writing a repaired snapshot and removing the original, removes the original instead of writing a second copy', async () => {
    const f = await fixture('interrupted-repair');
    const { pack } = await packOf(await openRepo(f.repoDir), f.src, 'docs/one.bin');
    fs.rmSync(packPath(f.repoDir, pack));
    await repairIndex(await openRepo(f.repoDir));
    const snapFiles = () => fs.readdirSync(path.join(f.repoDir, 'snapshots')).sort();

    // Stopped (killed) right after the repaired snapshot was written: the original is still there.
    const stopped = await openRepo(f.repoDir);
    const remove = stopped.storage.remove.bind(stopped.storage);
    stopped.storage.remove = async (name: string) => {
      if (name.startsWith('snapshots/')) throw new Error('killed');
      return remove(name);
    };
    await expect(repairSnapshots(stopped)).rejects.toThrow('killed');
    const afterKill = snapFiles();
    expect(afterKill).toHaveLength(2);
    expect(afterKill).toContain(f.snapshotId);
    const copy = afterKill.find((id) => id !== f.snapshotId)!;

    const dry = await repairSnapshots(await openRepo(f.repoDir), { dryRun: true });
    expect(dry.repaired).toEqual([
      expect.objectContaining({ id: f.snapshotId, alreadyReplacedBy: copy, newId: undefined }),
    ]);
    expect(snapFiles()).toEqual(afterKill);

    const again = await repairSnapshots(await openRepo(f.repoDir));
    expect(again.repaired).toEqual([
      expect.objectContaining({ id: f.snapshotId, alreadyReplacedBy: copy, newId: undefined }),
    ]);
    expect(snapFiles()).toEqual([copy]);
    const third = await repairSnapshots(await openRepo(f.repoDir));
    expect(third.repaired).toEqual([]);
    expect(snapFiles()).toEqual([copy]);
    expect((await check(await openRepo(f.repoDir))).errors).toEqual([]);

    // A repaired snapshot repaired once more names the one it replaces, and the first original too.
    const { pack: second } = await packOf(await openRepo(f.repoDir), f.src, 'docs/two.bin');
    fs.rmSync(packPath(f.repoDir, second));
    await repairIndex(await openRepo(f.repoDir));
    const stoppedAgain = await openRepo(f.repoDir);
    stoppedAgain.storage.remove = stopped.storage.remove;
    await expect(repairSnapshots(stoppedAgain)).rejects.toThrow('killed');
    expect(snapFiles()).toHaveLength(2);
    await repairSnapshots(await openRepo(f.repoDir));
    const [last] = snapFiles();
    expect(snapFiles()).toHaveLength(1);
    const snap = await (await openRepo(f.repoDir)).findSnapshot(last!);
    expect(snap.repaired).toMatchObject({ original: f.snapshotId, replaces: copy });
    const lost = snap.repaired!.dropped.map((d) => d.slice(0, d.indexOf(':')));
    expect(lost).toEqual(expect.arrayContaining([`${f.src}/docs/one.bin`, `${f.src}/docs/two.bin`]));
    expect(snap.repaired!.droppedCount).toBe(lost.length);
  });

  it('keeps an unreadable folder as an empty one, and its siblings intact', async () => {
    const f = await fixture('bad-tree');
    const repo = await openRepo(f.repoDir);
    await repo.loadIndex();
    let tree = await repo.readTree((await repo.findSnapshot('latest')).tree);
    for (const part of f.src.split('/').filter(Boolean))
      tree = await repo.readTree(tree.nodes.find((n) => n.name === part)!.subtree!);
    const media = tree.nodes.find((n) => n.name === 'media')!.subtree!;
    const e = repo.index.get(media)!;
    const fd = fs.openSync(packPath(f.repoDir, e.pack), 'r+');
    fs.writeSync(fd, Buffer.from('XXXX'), 0, 4, e.offset + Math.floor(e.length / 2));
    fs.closeSync(fd);

    // The order check names: first the index stops offering the damaged tree, then the snapshot is rewritten.
    expect((await check(await openRepo(f.repoDir))).repairs).toEqual([
      REPAIR_INDEX_READ_ALL,
      REPAIR_SNAPSHOTS,
    ]);
    await repairIndex(await openRepo(f.repoDir), { readAllPacks: true });
    const r = await repairSnapshots(await openRepo(f.repoDir));
    expect(r.repaired[0]!.dropped).toEqual([
      expect.stringMatching(new RegExp(`^${f.src}/media/: folder cannot be read .*kept as an empty folder$`)),
    ]);
    expect((await check(await openRepo(f.repoDir), { readDataPercent: 100 })).errors).toEqual([]);
    const intact = await restoredIntact(f, r.repaired[0]!.newId!, 'out');
    expect(intact).toEqual(['docs/one.bin', 'docs/two.bin', 'keep.txt']);
    expect(fs.readdirSync(path.join(f.base, 'out', f.src, 'media'))).toEqual([]);
  });

  it('through the CLI: check names the repairs, and each repair prints what it dropped', async () => {
    const f = await fixture('cli');
    const { pack } = await packOf(await openRepo(f.repoDir), f.src, 'docs/two.bin');
    fs.rmSync(packPath(f.repoDir, pack));
    const env = { STRONGROOM_PASSWORD: PASSWORD };

    const ck = await runCli(['-r', f.repoDir, 'check'], env);
    expect(ck.code).toBe(1);
    expect(ck.stdout).toContain(`to repair, run in this order:\n  ${REPAIR_INDEX}\n  ${REPAIR_SNAPSHOTS}`);

    const idx = await runCli(['-r', f.repoDir, 'repair', 'index'], env);
    expect(idx.code, idx.stderr).toBe(0);
    expect(idx.stdout).toContain(`DROPPED pack ${pack.slice(0, 16)}: in the index but not in the repository`);
    expect(idx.stdout).toContain('run `strongroom-backup repair snapshots`');

    const dry = await runCli(['-r', f.repoDir, 'repair', 'snapshots', '--dry-run'], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`dropped ${f.src}/docs/two\\.bin: .*file left out`));
    expect(dry.stdout).toContain('would modify 1');

    const real = await runCli(['-r', f.repoDir, 'repair', 'snapshots'], env);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toMatch(new RegExp(`snapshot ${f.snapshotId.slice(0, 8)} replaced by [0-9a-f]{8}`));
    const list = await runCli(['-r', f.repoDir, 'snapshots'], env);
    expect(list.stdout).toMatch(new RegExp(`\\(repaired from ${f.snapshotId.slice(0, 8)}: \\d+ dropped\\)`));
    expect((await runCli(['-r', f.repoDir, 'check', '--read-data'], env)).code).toBe(0);
    const bad = await runCli(['-r', f.repoDir, 'repair', 'everything'], env);
    expect(bad.code).toBe(2);
  });
});
