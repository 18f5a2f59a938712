/**
 * UtilityProcessEngineRunner (the app's runner) over a fake utilityProcess that is a real forked child
 * seen from inside as Electron's utility process (process.parentPort): the job process's parentPort
 * path and the adapter's use of postMessage / 'message' / 'exit' / kill, with the real engine.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEV_JOB_PROCESS_ENTRY } from '../../src-main/adapters/forked-engine-runner';
import {
  UtilityProcessEngineRunner,
  bundledJobProcessPath,
} from '../../src-main/adapters/utility-process-engine-runner';
import type { JobRequest } from '../../src-shared/job-protocol';
import { newRepo, PASSWORD, tempDir, writeFile } from '../engine/helpers';
import { fakeUtilityProcessFork } from './fixtures/fake-utility-process';
import { RunRecorder } from './job-process-helpers';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true, maxRetries: 10 });
});
const never = new AbortController().signal;

describe('UtilityProcessEngineRunner', { timeout: 120_000 }, () => {
  it('runs a backup in a utility process: ready, progress, log and done through parentPort', async () => {
    const base = await tempDir('jobproc-utility');
    dirs.push(base);
    const repo = path.join(base, 'repo');
    await newRepo(repo);
    writeFile(path.join(base, 'src', 'a.txt'), 'alpha');
    const { fork, started } = fakeUtilityProcessFork();
    const runner = new UtilityProcessEngineRunner(fork, DEV_JOB_PROCESS_ENTRY);
    const rec = new RunRecorder();
    const request: JobRequest = {
      op: 'backup',
      repo: { kind: 'local', path: repo },
      password: PASSWORD,
      paths: [path.join(base, 'src')],
      excludes: [],
      tags: ['item:u'],
      host: 'h',
    };
    const outcome = await runner.run(request, rec, never);
    expect(outcome).toMatchObject({ status: 'success', filesDone: 1, bytesDone: 5 });
    expect(rec.progress.some((p) => p.phase === 'backup')).toBe(true);
    expect(rec.logs.some((l) => l.message.startsWith('Backed up 1 file'))).toBe(true);
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({
      modulePath: DEV_JOB_PROCESS_ENTRY,
      options: { serviceName: 'Strongroom job' },
    });
    expect(rec.everything(outcome)).not.toContain(PASSWORD);
  });

  it("a repository session's utility process answers several queries, then ends when told", async () => {
    const base = await tempDir('jobproc-utility-session');
    dirs.push(base);
    const repo = path.join(base, 'repo');
    await newRepo(repo);
    const { fork, started } = fakeUtilityProcessFork();
    const runner = new UtilityProcessEngineRunner(fork, DEV_JOB_PROCESS_ENTRY);
    const session = runner.startSession();
    const request: JobRequest = { op: 'snapshots', repo: { kind: 'local', path: repo }, password: PASSWORD };
    for (let i = 0; i < 3; i++) {
      expect(await session.run(request, new RunRecorder(), never)).toMatchObject({
        status: 'success',
        value: { snapshots: [] },
      });
    }
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ options: { serviceName: 'Strongroom vault session' } });
    let gone = false;
    session.onGone(() => (gone = true));
    await session.end();
    expect(gone).toBe(true);
    expect(started[0]!.process.child.exitCode).toBe(0);
  });

  it('a utility process that dies mid-job resolves to a failed outcome', async () => {
    const base = await tempDir('jobproc-utility-kill');
    dirs.push(base);
    const repo = path.join(base, 'repo');
    await newRepo(repo);
    fs.mkdirSync(path.join(base, 'src'));
    fs.closeSync(fs.openSync(path.join(base, 'src', 'huge.img'), 'w'));
    fs.truncateSync(path.join(base, 'src', 'huge.img'), 1024 * 1024 * 1024);
    const { fork, started } = fakeUtilityProcessFork();
    const runner = new UtilityProcessEngineRunner(fork, DEV_JOB_PROCESS_ENTRY);
    const rec = new RunRecorder();
    const pending = runner.run(
      {
        op: 'backup',
        repo: { kind: 'local', path: repo },
        password: PASSWORD,
        paths: [path.join(base, 'src')],
        excludes: [],
        tags: [],
        host: 'h',
      },
      rec,
      never,
    );
    await rec.progressWhere((p) => p.phase === 'backup');
    started[0]!.process.child.kill('SIGKILL');
    const outcome = await pending;
    expect(outcome).toMatchObject({ status: 'failed', errorCode: 'PROCESS_CRASHED' });
    expect(outcome.message).toMatch(
      /^The job process stopped unexpectedly \(exit code 137\) before the backup finished/,
    );
  }, 120_000);

  it('finds the bundled job process beside main.js, unpacked from the asar archive', () => {
    expect(bundledJobProcessPath('file:///opt/Strongroom/resources/app.asar/dist/electron/main.js')).toBe(
      '/opt/Strongroom/resources/app.asar.unpacked/dist/electron/job-process.mjs',
    );
    expect(bundledJobProcessPath('file:///work/dist/electron/main.js')).toBe(
      '/work/dist/electron/job-process.mjs',
    );
  });
});
