/**
 * The command-line paths no other test runs: unlock (stale and --remove-all), key remove and its refusal
 * to remove the last key, forget by id (with --host), options a command does not take, and exit code 3
 * for a backup and a restore that left something out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { backup } from '../../src-engine/index';
import { CLI, newRepo, openRepo, PASSWORD, runCli, tempDir, writeFile, type CliRun } from './helpers';

const env = { STRONGROOM_PASSWORD: PASSWORD };
let work: string;
beforeAll(async () => {
  work = await tempDir('cli-commands');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

async function repoWithSnapshot(label: string): Promise<{ repoDir: string; src: string; id: string }> {
  const repoDir = path.join(work, label, 'repo');
  const src = path.join(work, label, 'src');
  writeFile(path.join(src, 'a.txt'), 'alpha\n');
  const { snapshotId } = await backup(await newRepo(repoDir), { paths: [src] });
  return { repoDir, src, id: snapshotId };
}

describe('unlock', () => {
  it('removes a stale lock but keeps a live one; --remove-all removes that too', async () => {
    const { repoDir } = await repoWithSnapshot('unlock');
    const repo = await openRepo(repoDir);
    const live = await repo.lock(false, 'test holder');
    // A lock of a process that has exited, on this host: stale.
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    const now = Date.now();
    await repo.writeLock('0'.repeat(32), {
      exclusive: true,
      host: os.hostname(),
      pid: gone,
      username: 'someone',
      created: now,
      refreshed: now,
      command: 'prune',
    });
    try {
      const first = await runCli(['-r', repoDir, 'unlock', '--json'], env);
      expect(first.code, first.stderr).toBe(0);
      const r1 = JSON.parse(first.stdout) as { removed: string[]; kept: string[] };
      expect(r1.removed).toEqual([
        expect.stringMatching(new RegExp(`exclusive lock 00000000 .*pid ${gone} \\(prune\\)`)),
      ]);
      expect(r1.kept).toEqual([expect.stringMatching(/shared lock .*\(test holder\)/)]);
      expect(await repo.listLocks()).toEqual([live.id]);

      const text = await runCli(['-r', repoDir, 'unlock'], env);
      expect(text.stdout).toMatch(/no stale locks\nkept shared lock .*--remove-all removes it/);

      const all = await runCli(['-r', repoDir, 'unlock', '--remove-all'], env);
      expect(all.code, all.stderr).toBe(0);
      expect(all.stdout).toMatch(/^removed shared lock .*\(test holder\)/);
      expect(await repo.listLocks()).toEqual([]);
    } finally {
      await live.release();
    }
  });
});

describe('key remove', () => {
  it('removes a key by its id prefix, and refuses to remove the last one', async () => {
    const { repoDir } = await repoWithSnapshot('keys');
    const newPw = path.join(work, 'keys', 'new-pw');
    fs.writeFileSync(newPw, 'second password\n');
    const add = await runCli(['-r', repoDir, 'key', 'add', '--new-password-file', newPw, '--json'], env);
    expect(add.code, add.stderr).toBe(0);
    const added = (JSON.parse(add.stdout) as { id: string }).id;
    const list = async () =>
      (
        JSON.parse((await runCli(['-r', repoDir, 'key', 'list', '--json'], env)).stdout) as { id: string }[]
      ).map((k) => k.id);
    const original = (await list()).find((k) => k !== added)!;

    // Remove the original key while opening with the new password: the repository stays openable.
    const rm = await runCli(['-r', repoDir, 'key', 'remove', original.slice(0, 8)], {
      STRONGROOM_PASSWORD: 'second password',
    });
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout).toContain(`removed key ${original.slice(0, 8)}`);
    const wrong = await runCli(['-r', repoDir, 'snapshots'], env);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/wrong password/);

    const last = await runCli(['-r', repoDir, 'key', 'remove', added.slice(0, 8)], {
      STRONGROOM_PASSWORD: 'second password',
    });
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/refusing to remove the last key/);
    expect(fs.readdirSync(path.join(repoDir, 'keys'))).toEqual([added]);
    const none = await runCli(['-r', repoDir, 'key', 'remove'], { STRONGROOM_PASSWORD: 'second password' });
    expect(none.code).toBe(2);
  });
});

describe('forget by id', () => {
  it('says how many snapshots are kept, and --host limits which ids it may remove', async () => {
    const repoDir = path.join(work, 'forget', 'repo');
    const src = path.join(work, 'forget', 'src');
    writeFile(path.join(src, 'a.txt'), 'alpha\n');
    const repo = await newRepo(repoDir);
    const laptop1 = (await backup(repo, { paths: [src], host: 'laptop' })).snapshotId;
    const laptop2 = (await backup(repo, { paths: [src], host: 'laptop' })).snapshotId;
    const desktop = (await backup(repo, { paths: [src], host: 'desktop' })).snapshotId;

    const refused = await runCli(['-r', repoDir, 'forget', '--host', 'laptop', desktop.slice(0, 8)], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`snapshot ${desktop.slice(0, 8)} belongs to host desktop, not laptop`);
    expect((await openRepo(repoDir).then((r) => r.listSnapshots())).length).toBe(3);

    const dry = await runCli(
      ['-r', repoDir, 'forget', '--host', 'laptop', '--dry-run', laptop1.slice(0, 8)],
      env,
    );
    expect(dry.stdout.trim()).toBe(`would remove 1 snapshots of host laptop: ${laptop1.slice(0, 8)}; kept 1`);

    const done = await runCli(['-r', repoDir, 'forget', laptop1.slice(0, 8), '--json'], env);
    expect(done.code, done.stderr).toBe(0);
    const out = JSON.parse(done.stdout) as { removed: string[]; kept: string[] };
    expect(out.removed).toEqual([laptop1]);
    expect(out.kept.sort()).toEqual([laptop2, desktop].sort());

    const both = await runCli(['-r', repoDir, 'forget', '--keep-last', '1', laptop2.slice(0, 8)], env);
    expect(both.code).toBe(2);
  });
});

describe('options', () => {
  it('refuses an option the command does not take, naming both', async () => {
    const { repoDir, src } = await repoWithSnapshot('options');
    const r = await runCli(['-r', repoDir, 'backup', src, '--target', '/tmp'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('backup does not take --target');
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('repair index [--read-all-packs]');
    expect(help.stdout).toMatch(/Exit codes: 0 ok, 1 error, 2 usage error, 3 incomplete/);
  });
});

describe('exit code 3', () => {
  /** Runs the CLI as an unprivileged user when the tests run as root, so that a mode-000 file is unreadable. */
  function runUnprivileged(args: string[], dirs: string[]): Promise<CliRun> {
    if (process.getuid?.() !== 0) return runCli(args, env);
    for (const d of dirs) spawnSync('chown', ['-R', '65534:65534', d]);
    return new Promise((resolve) => {
      const r = spawnSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, ...args],
        { env: { ...process.env, ...env }, encoding: 'utf8' },
      );
      resolve({ code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr });
    });
  }

  it('for a backup that could not read a file: the snapshot is saved, the file named', async () => {
    const base = path.join(work, 'exit3');
    fs.mkdirSync(base, { recursive: true });
    // The unprivileged user must reach the folders mkdtemp made private.
    for (let d = base; d !== path.dirname(work); d = path.dirname(d)) fs.chmodSync(d, 0o755);
    const src = path.join(base, 'src');
    writeFile(path.join(src, 'ok.txt'), 'readable\n');
    writeFile(path.join(src, 'locked.txt'), 'not readable\n', 0o000);
    const repoDir = path.join(base, 'repo');
    await newRepo(repoDir);
    const r = await runUnprivileged(['-r', repoDir, 'backup', src], [repoDir]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/saved \(PARTIAL: some files could not be read\)/);
    expect(r.stderr).toContain(path.join(src, 'locked.txt'));
  });

  it('for a restore that could not write some paths: each is named with its reason', async () => {
    const src = path.join(work, 'exit3-restore', 'src');
    const seg = (c: string) => c.repeat(200);
    let deep = src;
    for (let i = 0; i < 14; i++) deep = path.join(deep, seg(String.fromCharCode(97 + i)));
    writeFile(path.join(deep, 'bottom.txt'), 'at the bottom\n');
    writeFile(path.join(src, 'sibling.txt'), 'beside\n');
    const repoDir = path.join(work, 'exit3-restore', 'repo');
    await backup(await newRepo(repoDir), { paths: [src] });
    // A target whose own path is long: the deepest folders pass PATH_MAX there.
    let target = path.join(work, 'exit3-restore', 'out');
    for (let i = 0; i < 7; i++) target = path.join(target, seg('t'));
    fs.mkdirSync(target, { recursive: true });

    const r = await runCli(['-r', repoDir, 'restore', 'latest', '--target', target], env);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/INCOMPLETE: \d+ paths were not restored/);
    expect(r.stderr).toMatch(/(not restored: |warning: ).*too long/i);
    expect(fs.readFileSync(path.join(target, src, 'sibling.txt'), 'utf8')).toBe('beside\n');
    const json = await runCli(['-r', repoDir, 'restore', 'latest', '--target', target, '--json'], env);
    expect(json.code).toBe(3);
    const res = JSON.parse(json.stdout) as { problems: { path: string; reason: string }[] };
    expect(res.problems.length).toBeGreaterThan(0);
    expect(json.stderr).toMatch(/not restored: .*too long/i);
  });
});
