/**
 * Under an ordinary open-file limit, backup and restore of thousands of files keep every file: the
 * engine bounds its own open files instead of failing files with EMFILE.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { tempDir, writeFile } from './helpers';

const CHILD = fileURLToPath(new URL('./fixtures/backup-restore-child.ts', import.meta.url));
const FILES = 3000;
let work: string;
beforeAll(async () => {
  work = await tempDir('open-files');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

it('restores every one of 3,000 files with `ulimit -n 256`, and says nothing is missing', async () => {
  const src = path.join(work, 'src');
  for (let i = 0; i < FILES; i++)
    writeFile(path.join(src, `d${i % 30}`, `f${i}.txt`), `file ${i}\n`.repeat(1 + (i % 50)));
  const target = path.join(work, 'out');
  const { stdout } = await promisify(execFile)(
    'bash',
    [
      '-c',
      'ulimit -n 256 && exec "$0" --import tsx "$@"',
      process.execPath,
      CHILD,
      src,
      path.join(work, 'repo'),
      target,
    ],
    { cwd: fileURLToPath(new URL('../..', import.meta.url)), maxBuffer: 64 * 1024 * 1024, timeout: 240_000 },
  );
  const out = JSON.parse(stdout) as {
    partial: boolean;
    restore: { filesRestored: number; problems?: unknown[] };
    warnings: string[];
  };
  expect(out.warnings).toEqual([]);
  expect(out.partial).toBe(false);
  expect(out.restore.problems).toEqual([]);
  expect(out.restore.filesRestored).toBe(FILES);
  let found = 0;
  for (let d = 0; d < 30; d++) found += fs.readdirSync(path.join(target, src, `d${d}`)).length;
  expect(found).toBe(FILES);
  expect(fs.readFileSync(path.join(target, src, 'd7', 'f2107.txt'), 'utf8')).toBe(
    'file 2107\n'.repeat(1 + (2107 % 50)),
  );
}, 300_000);
