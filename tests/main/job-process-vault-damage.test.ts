/**
 * A vault file the engine cannot use (a damaged index or backup record) is skipped so the job can go
 * on, and the job's record says so: its log names the file and the job ends Warning, never a quiet
 * Success. A file that is not the vault's at all (a Finder's .DS_Store) is said, and changes nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import type { JobRequest } from '../../src-shared/job-protocol';
import { backup } from '../../src-engine/index';
import { newRepo, PASSWORD, tempDir, writeFile } from '../engine/helpers';
import { RunRecorder } from './job-process-helpers';

const runner = new ForkedEngineRunner();
const never = new AbortController().signal;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true, maxRetries: 10 });
});

/** A vault with one backup of `src` (two files), and the source folder. */
async function vaultWithOneBackup(label: string): Promise<{ repo: string; src: string }> {
  const base = await tempDir(`vault-damage-${label}`);
  dirs.push(base);
  const repo = path.join(base, 'repo');
  const src = path.join(base, 'src');
  writeFile(path.join(src, 'letter.txt'), 'Dear reader,\n');
  writeFile(path.join(src, 'notes.md'), '# notes\n');
  await backup(await newRepo(repo), { paths: [src] });
  return { repo, src };
}

function backupRequest(repo: string, src: string): JobRequest {
  return {
    op: 'backup',
    repo: { kind: 'local', path: repo },
    password: PASSWORD,
    paths: [src],
    excludes: [],
    tags: ['item:a'],
    host: 'test-host',
  };
}

describe('vault files the engine skips, in the job record', { timeout: 60_000 }, () => {
  it('a damaged index file: the backup is saved, its log names the file, and it ends Warning', async () => {
    const { repo, src } = await vaultWithOneBackup('index');
    const [index] = fs.readdirSync(path.join(repo, 'index'));
    fs.writeFileSync(path.join(repo, 'index', index!), 'not sealed by anyone');

    const rec = new RunRecorder();
    const outcome = await runner.run(backupRequest(repo, src), rec, never);
    expect(outcome.status).toBe('warning');
    expect(outcome.snapshotId).toMatch(/^[0-9a-f]{64}$/);
    expect(outcome.message).toContain('1 file of the vault could not be read and was skipped');
    expect(outcome.message).toContain('Verify the vault');
    const entry = rec.logs.find((l) => l.path === `index/${index}`);
    expect(entry?.level).toBe('warning');
    expect(entry?.message).toMatch(/could not be read/);
    // Words for a person: no command of the engine's CLI to run.
    expect(entry?.message).not.toContain('repair index');
  });

  it('a damaged backup record: a restore of another backup ends Warning and restores every file', async () => {
    const { repo, src } = await vaultWithOneBackup('snapshot');
    const second = await runner.run(backupRequest(repo, src), new RunRecorder(), never);
    expect(second.status).toBe('success');
    const damaged = fs.readdirSync(path.join(repo, 'snapshots')).find((n) => n !== second.snapshotId)!;
    fs.writeFileSync(path.join(repo, 'snapshots', damaged), 'garbage');

    const target = path.join(path.dirname(repo), 'restored');
    const rec = new RunRecorder();
    const outcome = await runner.run(
      {
        op: 'restore',
        repo: { kind: 'local', path: repo },
        password: PASSWORD,
        snapshotId: second.snapshotId!,
        include: [],
        target,
        conflict: 'overwrite',
      },
      rec,
      never,
    );
    expect(outcome).toMatchObject({ status: 'warning', filesFailed: 0, filesDone: 2 });
    expect(rec.logs.find((l) => l.path === `snapshots/${damaged}`)?.level).toBe('warning');
    expect(fs.readFileSync(path.join(target, src, 'letter.txt'), 'utf8')).toBe('Dear reader,\n');
  });

  it("a file that is not the vault's (.DS_Store) is said in the log and the backup ends Success", async () => {
    const { repo, src } = await vaultWithOneBackup('stray');
    fs.writeFileSync(path.join(repo, 'snapshots', '.DS_Store'), 'Finder was here');

    const rec = new RunRecorder();
    const outcome = await runner.run(backupRequest(repo, src), rec, never);
    expect(outcome.status).toBe('success');
    expect(rec.logs.find((l) => l.path === 'snapshots/.DS_Store')?.level).toBe('info');
  });
});
