/**
 * The engine's problems are records (kind, path, reason, errno), and the CLI's summary and exit code
 * follow the kinds: notes and metadata problems are said and exit 0; a path left out exits 3.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { backup, restore, type EngineProblem } from '../../src-engine/index';
import { CLI, newRepo, PASSWORD, runCli, tempDir, writeFile, type CliRun } from './helpers';

const env = { STRONGROOM_PASSWORD: PASSWORD };
const asRoot = process.getuid?.() === 0;
let work: string;
beforeAll(async () => {
  work = await tempDir('problem-records');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('a socket in a backed-up folder', () => {
  it('is a note: said (in --json too), not a file left out, exit 0', async () => {
    const src = path.join(work, 'socket', 'src');
    writeFile(path.join(src, 'a.txt'), 'alpha\n');
    const sock = path.join(src, 'app.sock');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      const repoDir = path.join(work, 'socket', 'repo');
      const problems: EngineProblem[] = [];
      const b = await backup(await newRepo(repoDir), { paths: [src], onProblem: (p) => problems.push(p) });
      expect(problems).toEqual([{ kind: 'note', path: sock, reason: expect.stringMatching(/socket/) }]);
      expect(b.problems).toEqual(problems);
      expect(b.snapshot.partial).toBe(false);

      const r = await runCli(['-r', repoDir, '--json', 'backup', src], env);
      expect(r.code, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout) as { partial: boolean; problems: EngineProblem[] };
      expect(result.partial).toBe(false);
      expect(result.problems).toEqual([expect.objectContaining({ kind: 'note', path: sock })]);
      expect(r.stderr).toContain(`note: ${sock}: socket not backed up`);
      const text = await runCli(['-r', repoDir, 'backup', src], env);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/1 notes \(above\); nothing is missing for them/);
      expect(text.stdout).not.toMatch(/left out/);
    } finally {
      server.close();
    }
  });
});

/** The uid and gid of "nobody", or why the CLI cannot run as it here. */
function nobody(): { uid: number; gid: number } | { problem: string } {
  if (!asRoot) return { problem: 'not running as root, so the CLI cannot run as another user' };
  const probe = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'true']);
  if (probe.error || probe.status !== 0) return { problem: 'setpriv cannot run a program as uid 65534' };
  return { uid: 65534, gid: 65534 };
}

function runAsNobody(args: string[]): CliRun {
  const r = spawnSync(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, ...args],
    { env: { ...process.env, ...env }, encoding: 'utf8' },
  );
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe('a restore to the original place as an ordinary user', () => {
  const who = nobody();
  if ('problem' in who) console.log(`skipped: ${who.problem}`);

  it.runIf(!('problem' in who))(
    'restores every file; the parent folders it may not change are metadata notes, exit 0',
    async () => {
      const { uid, gid } = who as { uid: number; gid: number };
      const base = path.join(work, 'original-place');
      fs.mkdirSync(base, { recursive: true });
      // The ordinary user must reach the folders mkdtemp made private; they stay root's.
      for (let d = base; d !== path.dirname(work); d = path.dirname(d)) fs.chmodSync(d, 0o755);
      const src = path.join(base, 'src');
      writeFile(path.join(src, 'letter.txt'), 'Dear reader,\n');
      const repoDir = path.join(base, 'repo');
      await backup(await newRepo(repoDir), { paths: [src] });
      spawnSync('chown', ['-R', `${uid}:${gid}`, repoDir, src]);
      fs.writeFileSync(path.join(src, 'letter.txt'), 'overwritten\n');

      const r = runAsNobody(['-r', repoDir, 'restore', 'latest', '--target', '/', '--include', src]);
      expect(r.code, r.stderr).toBe(0);
      expect(fs.readFileSync(path.join(src, 'letter.txt'), 'utf8')).toBe('Dear reader,\n');
      // The folders above the backed-up one belong to root: their mode and times stay as they are.
      expect(r.stderr).toContain(`metadata not kept: ${base}: its owner, mode or times could not be set`);
      expect(r.stdout).toMatch(/paths were restored without some of their metadata/);
      expect(r.stdout).not.toMatch(/INCOMPLETE/);
    },
  );
});

describe('restore records', () => {
  it('name where each path was to go, with the reason and the errno code', async () => {
    const src = path.join(work, 'records', 'src');
    writeFile(path.join(src, 'docs/letter.txt'), 'Dear reader,\n');
    writeFile(path.join(src, 'docs/other.txt'), 'other\n');
    const repo = await newRepo(path.join(work, 'records', 'repo'));
    await backup(repo, { paths: [src] });
    const target = path.join(work, 'records', 'out');
    // A folder where the file should go: the engine refuses to replace it.
    fs.mkdirSync(path.join(target, src, 'docs', 'letter.txt'), { recursive: true });
    const seen: EngineProblem[] = [];
    const res = await restore(repo, 'latest', { target, onProblem: (p) => seen.push(p) });
    expect(res.problems).toEqual([
      {
        kind: 'not-restored',
        path: path.join(target, src, 'docs', 'letter.txt'),
        reason: expect.stringMatching(/directory is in the way/),
        errno: expect.stringMatching(/^E[A-Z]+$/),
      },
    ]);
    expect(seen).toEqual(res.problems);
    expect(fs.readFileSync(path.join(target, src, 'docs', 'other.txt'), 'utf8')).toBe('other\n');
  });
});
