import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openServices } from '../../src-server/app';
import { ScryptPasswordHasher } from '../../src-server/services/password-hasher';
import { TEST_SCRYPT, totpCode } from '../support/account-server';

const CLI = fileURLToPath(new URL('../../src-server/cli.ts', import.meta.url));
const PASSWORD = 'correct horse battery';
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  children.splice(0).forEach((c) => c.kill('SIGTERM'));
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-cli-'));
  dirs.push(dir);
  return dir;
}

/** Runs the CLI to completion; async so independent runs can overlap. */
function cli(args: string[], input = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

/** Starts `serve` and resolves with everything printed on stdout once the first line is complete. */
function serve(args: string[]): Promise<{ child: ChildProcess; firstLine: string; stdout: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve({ child, firstLine: out.split('\n')[0]!, stdout: () => out });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

// Each step starts the CLI through tsx (a few seconds each on a busy 2-core machine).
describe('the server CLI', { timeout: 120_000 }, () => {
  it('user add reads the password from stdin (hashed at OWASP’s parameters); serve prints one listening line', async () => {
    const dir = dataDir();
    const added = await cli(['user', 'add', 'Alice', '--data-dir', dir], `${PASSWORD}\n`);
    expect(added).toMatchObject({ status: 0, stdout: 'Created account alice.\n' });
    const services = openServices(dir, { scrypt: TEST_SCRYPT });
    expect(services.accounts.byUsername('alice')!.password_hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    services.db.close();

    const { firstLine, stdout } = await serve([
      '--data-dir',
      dir,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--no-build-panel',
    ]);
    const match = /^listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(firstLine);
    expect(match).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThan(0);
    const url = `http://127.0.0.1:${match![1]}`;
    const signIn = await fetch(`${url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: PASSWORD }),
    });
    expect(signIn.status).toBe(200);
    expect(stdout()).toBe(`${firstLine}\n`);
  });

  it('never takes the password from the command line, and refuses an empty or short one', async () => {
    const dir = dataDir();
    const [argv, empty, short] = await Promise.all([
      cli(['user', 'add', 'bob', PASSWORD, '--data-dir', dir], ''),
      cli(['user', 'add', 'bob', '--data-dir', dir], ''),
      cli(['user', 'add', 'bob', '--data-dir', dir], 'short\n'),
    ]);
    expect(argv.status).toBe(2);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('No password on stdin');
    expect(short.status).toBe(1);
    expect(short.stderr).toContain('at least 8 characters');
    const services = openServices(dir, { scrypt: TEST_SCRYPT });
    expect(services.accounts.list()).toEqual([]);
    services.db.close();
  });

  it('lists users, resets a password and turns TOTP off', async () => {
    const dir = dataDir();
    await cli(['user', 'add', 'carol', '--data-dir', dir], `${PASSWORD}\n`);
    const [list, reset] = await Promise.all([
      cli(['user', 'list', '--data-dir', dir]),
      cli(['user', 'reset-password', 'carol', '--data-dir', dir], 'a new long password\n'),
    ]);
    expect(list.stdout).toMatch(/^carol\ttotp off\tcreated \d{4}-/);
    expect(reset.status).toBe(0);
    const services = openServices(dir, { scrypt: TEST_SCRYPT });
    const ctx = { address: '127.0.0.1', client: 'panel' as const, device: null };
    const stored = services.accounts.byUsername('carol')!.password_hash;
    expect(await new ScryptPasswordHasher().verify('a new long password', stored)).toBe(true);
    const account = services.accounts.byUsername('carol')!;
    const enrolment = await services.totpEnrolment.begin(account);
    services.totpEnrolment.confirm(account, totpCode(enrolment.secretBase32), ctx);
    services.db.close();
    const [off, nobody] = await Promise.all([
      cli(['user', 'disable-totp', 'carol', '--data-dir', dir]),
      cli(['user', 'disable-totp', 'nobody', '--data-dir', dir]),
    ]);
    expect(off).toMatchObject({ status: 0, stdout: 'Two-factor authentication is off for carol.\n' });
    expect(nobody.stderr).toContain('No account named nobody');
    const after = openServices(dir, { scrypt: TEST_SCRYPT });
    expect(after.accounts.list()).toEqual([
      { username: 'carol', totpEnabled: false, createdAt: expect.any(String) },
    ]);
    after.db.close();
  });

  it('refuses to serve plain HTTP on a non-loopback address, and explains bad flags', async () => {
    const [exposed, port, signup] = await Promise.all([
      cli(['--data-dir', dataDir(), '--host', '0.0.0.0', '--port', '0', '--no-build-panel']),
      cli(['--port', 'eighty', '--no-build-panel']),
      cli(['--signup', 'maybe']),
    ]);
    expect(exposed.status).toBe(2);
    expect(exposed.stdout).toBe('');
    expect(exposed.stderr).toContain('Refusing to listen on 0.0.0.0 over plain HTTP');
    expect(port.status).toBe(2);
    expect(port.stderr).toContain('--port');
    expect(signup.stderr).toContain('--signup takes on or off');
  });
});
