import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openServices } from '../../src-server/app';
import { ScryptPasswordHasher } from '../../src-server/services/password-hasher';
import { TEST_SCRYPT } from '../support/account-server';

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

function cli(args: string[], input = '') {
  const result = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
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

describe('the server CLI', () => {
  it('user add reads the password from stdin, and serve prints one listening line with the real port', async () => {
    const dir = dataDir();
    const added = cli(['user', 'add', 'Alice', '--data-dir', dir], `${PASSWORD}\n`);
    expect(added).toMatchObject({ status: 0, stdout: 'Created account alice.\n' });

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

  it('stores the administrator’s account with OWASP’s scrypt parameters', () => {
    const dir = dataDir();
    expect(cli(['user', 'add', 'bob', '--data-dir', dir], `${PASSWORD}\n`).status).toBe(0);
    const services = openServices(dir, { scrypt: TEST_SCRYPT });
    expect(services.accounts.byUsername('bob')!.password_hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    services.db.close();
  });

  it('never takes the password from the command line, and refuses an empty or short one', () => {
    const dir = dataDir();
    expect(cli(['user', 'add', 'bob', PASSWORD, '--data-dir', dir], '').status).toBe(2);
    const empty = cli(['user', 'add', 'bob', '--data-dir', dir], '');
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('No password on stdin');
    const short = cli(['user', 'add', 'bob', '--data-dir', dir], 'short\n');
    expect(short.status).toBe(1);
    expect(short.stderr).toContain('at least 8 characters');
    expect(cli(['user', 'list', '--data-dir', dir]).stdout).toBe('No accounts.\n');
  });

  it('lists users, resets a password and turns TOTP off', async () => {
    const dir = dataDir();
    cli(['user', 'add', 'carol', '--data-dir', dir], `${PASSWORD}\n`);
    expect(cli(['user', 'list', '--data-dir', dir]).stdout).toMatch(/^carol\ttotp off\tcreated \d{4}-/);
    expect(cli(['user', 'reset-password', 'carol', '--data-dir', dir], 'a new long password\n').status).toBe(
      0,
    );
    const services = openServices(dir, { scrypt: TEST_SCRYPT });
    const ctx = { address: '127.0.0.1', client: 'panel' as const, device: null };
    const stored = services.accounts.byUsername('carol')!.password_hash;
    expect(await new ScryptPasswordHasher().verify('a new long password', stored)).toBe(true);
    const account = services.accounts.byUsername('carol')!;
    const enrolment = await services.accounts.beginTotp(account);
    const { totpCode } = await import('../support/account-server');
    services.accounts.confirmTotp(account, totpCode(enrolment.secretBase32), ctx);
    services.db.close();
    expect(cli(['user', 'list', '--data-dir', dir]).stdout).toContain('carol\ttotp on');
    const off = cli(['user', 'disable-totp', 'carol', '--data-dir', dir]);
    expect(off).toMatchObject({ status: 0, stdout: 'Two-factor authentication is off for carol.\n' });
    expect(cli(['user', 'disable-totp', 'nobody', '--data-dir', dir]).stderr).toContain(
      'No account named nobody',
    );
  });

  it('refuses to serve plain HTTP on a non-loopback address', () => {
    const result = cli(['--data-dir', dataDir(), '--host', '0.0.0.0', '--port', '0', '--no-build-panel']);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Refusing to listen on 0.0.0.0 over plain HTTP');
  });

  it('explains bad flags', () => {
    const result = cli(['--port', 'eighty', '--no-build-panel']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--port');
    expect(cli(['--signup', 'maybe']).stderr).toContain('--signup takes on or off');
  });
});
