/**
 * Restoring a protected folder's contents straight into a chosen folder (restic's `snapshot:folder`):
 * no copy of the folders above it, nothing from beside it, their metadata untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { backup, restore } from '../../src-engine/index';
import { newRepo, openRepo, PASSWORD, runCli, tempDir, writeFile } from './helpers';

let work: string;
let repoDir: string;
let docs: string;
let photos: string;
let snapshotId: string;

/** Every path under `dir`, relative, folders with a trailing slash. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out.push(`${r}/`);
        walk(path.join(d, e.name), r);
      } else out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

beforeAll(async () => {
  work = await tempDir('strip-prefix');
  docs = path.join(work, 'home', 'me', 'Documents');
  photos = path.join(work, 'home', 'me', 'Photos');
  writeFile(path.join(docs, 'Facture n° 122.txt'), 'facture\n');
  writeFile(path.join(docs, 'taxes', '2026.pdf'), 'pdf\n');
  fs.mkdirSync(path.join(docs, 'empty'));
  writeFile(path.join(photos, 'cat.jpg'), 'cat\n');
  repoDir = path.join(work, 'repo');
  ({ snapshotId } = await backup(await newRepo(repoDir), { paths: [docs, photos] }));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('restore with stripPrefix', () => {
  it('puts the folder’s contents at the top of the target, and nothing from beside it', async () => {
    const target = path.join(work, 'out-docs');
    fs.mkdirSync(target, { mode: 0o750 });
    const modeBefore = fs.statSync(target).mode;
    const r = await restore(await openRepo(repoDir), snapshotId, { target, stripPrefix: docs });
    expect(tree(target)).toEqual(['Facture n° 122.txt', 'empty/', 'taxes/', 'taxes/2026.pdf']);
    expect(fs.readFileSync(path.join(target, 'taxes', '2026.pdf'), 'utf8')).toBe('pdf\n');
    expect(r.filesRestored).toBe(2);
    // The target is the person's folder, not a copy of Documents: its mode stays theirs.
    expect(fs.statSync(target).mode).toBe(modeBefore);
  });

  it('keeps the folders between the prefix and what was chosen, with include', async () => {
    const target = path.join(work, 'out-include');
    await restore(await openRepo(repoDir), snapshotId, {
      target,
      stripPrefix: path.dirname(docs),
      include: [path.join(docs, 'taxes')],
    });
    expect(tree(target)).toEqual(['Documents/', 'Documents/taxes/', 'Documents/taxes/2026.pdf']);
  });

  it('refuses a prefix the backup does not hold, and restores an empty folder as nothing', async () => {
    await expect(
      restore(await openRepo(repoDir), snapshotId, {
        target: path.join(work, 'out-none'),
        stripPrefix: path.join(work, 'home', 'me', 'Music'),
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const empty = path.join(work, 'out-empty');
    const r = await restore(await openRepo(repoDir), snapshotId, {
      target: empty,
      stripPrefix: path.join(docs, 'empty'),
    });
    expect(r.filesRestored).toBe(0);
    expect(tree(empty)).toEqual([]);
  });

  it('is --strip-prefix on the command line', async () => {
    const target = path.join(work, 'out-cli');
    const run = await runCli(
      ['-r', repoDir, 'restore', 'latest', '--target', target, '--strip-prefix', photos],
      {
        STRONGROOM_PASSWORD: PASSWORD,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(tree(target)).toEqual(['cat.jpg']);
  });
});
