/**
 * A restore into a folder whose disk cannot take the selection stops before writing anything and
 * says what the selection needs and how much room there is; when the person chooses "restore what
 * fits", the files that fit are restored and each one that did not is named. On a 4 MiB tmpfs, as
 * root where `mount` works (skipped, with the reason printed, elsewhere).
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import { backup } from '../../src-engine/index';
import type { JobRequest } from '../../src-shared/job-protocol';
import { newRepo, PASSWORD, prng, tempDir, writeFile } from '../engine/helpers';
import { RunRecorder } from './job-process-helpers';

const runner = new ForkedEngineRunner();
const never = new AbortController().signal;
let work: string;
let repo: string;
let src: string;
let snapshotId: string;
let mnt: string;
let noMount: string | undefined;

beforeAll(async () => {
  work = await tempDir('restore-space');
  repo = path.join(work, 'repo');
  src = path.join(work, 'src');
  // 6 MiB of incompressible files: more than the 4 MiB disk holds.
  for (let i = 0; i < 6; i++) writeFile(path.join(src, 'big', `${i}.bin`), prng(`big-${i}`, 1024 * 1024));
  writeFile(path.join(src, 'small', 'letter.txt'), 'Dear reader,\n');
  snapshotId = (await backup(await newRepo(repo), { paths: [src] })).snapshotId;
  mnt = path.join(work, 'disk');
  fs.mkdirSync(mnt);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (r.status !== 0) {
    noMount = `cannot mount a tmpfs here (${r.error?.message ?? r.stderr.trim()})`;
    console.log(`note: ${noMount}: the restore space tests are skipped`);
  }
});
afterAll(() => {
  if (!noMount) spawnSync('umount', ['-l', mnt]);
  fs.rmSync(work, { recursive: true, force: true });
});

function restoreRequest(
  target: string,
  extra: Partial<Extract<JobRequest, { op: 'restore' }>> = {},
): JobRequest {
  return {
    op: 'restore',
    repo: { kind: 'local', path: repo },
    password: PASSWORD,
    snapshotId,
    include: [],
    target,
    conflict: 'overwrite',
    ...extra,
  };
}

describe('restore into a folder that is too small', { timeout: 60_000 }, () => {
  it('stops before writing anything and says what it needs and what is free', async (ctx) => {
    if (noMount) ctx.skip();
    const target = path.join(mnt, 'first');
    const outcome = await runner.run(restoreRequest(target), new RunRecorder(), never);
    expect(outcome).toMatchObject({ status: 'failed', errorCode: 'DISK_FULL', filesDone: 0 });
    expect(outcome.message).toMatch(
      /^Not enough space: the files chosen need 6\.\d MB and .* has [34]\.\d MB free\./,
    );
    expect(outcome.message).toContain('Nothing was restored');
    const value = outcome.value?.op === 'restore' ? outcome.value : null;
    expect(value?.tooLittleSpace?.neededBytes).toBeGreaterThan(6 * 1024 * 1024);
    expect(value?.tooLittleSpace?.freeBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(fs.existsSync(target) ? fs.readdirSync(target) : []).toEqual([]);
  });

  it('a selection that fits is restored, whatever else the backup holds', async (ctx) => {
    if (noMount) ctx.skip();
    const target = path.join(mnt, 'letter');
    const outcome = await runner.run(
      restoreRequest(target, { include: [path.join(src, 'small')] }),
      new RunRecorder(),
      never,
    );
    expect(outcome).toMatchObject({ status: 'success', filesDone: 1 });
    expect(fs.readFileSync(path.join(target, src, 'small', 'letter.txt'), 'utf8')).toBe('Dear reader,\n');
    fs.rmSync(target, { recursive: true });
  });

  it('"restore what fits" restores what fits and names each file that did not', async (ctx) => {
    if (noMount) ctx.skip();
    const target = path.join(mnt, 'what-fits');
    const rec = new RunRecorder();
    const outcome = await runner.run(
      restoreRequest(target, { whenTooLittleSpace: 'restore-what-fits' }),
      rec,
      never,
    );
    expect(outcome.status).toBe('warning');
    expect(outcome.filesDone).toBeGreaterThan(0);
    expect(outcome.filesFailed).toBeGreaterThan(0);
    const missing = rec.problems.filter((p) => p.kind === 'not-restored').map((p) => p.path);
    expect(missing.length).toBe(outcome.filesFailed);
    for (let i = 0; i < 6; i++) {
      const file = path.join(src, 'big', `${i}.bin`);
      const restored = path.join(target, file);
      // Each big file is either restored whole or named (where it was to go); never silently cut short.
      if (missing.includes(restored)) continue;
      expect(fs.readFileSync(restored).equals(prng(`big-${i}`, 1024 * 1024))).toBe(true);
    }
  });
});
