/**
 * Extended attributes, POSIX ACLs among them, are backed up and restored; where they cannot be
 * restored, each path is named. (Python sets and reads them here, as the engine's helper does.)
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { backup, restore, type Repository } from '../../src-engine/index';
import { newRepo, tempDir, writeFile } from './helpers';

let work: string;
let repo: Repository;
let src: string;
const asRoot = process.getuid?.() === 0;

/** Every attribute of `p` (not following symlinks), as name -> hex value. */
function readXattrs(p: string): Record<string, string> {
  const out = execFileSync('python3', [
    '-c',
    'import os,sys,json; p=sys.argv[1]; print(json.dumps({n: os.getxattr(p,n,follow_symlinks=False).hex() for n in os.listxattr(p,follow_symlinks=False)}))',
    p,
  ]);
  return JSON.parse(out.toString()) as Record<string, string>;
}

function setXattr(p: string, name: string, hex: string): void {
  execFileSync('python3', [
    '-c',
    'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]))',
    p,
    name,
    hex,
  ]);
}

// An access ACL granting user 1000 read: user::rw-, user:1000:r--, group::r--, mask::r--, other::r--.
const ACL =
  '02000000' +
  '01000600ffffffff' +
  '02000400e8030000' +
  '04000400ffffffff' +
  '10000400ffffffff' +
  '20000400ffffffff';

beforeAll(async () => {
  work = await tempDir('xattrs');
  src = path.join(work, 'src');
  writeFile(path.join(src, 'tagged.txt'), 'with attributes\n');
  writeFile(path.join(src, 'folder/plain.txt'), 'without\n');
  writeFile(path.join(src, 'readonly.txt'), 'read only\n', 0o444);
  setXattr(
    path.join(src, 'tagged.txt'),
    'user.comment',
    Buffer.from('hello\0\xff', 'latin1').toString('hex'),
  );
  setXattr(path.join(src, 'readonly.txt'), 'user.origin', Buffer.from('kept').toString('hex'));
  setXattr(path.join(src, 'folder'), 'user.folder', '00');
  if (asRoot) setXattr(path.join(src, 'tagged.txt'), 'system.posix_acl_access', ACL);
  repo = await newRepo(path.join(work, 'repo'));
  const b = await backup(repo, { paths: [src] });
  expect(b.problems).toEqual([]);
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

it('restores extended attributes and ACLs of files and folders', async () => {
  const target = path.join(work, 'out');
  const res = await restore(repo, 'latest', { target });
  expect(res.problems).toEqual([]);
  for (const p of ['tagged.txt', 'readonly.txt', 'folder', 'folder/plain.txt']) {
    expect(readXattrs(path.join(target, src, p)), p).toEqual(readXattrs(path.join(src, p)));
  }
  expect(Object.keys(readXattrs(path.join(target, src, 'tagged.txt')))).toContain('user.comment');
  expect(fs.statSync(path.join(target, src, 'readonly.txt')).mode & 0o7777).toBe(0o444);
});

it('names every path whose attributes could not be restored', async () => {
  const target = path.join(work, 'out-no-helper');
  const saved = process.env.PATH;
  process.env.PATH = path.join(work, 'empty-path'); // no python3 to be found
  try {
    const res = await restore(repo, 'latest', { target });
    const named = res.problems.filter((f) => f.kind === 'metadata' && /extended attributes/.test(f.reason));
    expect(named.map((f) => f.path).sort()).toEqual(
      [src, 'folder', 'readonly.txt', 'tagged.txt']
        .slice(1)
        .map((p) => path.join(target, src, p))
        .sort(),
    );
  } finally {
    process.env.PATH = saved;
  }
  // The data itself is restored all the same.
  expect(fs.readFileSync(path.join(target, src, 'tagged.txt'), 'utf8')).toBe('with attributes\n');
});
