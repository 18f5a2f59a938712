/**
 * Damage is contained: a damaged index or snapshot file, or a stray file (.DS_Store) among the repository's
 * files, never stops a backup, a listing or a restore that does not need it. It is named, skipped, and
 * prune refuses (deleting nothing) until the repair it names has run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { backup, check, listTree, prune, restore } from '../../src-engine/index';
import { repairIndex } from '../../src-engine/maintenance/repair';
import { REPAIR_INDEX } from '../../src-engine/maintenance/check';
import { newRepo, openRepo, packFiles, PASSWORD, prng, runCli, tempDir, writeFile } from './helpers';

let work: string;
beforeAll(async () => {
  work = await tempDir('damage');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

interface Fixture {
  repoDir: string;
  src: string;
  first: string;
  second: string;
}

const CONTENT: Record<string, Buffer | string> = {
  'a.txt': 'alpha\n',
  'dir/b.bin': prng('b', 60_000),
  'dir/deeper/c.bin': prng('c', 200_000),
};

/** A repository with two snapshots of the same folder, so there are several index and snapshot files. */
async function fixture(label: string): Promise<Fixture> {
  const base = path.join(work, label);
  const src = path.join(base, 'src');
  for (const [rel, data] of Object.entries(CONTENT)) writeFile(path.join(src, rel), data);
  const repoDir = path.join(base, 'repo');
  const first = (await backup(await newRepo(repoDir), { paths: [src] })).snapshotId;
  writeFile(path.join(src, 'later.txt'), 'added later\n');
  const second = (await backup(await openRepo(repoDir), { paths: [src] })).snapshotId;
  return { repoDir, src, first, second };
}

function flipByte(file: string, pos: number): void {
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, pos);
  b[0] = b[0]! ^ 0x5a;
  fs.writeSync(fd, b, 0, 1, pos);
  fs.closeSync(fd);
}

/** Every file of the repository with its size: what a refused prune must leave exactly as it was. */
function repoFiles(repoDir: string): string[] {
  return (fs.readdirSync(repoDir, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(repoDir, f)).isFile() && !f.startsWith('locks'))
    .map((f) => `${f}:${fs.statSync(path.join(repoDir, f)).size}`)
    .sort();
}

async function expectRestored(repoDir: string, snapshot: string, src: string, target: string): Promise<void> {
  const r = await restore(await openRepo(repoDir), snapshot, { target });
  expect(r.problems).toEqual([]);
  for (const [rel, data] of Object.entries(CONTENT)) {
    expect(fs.readFileSync(path.join(target, src, rel)).equals(Buffer.from(data)), rel).toBe(true);
  }
}

describe('stray files among the repository files', () => {
  it('a .DS_Store in index/, snapshots/ and packs/ stops nothing, and each is named', async () => {
    const f = await fixture('stray');
    for (const dir of ['index', 'snapshots', 'packs', 'packs/00', 'keys', 'locks'])
      fs.writeFileSync(path.join(f.repoDir, dir, '.DS_Store'), 'Finder was here');

    const cliBackup = await runCli(['-r', f.repoDir, 'backup', f.src], { STRONGROOM_PASSWORD: PASSWORD });
    expect(cliBackup.code, cliBackup.stderr).toBe(0);
    expect(cliBackup.stderr).toContain('index/.DS_Store: not a repository file');
    expect(cliBackup.stderr).toContain('packs/*/.DS_Store: not a repository file');

    const repo = await openRepo(f.repoDir);
    const snaps = await repo.listSnapshots();
    expect(snaps).toHaveLength(3);
    expect(repo.problems.map((p) => p.file)).toContain('snapshots/.DS_Store');
    const listed = await listTree(repo, snaps[0]!.tree, f.src);
    expect(listed.map((n) => path.relative(f.src, n.path))).toContain('dir/deeper/c.bin');
    await expectRestored(f.repoDir, f.first, f.src, path.join(work, 'stray-out'));

    await prune(await openRepo(f.repoDir));
    const after = await check(await openRepo(f.repoDir), { readDataPercent: 100 });
    expect(after.errors).toEqual([]);
    expect(after.warnings.join('\n')).toContain('index/.DS_Store');
    for (const s of [f.first, f.second])
      await expectRestored(f.repoDir, s, f.src, path.join(work, `stray-${s}`));
    const keys = await runCli(['-r', f.repoDir, 'key', 'list', '--json'], { STRONGROOM_PASSWORD: PASSWORD });
    expect(keys.code, keys.stderr).toBe(0);
    expect(JSON.parse(keys.stdout)).toHaveLength(1);
  });
});

describe('a damaged index file', () => {
  it('does not stop backup, ls or restore; prune refuses and deletes nothing; repair index clears it', async () => {
    const f = await fixture('index');
    const indexDir = path.join(f.repoDir, 'index');
    const damaged = fs.readdirSync(indexDir).sort()[0]!;
    flipByte(path.join(indexDir, damaged), 40);

    const repo = await openRepo(f.repoDir);
    writeFile(path.join(f.src, 'third.txt'), 'third run\n');
    const third = await backup(repo, { paths: [f.src] });
    expect(third.snapshot.partial).toBe(false);
    expect(repo.problems.map((p) => p.file)).toContain(`index/${damaged}`);
    expect(repo.problems.find((p) => p.file === `index/${damaged}`)!.reason).toMatch(/repair index/);

    // Blobs the damaged file indexed are found from their packs' headers.
    const fresh = await openRepo(f.repoDir);
    await fresh.loadIndex({ recover: false });
    const listed = await listTree(fresh, (await fresh.findSnapshot(f.first)).tree, f.src);
    expect(listed.length).toBeGreaterThanOrEqual(5);
    await expectRestored(f.repoDir, f.first, f.src, path.join(work, 'index-out'));

    const before = repoFiles(f.repoDir);
    await expect(prune(await openRepo(f.repoDir))).rejects.toThrow(/repair index.*Nothing was deleted/);
    expect(repoFiles(f.repoDir)).toEqual(before);

    const checked = await check(await openRepo(f.repoDir));
    expect(checked.ok).toBe(false);
    expect(checked.errors.join('\n')).toContain(`index file ${damaged.slice(0, 16)}`);
    expect(checked.repairs).toEqual([REPAIR_INDEX]);

    const repaired = await repairIndex(await openRepo(f.repoDir));
    expect(repaired.unreadableIndexFiles).toEqual([damaged]);
    expect(fs.existsSync(path.join(indexDir, damaged))).toBe(false);
    const clean = await check(await openRepo(f.repoDir), { readDataPercent: 100 });
    expect(clean.errors).toEqual([]);
    expect(clean.warnings).toEqual([]);
    await prune(await openRepo(f.repoDir));
    await expectRestored(f.repoDir, f.first, f.src, path.join(work, 'index-out-2'));
  });
});

describe('a damaged snapshot file', () => {
  it('is left out and named; backups and other restores go on; prune refuses until it is forgotten', async () => {
    const f = await fixture('snapshot');
    const file = path.join(f.repoDir, 'snapshots', f.second);
    flipByte(file, 30);

    const repo = await openRepo(f.repoDir);
    expect((await repo.listSnapshots()).map((s) => s.id)).toEqual([f.first]);
    expect(repo.problems.map((p) => p.file)).toEqual([`snapshots/${f.second}`]);
    const next = await backup(repo, { paths: [f.src] });
    expect(next.snapshot.parent).toBe(f.first);
    await expectRestored(f.repoDir, f.first, f.src, path.join(work, 'snapshot-out'));
    await expect(
      restore(await openRepo(f.repoDir), f.second.slice(0, 8), { target: path.join(work, 'x') }),
    ).rejects.toThrow(
      new RegExp(`snapshot ${f.second.slice(0, 8)} cannot be read .*forget ${f.second.slice(0, 8)}`),
    );

    const listing = await runCli(['-r', f.repoDir, 'snapshots'], { STRONGROOM_PASSWORD: PASSWORD });
    expect(listing.code, listing.stderr).toBe(0);
    expect(listing.stderr).toContain(`warning: snapshots/${f.second}: cannot be read`);
    expect(listing.stdout).toContain(f.first.slice(0, 8));

    const before = repoFiles(f.repoDir);
    await expect(prune(await openRepo(f.repoDir))).rejects.toThrow(
      /cannot be read.*forget.*Nothing was deleted/,
    );
    expect(repoFiles(f.repoDir)).toEqual(before);

    const forget = await runCli(['-r', f.repoDir, 'forget', f.second.slice(0, 8)], {
      STRONGROOM_PASSWORD: PASSWORD,
    });
    expect(forget.code, forget.stderr).toBe(0);
    expect(forget.stdout).toMatch(/removed 1 snapshots: .*; kept 2/);
    expect(fs.existsSync(file)).toBe(false);
    await prune(await openRepo(f.repoDir));
    expect((await check(await openRepo(f.repoDir), { readDataPercent: 100 })).errors).toEqual([]);
    expect(packFiles(f.repoDir).length).toBeGreaterThan(0);
    await expectRestored(f.repoDir, next.snapshotId, f.src, path.join(work, 'snapshot-out-2'));
  });
});

describe('a damaged tree of the parent snapshot', () => {
  it('does not stop the next backup: it reads every file again and says why', async () => {
    const f = await fixture('parent-tree');
    const repo = await openRepo(f.repoDir);
    await repo.loadIndex();
    const root = repo.index.get((await repo.findSnapshot(f.second)).tree)!;
    const pack = packFiles(f.repoDir).find((p) => p.endsWith(root.pack))!;
    flipByte(pack, root.offset + Math.floor(root.length / 2));

    const warnings: string[] = [];
    const next = await backup(await openRepo(f.repoDir), {
      paths: [f.src],
      onProblem: (p) => warnings.push(`${p.path}: ${p.reason}`),
    });
    expect(next.snapshot.parent).toBe(f.second);
    expect(next.snapshot.summary.filesUnmodified).toBe(0);
    expect(warnings.join('\n')).toMatch(new RegExp(f.second.slice(0, 8)));
    await expectRestored(f.repoDir, next.snapshotId, f.src, path.join(work, 'parent-tree-out'));
  });
});
