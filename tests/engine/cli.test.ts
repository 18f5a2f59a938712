import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newRepo, openRepo, PASSWORD, runCli, tempDir, writeFile } from './helpers';
import { backup } from '../../src-engine/index';
import { parseArgs } from '../../src-engine/cli';

let work: string;
let pwFile: string;

beforeAll(async () => {
  work = await tempDir('cli');
  pwFile = path.join(work, 'pw');
  fs.writeFileSync(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/**
 * Each test's own repository and source folder (a.txt, dir/b.txt), so no test depends on what an
 * earlier one left behind; `withSnapshot` backs the folder up once first (through the engine).
 */
async function setUp(label: string, { withSnapshot = false } = {}) {
  const dir = fs.mkdtempSync(path.join(work, `${label}-`));
  const repoDir = path.join(dir, 'repo');
  const src = path.join(dir, 'src');
  writeFile(path.join(src, 'a.txt'), 'alpha\n');
  writeFile(path.join(src, 'dir/b.txt'), 'beta\n');
  await newRepo(repoDir);
  if (withSnapshot) await backup(await openRepo(repoDir), { paths: [src] });
  return { dir, repoDir, src };
}

describe('strongroom-backup CLI', () => {
  it('refuses a password on the command line', async () => {
    const { repoDir } = await setUp('argv');
    expect(() => parseArgs(['--password', 'x', 'snapshots'])).toThrow(/never accepted on the command line/);
    const r = await runCli(['--repo', repoDir, '--password=hunter2', 'snapshots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/STRONGROOM_PASSWORD or --password-file/);
  });

  it('backs up with the password from a file and prints --json', async () => {
    const { repoDir, src } = await setUp('backup');
    const r = await runCli([
      '--repo',
      repoDir,
      '--password-file',
      pwFile,
      '--json',
      'backup',
      src,
      '--tag',
      'first',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      id: string;
      tags: string[];
      partial: boolean;
      summary: { filesNew: number };
    };
    expect(out.id).toMatch(/^[0-9a-f]{64}$/);
    expect(out.tags).toEqual(['first']);
    expect(out.partial).toBe(false);
    expect(out.summary.filesNew).toBe(2);
  });

  it('reads the password from STRONGROOM_PASSWORD and lists snapshots and files', async () => {
    const { dir, repoDir, src } = await setUp('list', { withSnapshot: true });
    const env = { STRONGROOM_PASSWORD: PASSWORD };
    const snaps = await runCli(['-r', repoDir, 'snapshots', '--json'], env);
    expect(snaps.code, snaps.stderr).toBe(0);
    const list = JSON.parse(snaps.stdout) as { id: string; host: string }[];
    expect(list).toHaveLength(1);
    expect(list[0]!.host).toBe(os.hostname());
    const ls = await runCli(['-r', repoDir, 'ls', 'latest', path.join(src, 'dir')], env);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toContain(path.join(src, 'dir/b.txt'));
    const target = path.join(dir, 'restored');
    const rs = await runCli(['-r', repoDir, 'restore', list[0]!.id.slice(0, 8), '--target', target], env);
    expect(rs.code, rs.stderr).toBe(0);
    expect(fs.readFileSync(path.join(target, src, 'dir/b.txt'), 'utf8')).toBe('beta\n');
    const ck = await runCli(['-r', repoDir, 'check', '--read-data-subset', '50%', '--json'], env);
    expect(ck.code, ck.stderr).toBe(0);
    expect((JSON.parse(ck.stdout) as { ok: boolean }).ok).toBe(true);
  });

  it('names a wrong password and a missing repository as such, in text and JSON', async () => {
    const { dir, repoDir } = await setUp('wrong');
    const wrong = await runCli(['-r', repoDir, 'snapshots', '--json'], { STRONGROOM_PASSWORD: 'not it' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/wrong password/);
    expect(JSON.parse(wrong.stdout)).toEqual({
      error: { code: 'WRONG_PASSWORD', message: expect.stringMatching(/wrong password/) as string },
    });
    const missing = await runCli(['-r', path.join(dir, 'nope'), 'snapshots'], {
      STRONGROOM_PASSWORD: PASSWORD,
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no Strongroom repository at/);
  });

  it('without a password source and without a terminal, says how to give one', async () => {
    const { repoDir } = await setUp('no-password');
    const r = await runCli(['-r', repoDir, 'snapshots']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/STRONGROOM_PASSWORD/);
  });

  it('refuses to init over a non-empty folder and rejects unknown commands', async () => {
    const { repoDir } = await setUp('init');
    const r = await runCli(['-r', repoDir, 'init'], { STRONGROOM_PASSWORD: PASSWORD });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not empty/);
    const u = await runCli(['-r', repoDir, 'frobnicate'], { STRONGROOM_PASSWORD: PASSWORD });
    expect(u.code).toBe(2);
  });

  it('adds a second key so the password can change without rewriting data', async () => {
    const { dir, repoDir } = await setUp('key');
    const newPw = path.join(dir, 'newpw');
    fs.writeFileSync(newPw, 'a brand new password\n');
    const add = await runCli([
      '-r',
      repoDir,
      '--password-file',
      pwFile,
      'key',
      'add',
      '--new-password-file',
      newPw,
      '--json',
    ]);
    expect(add.code, add.stderr).toBe(0);
    const keys = await runCli(['-r', repoDir, 'key', 'list', '--json'], {
      STRONGROOM_PASSWORD: 'a brand new password',
    });
    expect(keys.code, keys.stderr).toBe(0);
    expect(JSON.parse(keys.stdout)).toHaveLength(2);
  });

  it('also runs straight from the TypeScript sources through tsx (the fallback when no bundle can be made)', async () => {
    const { repoDir, src } = await setUp('tsx', { withSnapshot: true });
    writeFile(path.join(src, 'dir/c.txt'), 'gamma\n');
    const r = await runCli(['-r', repoDir, '--json', 'backup', src], {
      STRONGROOM_PASSWORD: PASSWORD,
      STRONGROOM_NO_BUNDLE: '1',
    });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { summary: { filesNew: number; filesUnmodified: number } };
    expect(out.summary).toMatchObject({ filesNew: 1, filesUnmodified: 2 });
  });
});
