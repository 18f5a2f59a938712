/**
 * "Save a copy as…" in the real job process (forked through tsx) on the real engine: one file of a
 * backup written to exactly the chosen path, the conflict choices applied to that path, refusals in
 * words, and never a partial file (nor the private staging folder) left behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import { STAGING_PREFIX } from '../../src-main/job-process/save-copy-op';
import type { JobRequest } from '../../src-shared/job-protocol';
import { newRepo, packFiles, PASSWORD, prng, tempDir, writeFile } from '../engine/helpers';
import { RunRecorder } from './job-process-helpers';

const runner = new ForkedEngineRunner();
const never = new AbortController().signal;
const dirs: string[] = [];
async function folder(label: string): Promise<string> {
  const d = await tempDir(`savecopy-${label}`);
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true, maxRetries: 10 });
});

let repo: string;
let src: string;
let first: string;
const letter = () => path.join(src, 'docs', 'letter.txt');
const bigFile = () => path.join(src, 'big.bin');
const big = prng('save-copy-big', 1024 * 1024);

async function run(request: JobRequest) {
  const rec = new RunRecorder();
  const outcome = await runner.run(request, rec, never);
  expect(rec.everything(outcome)).not.toContain(PASSWORD);
  return { outcome, rec };
}

function saveCopy(saveAs: string, over: Partial<Extract<JobRequest, { op: 'restore' }>> = {}): JobRequest {
  return {
    op: 'restore',
    repo: { kind: 'local', path: repo },
    password: PASSWORD,
    snapshotId: first,
    include: [letter()],
    target: path.dirname(saveAs),
    conflict: 'keep-both',
    saveAs,
    ...over,
  };
}

/** What a folder holds, staging folders included (they begin with a dot). */
function names(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

beforeAll(async () => {
  repo = await folder('repo');
  await newRepo(repo);
  src = await folder('src');
  writeFile(letter(), 'Dear reader,\n');
  writeFile(bigFile(), big);
  const mtime = new Date('2025-03-04T05:06:07Z');
  fs.utimesSync(letter(), mtime, mtime);
  const { outcome } = await run({
    op: 'backup',
    repo: { kind: 'local', path: repo },
    password: PASSWORD,
    paths: [src],
    excludes: [],
    tags: ['item:a'],
    host: 'test-host',
  });
  expect(outcome.status).toBe('success');
  first = outcome.snapshotId!;
  // The file changes after the backup: the copy must be the backed-up version.
  writeFile(letter(), 'Changed since the backup\n');
}, 120_000);

describe('Save a copy as…', { timeout: 120_000 }, () => {
  it('writes the one file to exactly the chosen path, with its bytes and time, and nothing else', async () => {
    const out = await folder('out');
    const saveAs = path.join(out, 'letter from March.txt');
    const { outcome, rec } = await run(saveCopy(saveAs));
    expect(outcome).toMatchObject({ status: 'success', filesDone: 1, bytesDone: 13, filesFailed: 0 });
    expect(outcome.message).toBe(`Saved a copy of ${letter()} (13 B) as ${saveAs}.`);
    expect(fs.readFileSync(saveAs, 'utf8')).toBe('Dear reader,\n');
    expect(fs.statSync(saveAs).mtime.toISOString()).toBe('2025-03-04T05:06:07.000Z');
    expect(names(out)).toEqual(['letter from March.txt']);
    expect(rec.progress.length).toBeGreaterThan(0);
    expect(rec.progress.every((p) => p.phase === 'restore' && p.currentFile === saveAs)).toBe(true);
  });

  it('applies the conflict choice to the chosen path: keep both, skip, overwrite', async () => {
    const out = await folder('conflict');
    const saveAs = path.join(out, 'letter.txt');
    fs.writeFileSync(saveAs, 'already here');

    const both = await run(saveCopy(saveAs, { conflict: 'keep-both' }));
    expect(both.outcome.status).toBe('success');
    expect(fs.readFileSync(saveAs, 'utf8')).toBe('already here');
    expect(fs.readFileSync(path.join(out, 'letter (restored).txt'), 'utf8')).toBe('Dear reader,\n');
    const again = await run(saveCopy(saveAs, { conflict: 'keep-both' }));
    expect(again.outcome.message).toContain(path.join(out, 'letter (restored 2).txt'));

    const skip = await run(saveCopy(saveAs, { conflict: 'skip' }));
    expect(skip.outcome).toMatchObject({ status: 'success', filesDone: 0 });
    expect(skip.outcome.message).toBe(`${saveAs} is already there and was kept: nothing was saved.`);
    expect(fs.readFileSync(saveAs, 'utf8')).toBe('already here');

    const overwrite = await run(saveCopy(saveAs, { conflict: 'overwrite' }));
    expect(overwrite.outcome).toMatchObject({ status: 'success', filesDone: 1 });
    expect(fs.readFileSync(saveAs, 'utf8')).toBe('Dear reader,\n');
    expect(names(out)).toEqual(['letter (restored 2).txt', 'letter (restored).txt', 'letter.txt']);
  });

  it('refuses a folder, two paths, a path the backup lacks and a folder as the name, writing nothing', async () => {
    const out = await folder('refused');
    const saveAs = path.join(out, 'copy');
    const folderCopy = await run(saveCopy(saveAs, { include: [path.join(src, 'docs')] }));
    expect(folderCopy.outcome).toMatchObject({ status: 'failed', errorCode: 'INVALID_ARGUMENT' });
    expect(folderCopy.outcome.message).toBe(
      `${path.join(src, 'docs')} is a folder: Save a copy as… saves one file. Restore it to a folder instead.`,
    );
    const two = await run(saveCopy(saveAs, { include: [letter(), bigFile()] }));
    expect(two.outcome).toMatchObject({ status: 'failed', errorCode: 'INVALID_ARGUMENT' });
    expect(two.outcome.message).toContain('saves exactly one file; 2 paths were given');
    const missing = await run(saveCopy(saveAs, { include: [path.join(src, 'nothing.txt')] }));
    expect(missing.outcome).toMatchObject({ status: 'failed', errorCode: 'NOT_FOUND' });
    expect(missing.outcome.message).toContain(`${path.join(src, 'nothing.txt')} is not in backup`);
    const intoFolder = await run(saveCopy(out));
    expect(intoFolder.outcome).toMatchObject({ status: 'failed', errorCode: 'INVALID_ARGUMENT' });
    expect(intoFolder.outcome.message).toBe(`${out} is a folder: give the name of the file to save.`);
    expect(names(out)).toEqual([]);
  });

  it('a damaged backup fails the copy and leaves neither a partial file nor the staging folder', async () => {
    // Every pack damaged in the middle: the file's data cannot be read whole.
    const damaged = await folder('damaged-repo');
    fs.cpSync(repo, damaged, { recursive: true });
    for (const pack of packFiles(damaged)) {
      const bytes = fs.readFileSync(pack);
      const at = Math.floor(bytes.length / 2);
      bytes[at] = bytes[at]! ^ 0xff;
      fs.writeFileSync(pack, bytes);
    }
    const out = await folder('damaged-out');
    const saveAs = path.join(out, 'big copy.bin');
    const { outcome } = await run(
      saveCopy(saveAs, { repo: { kind: 'local', path: damaged }, include: [bigFile()] }),
    );
    expect(outcome.status).toBe('failed');
    expect(fs.existsSync(saveAs)).toBe(false);
    expect(names(out).filter((n) => n.startsWith(STAGING_PREFIX))).toEqual([]);
    expect(names(out)).toEqual([]);
  });
});
