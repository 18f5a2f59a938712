/**
 * A backed-up path that passes through a symlinked folder (`backup /w/link/doc`): the snapshot holds
 * the real folder's metadata for that parent, so a restore elsewhere creates a folder with the real
 * folder's mode (not the link's 0777), and a restore to the original place follows the person's own
 * link instead of refusing it. A link of another user there is still not followed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { backup, restore, type EngineProblem } from '../../src-engine/index';
import { newRepo, tempDir, writeFile } from './helpers';

const asRoot = process.getuid?.() === 0;
let work: string;
beforeAll(async () => {
  work = await tempDir('symlinked-parents');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** `base/real/doc` (a folder of mode 0750 holding one file), `base/link` -> `base/real`; backs up `base/link/doc`. */
async function setup(label: string) {
  const base = path.join(work, label);
  const real = path.join(base, 'real');
  writeFile(path.join(real, 'doc/letter.txt'), 'Dear reader,\n');
  fs.chmodSync(real, 0o750);
  const link = path.join(base, 'link');
  fs.symlinkSync(real, link);
  const repo = await newRepo(path.join(base, 'repo'));
  const doc = path.join(link, 'doc');
  const b = await backup(repo, { paths: [doc] });
  return { base, real, link, doc, repo, snapshot: b.snapshot };
}

it("stores the real folder's metadata for a symlinked parent: restored elsewhere it has the real mode", async () => {
  const { link, repo } = await setup('elsewhere');
  const target = path.join(work, 'elsewhere-out');
  const res = await restore(repo, 'latest', { target });
  expect(res.problems).toEqual([]);
  const restored = fs.lstatSync(path.join(target, link));
  expect(restored.isDirectory()).toBe(true);
  expect((restored.mode & 0o7777).toString(8)).toBe('750');
  expect(fs.readFileSync(path.join(target, link, 'doc/letter.txt'), 'utf8')).toBe('Dear reader,\n');
});

it('restores to the original place through the same link, leaving the link and its folder as they are', async () => {
  const { real, link, doc, repo } = await setup('original');
  fs.writeFileSync(path.join(real, 'doc/letter.txt'), 'overwritten\n');
  fs.chmodSync(real, 0o700);
  const res = await restore(repo, 'latest', { target: '/', include: [doc] });
  expect(res.problems).toEqual([]);
  expect(fs.readFileSync(path.join(real, 'doc/letter.txt'), 'utf8')).toBe('Dear reader,\n');
  expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
  // The person's own folder behind the link keeps the mode it has now.
  expect((fs.statSync(real).mode & 0o7777).toString(8)).toBe('700');
});

it.runIf(asRoot)('does not follow a link of another user there', async () => {
  const { real, link, doc, repo } = await setup('other-user');
  fs.writeFileSync(path.join(real, 'doc/letter.txt'), 'overwritten\n');
  fs.lchownSync(link, 12345, 12345);
  const problems: EngineProblem[] = [];
  const res = await restore(repo, 'latest', {
    target: '/',
    include: [doc],
    onProblem: (p) => problems.push(p),
  });
  expect(res.problems).toEqual([
    {
      kind: 'not-restored',
      path: link,
      reason:
        'a symlink of another user (uid 12345) is in the way; it was not followed; nothing under it was restored',
    },
  ]);
  expect(fs.readFileSync(path.join(real, 'doc/letter.txt'), 'utf8')).toBe('overwritten\n');
});
