/**
 * The snapshot walker (every node with its full path, depth first, skipping subtrees on request) and
 * content keys (equal for equal bytes, different otherwise), on real snapshots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  backup,
  contentKey,
  contentKeyBytes,
  walkTree,
  type Repository,
  type TreeNode,
  type WalkEntry,
} from '../../src-engine/index';
import { newRepo, openRepo, prng, tempDir, writeFile } from './helpers';

let work: string;
beforeAll(async () => {
  work = await tempDir('walk');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

async function collect(repo: Repository, tree: string, skip?: (e: WalkEntry) => boolean) {
  const out: WalkEntry[] = [];
  for await (const e of walkTree(repo, tree)) {
    out.push(e);
    if (skip?.(e)) e.skip();
  }
  return out;
}

describe('walkTree', () => {
  it('yields every node depth first with its full path, type, size and subtree', async () => {
    const src = path.join(work, 'basic');
    writeFile(path.join(src, 'a.txt'), 'alpha\n');
    writeFile(path.join(src, 'd/b.txt'), 'beta!\n');
    writeFile(path.join(src, 'd/e/c.bin'), prng('c', 5000));
    fs.symlinkSync('a.txt', path.join(src, 'link'));
    const repo = await newRepo(path.join(work, 'basic-repo'));
    const { snapshot } = await backup(repo, { paths: [src] });
    const all = await collect(repo, snapshot.tree);
    const mine = all.filter((e) => e.path.startsWith(`${src}/`));
    expect(mine.map((e) => [e.path.slice(src.length), e.type, e.size])).toEqual([
      ['/a.txt', 'file', 6],
      ['/d', 'dir', undefined],
      ['/d/b.txt', 'file', 6],
      ['/d/e', 'dir', undefined],
      ['/d/e/c.bin', 'file', 5000],
      ['/link', 'symlink', undefined],
    ]);
    // The ancestors of the backed-up folder come first, each a directory with its subtree.
    expect(all[0]!.path).toBe(`/${src.split('/')[1]}`);
    expect(all[0]!.depth).toBe(1);
    for (const e of all) {
      expect(e.fsPath).toBe(e.path);
      if (e.type === 'dir') expect(e.subtree).toMatch(/^[0-9a-f]{64}$/);
    }
    const d = mine.find((e) => e.path === `${src}/d`)!;
    expect(mine.find((e) => e.path === `${src}/d/b.txt`)!.parentTree).toBe(d.subtree);
    expect(mine[0]!.mtimeNs).toBe(String(fs.statSync(path.join(src, 'a.txt'), { bigint: true }).mtimeNs));
  });

  it('skips the contents of a directory the caller skips, and nothing else', async () => {
    const src = path.join(work, 'skip');
    writeFile(path.join(src, 'keep/x.txt'), 'x');
    writeFile(path.join(src, 'skip/y.txt'), 'y');
    writeFile(path.join(src, 'skip/deeper/z.txt'), 'z');
    writeFile(path.join(src, 'zz.txt'), 'zz');
    const repo = await newRepo(path.join(work, 'skip-repo'));
    const { snapshot } = await backup(repo, { paths: [src] });
    const paths = (await collect(repo, snapshot.tree, (e) => e.path === `${src}/skip`))
      .map((e) => e.path)
      .filter((p) => p.startsWith(`${src}/`))
      .map((p) => p.slice(src.length));
    expect(paths).toEqual(['/keep', '/keep/x.txt', '/skip', '/zz.txt']);
  });

  it('skipping subtrees already seen walks only what changed in the second snapshot', async () => {
    const src = path.join(work, 'seen');
    for (let i = 0; i < 5; i++) writeFile(path.join(src, `d${i}/f.txt`), `file ${i}`);
    const repo = await newRepo(path.join(work, 'seen-repo'));
    const first = await backup(repo, { paths: [src] });
    writeFile(path.join(src, 'd3/f.txt'), 'changed');
    const second = await backup(repo, { paths: [src] });
    const seen = new Set<string>();
    await collect(repo, first.snapshot.tree, (e) => {
      if (e.subtree) seen.add(e.subtree);
      return false;
    });
    const walked = await collect(repo, second.snapshot.tree, (e) => !!e.subtree && seen.has(e.subtree));
    const files = walked.filter((e) => e.type === 'file').map((e) => e.path.slice(src.length));
    expect(files).toEqual(['/d3/f.txt']);
  });

  it('gives a name that is not UTF-8 as its exact bytes in fsPath and a printable path', async () => {
    const src = path.join(work, 'bytes');
    fs.mkdirSync(src, { recursive: true });
    const dirName = Buffer.from([0x72, 0xe9, 0x73, 0xff]);
    const fileName = Buffer.from([0x63, 0x61, 0x66, 0xe9]);
    const dirPath = Buffer.concat([Buffer.from(`${src}/`), dirName]);
    fs.mkdirSync(dirPath);
    fs.writeFileSync(Buffer.concat([dirPath, Buffer.from('/'), fileName]), 'x');
    const repo = await newRepo(path.join(work, 'bytes-repo'));
    const { snapshot } = await backup(repo, { paths: [src] });
    const mine = (await collect(repo, snapshot.tree)).filter((e) => e.path.startsWith(`${src}/`));
    expect(mine.map((e) => e.path.slice(src.length))).toEqual(['/r\\xe9s\\xff', '/r\\xe9s\\xff/caf\\xe9']);
    expect(Buffer.isBuffer(mine[1]!.fsPath)).toBe(true);
    expect(mine[1]!.fsPath).toEqual(Buffer.concat([dirPath, Buffer.from('/'), fileName]));
    expect(fs.readFileSync(mine[1]!.fsPath).toString()).toBe('x');
  });

  it('throws on an unreadable tree, or reports it and goes on when asked to', async () => {
    const src = path.join(work, 'damaged');
    writeFile(path.join(src, 'a/x.txt'), 'x');
    writeFile(path.join(src, 'b/y.txt'), 'y');
    const { snapshot } = await backup(await newRepo(path.join(work, 'damaged-repo')), { paths: [src] });
    // A fresh opening (no cached trees) whose index has lost the tree of a/.
    const repo = await openRepo(path.join(work, 'damaged-repo'));
    const a = (await collect(repo, snapshot.tree)).find((e) => e.path === `${src}/a`)!;
    repo.clearIndex();
    await repo.loadIndex();
    repo.index.delete(a.subtree!);
    await expect(collect(repo, snapshot.tree)).rejects.toThrow(/is not in the index/);
    const reported: string[] = [];
    const rest: string[] = [];
    for await (const e of walkTree(repo, snapshot.tree, { onUnreadable: (p) => reported.push(p) }))
      rest.push(e.path);
    expect(reported).toEqual([`${src}/a`]);
    expect(rest).toContain(`${src}/b/y.txt`);
    expect(rest).not.toContain(`${src}/a/x.txt`);
  });
});

describe('contentKey', () => {
  it('is equal for equal bytes and different otherwise, whatever the name, time or mode', async () => {
    const src = path.join(work, 'keys');
    const big = prng('big', 100_000);
    writeFile(path.join(src, 'one.bin'), big);
    writeFile(path.join(src, 'sub/copy.bin'), big, 0o600);
    const changed = Buffer.from(big);
    changed[50_000] = changed[50_000]! ^ 1;
    writeFile(path.join(src, 'changed.bin'), changed);
    writeFile(path.join(src, 'short.bin'), big.subarray(0, 99_999));
    writeFile(path.join(src, 'empty1'), '');
    writeFile(path.join(src, 'sub/empty2'), '');
    fs.utimesSync(path.join(src, 'sub/copy.bin'), 1000, 1000);
    fs.symlinkSync('one.bin', path.join(src, 'l1'));
    fs.symlinkSync('one.bin', path.join(src, 'sub/l2'));
    fs.symlinkSync('two.bin', path.join(src, 'l3'));
    writeFile(path.join(src, 'd1/f'), 'same');
    writeFile(path.join(src, 'd2/f'), 'will change');
    const repo = await newRepo(path.join(work, 'keys-repo'));
    const { snapshot } = await backup(repo, { paths: [src] });
    const key = new Map<string, string>();
    for await (const e of walkTree(repo, snapshot.tree))
      key.set(e.path.slice(src.length), contentKey(e.node));
    expect(key.get('/one.bin')).toMatch(/^[0-9a-f]{64}$/);
    expect(key.get('/sub/copy.bin')).toBe(key.get('/one.bin'));
    expect(key.get('/changed.bin')).not.toBe(key.get('/one.bin'));
    expect(key.get('/short.bin')).not.toBe(key.get('/one.bin'));
    expect(key.get('/sub/empty2')).toBe(key.get('/empty1'));
    expect(key.get('/empty1')).not.toBe(key.get('/one.bin'));
    expect(key.get('/sub/l2')).toBe(key.get('/l1'));
    expect(key.get('/l3')).not.toBe(key.get('/l1'));
    // A symlink is never keyed like a file, nor a directory like its contents.
    expect(key.get('/l1')).not.toBe(key.get('/one.bin'));
    expect(key.get('/d1')).not.toBe(key.get('/d1/f'));

    // A directory keeps its key while nothing below it changes.
    writeFile(path.join(src, 'd2/f'), 'changed');
    const second = await backup(repo, { paths: [src] });
    const again = new Map<string, string>();
    for await (const e of walkTree(repo, second.snapshot.tree))
      again.set(e.path.slice(src.length), contentKey(e.node));
    expect(again.get('/d1')).toBe(key.get('/d1'));
    expect(again.get('/d2')).not.toBe(key.get('/d2'));
    expect(again.get('/one.bin')).toBe(key.get('/one.bin'));
  });

  it('is the SHA-256 of the documented fields, whatever way it is computed', () => {
    const sha = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');
    const id = (c: string) => c.repeat(64);
    const cases: [Partial<TreeNode>, Buffer | string][] = [
      [{ type: 'file', content: [] }, 'file'],
      [{ type: 'file', content: [id('a'), id('b')] }, `file\0${id('a')}\0${id('b')}`],
      [{ type: 'dir', subtree: id('c') }, `dir\0${id('c')}`],
      [{ type: 'symlink', target: 'été/../x' }, 'symlink\0été/../x'],
      [
        { type: 'symlink', targetBytes: Buffer.from([0xff, 0, 0x41]).toString('base64') },
        Buffer.from([...Buffer.from('symlink\0'), 0xff, 0, 0x41]),
      ],
      [{ type: 'chardev', rdev: '1025' }, 'chardev\u00001025'],
      [{ type: 'fifo' }, 'fifo\0'],
    ];
    for (const [node, input] of cases) {
      expect(contentKey(node as TreeNode)).toBe(sha(input));
      expect(contentKeyBytes(node as TreeNode).toString('hex')).toBe(sha(input));
    }
  });
});
