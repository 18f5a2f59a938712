/**
 * "Keep both": a restore beside a file already there names what it wrote, so the app can say which
 * file is the restored one and show it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { backup, restore } from '../../src-engine/index';
import { newRepo, openRepo, tempDir, writeFile } from './helpers';

let work: string;
beforeAll(async () => {
  work = await tempDir('kept-both');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

it('lists each file restored under a new name beside the one there, and only those', async () => {
  const src = path.join(work, 'src');
  const invoice = path.join(src, 'Facture n° 122.txt');
  writeFile(invoice, 'first\n');
  writeFile(path.join(src, 'notes.txt'), 'notes\n');
  const repoDir = path.join(work, 'repo');
  const { snapshotId } = await backup(await newRepo(repoDir), { paths: [src] });
  fs.writeFileSync(invoice, 'changed since\n');
  fs.rmSync(path.join(src, 'notes.txt'));

  const r = await restore(await openRepo(repoDir), snapshotId, { target: '/', conflict: 'keep-both' });
  const restoredAs = path.join(src, 'Facture n° 122 (restored).txt');
  expect(r.keptBoth).toEqual([{ path: invoice, restoredAs }]);
  expect(fs.readFileSync(restoredAs, 'utf8')).toBe('first\n');
  expect(fs.readFileSync(invoice, 'utf8')).toBe('changed since\n');
  // notes.txt was not there: restored under its own name, and not listed.
  expect(fs.readFileSync(path.join(src, 'notes.txt'), 'utf8')).toBe('notes\n');

  const overwrite = await restore(await openRepo(repoDir), snapshotId, {
    target: '/',
    conflict: 'overwrite',
  });
  expect(overwrite.keptBoth).toEqual([]);
});
