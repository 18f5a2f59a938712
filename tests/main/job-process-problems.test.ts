/**
 * The engine's problem records through the real job process: what only needed saying (a socket not
 * backed up, a parent folder's owner or mode that an ordinary user cannot set) is a record of its kind,
 * never a file counted as failed, and the job ends in Success.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEV_JOB_PROCESS_ENTRY, ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import type { JobRequest } from '../../src-shared/job-protocol';
import { newRepo, PASSWORD, tempDir, writeFile } from '../engine/helpers';
import { isRoot, RunRecorder } from './job-process-helpers';

const NOBODY = 65534;
/** As root, the job process runs as "nobody": an ordinary user, as a person's own backups run. */
const runner = isRoot ? new ForkedEngineRunner({ uid: NOBODY, gid: NOBODY }) : new ForkedEngineRunner();
const never = new AbortController().signal;
const nobodyCannotRun =
  isRoot &&
  spawnSync(
    process.execPath,
    [
      '-e',
      'for (const f of process.argv.slice(1)) require("fs").accessSync(f, require("fs").constants.R_OK)',
      DEV_JOB_PROCESS_ENTRY,
      fileURLToPath(new URL('../../node_modules/tsx/package.json', import.meta.url)),
    ],
    { uid: NOBODY, gid: NOBODY },
  ).status !== 0;

const dirs: string[] = [];
const servers: net.Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true, maxRetries: 10 });
});

/** Everything under `p` (and `p`) to the job process's user, as a person's own files are. */
function giveToJobUser(p: string): void {
  if (!isRoot) return;
  fs.chownSync(p, NOBODY, NOBODY);
  for (const n of fs.readdirSync(p, { recursive: true }))
    fs.lchownSync(path.join(p, String(n)), NOBODY, NOBODY);
}

/** A folder the test owns, open to the job process's user for reading only (as /home is). */
async function rootOwnedBase(label: string): Promise<string> {
  const base = await tempDir(`problems-${label}`);
  dirs.push(base);
  fs.chmodSync(base, 0o755);
  return base;
}

async function repoFor(base: string): Promise<string> {
  const repo = path.join(base, 'repo');
  await newRepo(repo);
  giveToJobUser(repo);
  return repo;
}

function backupRequest(repo: string, paths: string[]): JobRequest {
  return {
    op: 'backup',
    repo: { kind: 'local', path: repo },
    password: PASSWORD,
    paths,
    excludes: [],
    tags: ['item:a'],
    host: 'test-host',
  };
}

if (nobodyCannotRun)
  console.log(
    `note: the job process cannot run as nobody (uid ${NOBODY}) here, since it cannot read its own code: the problem-record tests are skipped`,
  );
describe.skipIf(nobodyCannotRun)('problem records through the job process', { timeout: 120_000 }, () => {
  it('a socket in a backed-up folder is a note, not a failed file: the backup ends in Success', async () => {
    const base = await rootOwnedBase('socket');
    const repo = await repoFor(base);
    const src = path.join(base, 'src');
    writeFile(path.join(src, 'letter.txt'), 'Dear reader,\n');
    const sock = path.join(src, 'agent.sock');
    const server = net.createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    giveToJobUser(src);

    const rec = new RunRecorder();
    const outcome = await runner.run(backupRequest(repo, [src]), rec, never);
    expect(outcome).toMatchObject({ status: 'success', errorCode: null, filesFailed: 0, filesDone: 1 });
    expect(rec.problems).toEqual([{ kind: 'note', path: sock, reason: expect.stringContaining('socket') }]);
  });

  it("a restore to the original place whose parent folders are not the user's ends in Success, their metadata a record", async () => {
    // base (the test's, like / and /home) / home (the test's) / me (the job user's, like a home folder).
    const base = await rootOwnedBase('original');
    const repo = await repoFor(base);
    const home = path.join(base, 'home');
    const mine = path.join(home, 'me');
    writeFile(path.join(mine, 'docs', 'letter.txt'), 'Dear reader,\n');
    writeFile(path.join(mine, 'notes.md'), '# notes\n');
    fs.chmodSync(home, 0o755);
    giveToJobUser(mine);
    const backedUp = await runner.run(backupRequest(repo, [mine]), new RunRecorder(), never);
    expect(backedUp.status).toBe('success');

    // The person loses a file and changes another, then puts everything back where it was.
    fs.rmSync(path.join(mine, 'docs', 'letter.txt'));
    fs.writeFileSync(path.join(mine, 'notes.md'), 'scribbled over');
    const rec = new RunRecorder();
    const outcome = await runner.run(
      {
        op: 'restore',
        repo: { kind: 'local', path: repo },
        password: PASSWORD,
        snapshotId: backedUp.snapshotId!,
        include: [],
        target: '/',
        conflict: 'overwrite',
      },
      rec,
      never,
    );
    expect(outcome).toMatchObject({ status: 'success', errorCode: null, filesFailed: 0, filesDone: 2 });
    expect(outcome.message).not.toContain('could not be restored');
    expect(fs.readFileSync(path.join(mine, 'docs', 'letter.txt'), 'utf8')).toBe('Dear reader,\n');
    expect(fs.readFileSync(path.join(mine, 'notes.md'), 'utf8')).toBe('# notes\n');
    // The folders on the way belong to someone else: restored, but their metadata could not be set.
    expect(rec.problems.length).toBeGreaterThan(0);
    expect(rec.problems.every((p) => p.kind === 'metadata')).toBe(true);
    expect(rec.problems.map((p) => p.path)).toContain(home);
  });
});
