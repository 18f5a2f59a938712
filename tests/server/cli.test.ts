import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openServices } from '../../src-server/app';
import { KDF_DEFAULT } from '../../src-shared/account-keys';
import { signInCredentials, totpCode } from '../support/account-server';

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

/** The auth key a client derives from `password` with the account's own stored parameters. */
async function signInKey(services: ReturnType<typeof openServices>, password: string) {
  const { derivedKeys } = await import('../support/derived-keys');
  const account = services.accounts.byUsername('carol')!;
  return derivedKeys(password, JSON.parse(account.auth_kdf!));
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

// Each run starts tsx and derives Argon2id in its own process: slow on a busy machine.
describe('the server CLI', { timeout: 120_000 }, () => {
  it('user add reads a temporary password from stdin and keeps only its verifier; serve prints one listening line', async () => {
    const dir = dataDir();
    const added = await cli(['user', 'add', 'Alice', '--data-dir', dir], `${PASSWORD}\n`);
    expect(added).toMatchObject({
      status: 0,
      stdout: 'Created account alice; its password is temporary: the first sign-in sets a new one.\n',
    });
    const services = openServices(dir);
    const row = services.accounts.byUsername('alice')!;
    expect(JSON.parse(row.auth_kdf!)).toMatchObject({ alg: 'argon2id', m: KDF_DEFAULT.m, t: KDF_DEFAULT.t });
    expect([row.password_temporary, row.key_generation, row.legacy_hash]).toEqual([1, 1, null]);
    expect(JSON.stringify(row)).not.toContain(PASSWORD);
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
      body: JSON.stringify({ username: 'alice', ...(await signInCredentials(url, 'alice', PASSWORD)) }),
    });
    expect(signIn.status).toBe(200);
    expect(
      ((await signIn.json()) as { keys: { passwordChangeRequired: boolean } }).keys.passwordChangeRequired,
    ).toBe(true);
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
    const services = openServices(dir);
    expect(services.accounts.list()).toEqual([]);
    services.db.close();
  });

  it('lists users, resets a password (temporary, keys kept byte for byte) and turns TOTP off', async () => {
    const dir = dataDir();
    await cli(['user', 'add', 'carol', '--data-dir', dir], `${PASSWORD}\n`);
    // Carol's own password and an account key, as if the app had made them; TOTP on.
    const before = openServices(dir);
    const ctx = { address: '127.0.0.1', client: 'panel' as const, device: null };
    const account = before.accounts.byUsername('carol')!;
    before.db
      .prepare('UPDATE accounts SET password_temporary = 0, key_id = ? WHERE id = ?')
      .run('a'.repeat(32), account.id);
    before.db
      .prepare(
        "INSERT INTO account_wraps (account_id, kind, computer_id, generation, wrap_sealed, proof_mac, written_at) VALUES (?, 'recovery', '', 1, 'sealed bytes', 'mac', 5)",
      )
      .run(account.id);
    const wrapsBefore = before.db.prepare('SELECT * FROM account_wraps').all();
    const enrolment = await before.totpEnrolment.begin(account);
    before.totpEnrolment.confirm(account, totpCode(enrolment.secretBase32), ctx);
    const token = before.sessions.createDevice(account.id, 'Laptop').token;
    before.db.close();

    const [list, reset] = await Promise.all([
      cli(['user', 'list', '--data-dir', dir]),
      cli(['user', 'reset-password', 'carol', '--data-dir', dir], 'a new long password\n'),
    ]);
    expect(list.stdout).toMatch(/^carol\ttotp on\tcreated \d{4}-/);
    expect(reset.status).toBe(0);
    expect(reset.stdout).toContain('Temporary password set for carol');
    const services = openServices(dir);
    const after = services.accounts.byUsername('carol')!;
    expect([after.password_temporary, after.password_wrap_current, after.key_generation]).toEqual([1, 0, 2]);
    expect(after.totp_secret_enc).not.toBeNull();
    expect(services.db.prepare('SELECT * FROM account_wraps').all()).toEqual(wrapsBefore);
    expect(() => services.sessions.resumeDevice(token)).toThrow(/password of this account was changed/);
    expect(
      services.authKeys.verifierMatches(after, (await signInKey(services, 'a new long password')).authKey),
    ).toBe(true);
    services.db.close();

    const [off, nobody] = await Promise.all([
      cli(['user', 'disable-totp', 'carol', '--data-dir', dir]),
      cli(['user', 'disable-totp', 'nobody', '--data-dir', dir]),
    ]);
    expect(off).toMatchObject({ status: 0, stdout: 'Two-factor authentication is off for carol.\n' });
    expect(nobody.stderr).toContain('No account named nobody');
    const again = openServices(dir);
    expect(again.accounts.list()).toEqual([
      { username: 'carol', totpEnabled: false, createdAt: expect.any(String) },
    ]);
    again.db.close();
  });

  it('user reset-password --reset-totp turns two-factor off with the reset', async () => {
    const dir = dataDir();
    await cli(['user', 'add', 'dan', '--data-dir', dir], `${PASSWORD}\n`);
    const before = openServices(dir);
    const account = before.accounts.byUsername('dan')!;
    const enrolment = await before.totpEnrolment.begin(account);
    before.totpEnrolment.confirm(account, totpCode(enrolment.secretBase32), {
      address: '127.0.0.1',
      client: 'panel',
      device: null,
    });
    before.db.close();
    const reset = await cli(
      ['user', 'reset-password', 'dan', '--reset-totp', '--data-dir', dir],
      'another long password\n',
    );
    expect(reset.status).toBe(0);
    expect(reset.stdout).toContain('two-factor authentication is off');
    const after = openServices(dir);
    expect(after.accounts.byUsername('dan')!.totp_secret_enc).toBeNull();
    after.db.close();
  });

  it('storage token add prints a new storage token alone on its last line', async () => {
    const dir = dataDir();
    await cli(['user', 'add', 'erin', '--data-dir', dir], `${PASSWORD}\n`);
    const [added, unknown, unsafe] = await Promise.all([
      cli(['storage', 'token', 'add', 'erin', '--name', 'restic on nas', '--data-dir', dir]),
      cli(['storage', 'token', 'add', 'nobody', '--data-dir', dir]),
      cli(['storage', 'token', 'add', 'erin', '--name', 'nas\u202Egnp.exe', '--data-dir', dir]),
    ]);
    expect([unsafe.status, unsafe.stderr.includes('text-direction')]).toEqual([2, true]);
    expect(added.status).toBe(0);
    const lines = added.stdout.trimEnd().split('\n');
    const token = lines[lines.length - 1]!;
    expect(token).toMatch(/^srd_[A-Za-z0-9_-]{43}$/);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('No account named nobody');
    const services = openServices(dir);
    const account = services.accounts.byUsername('erin')!;
    expect(services.sessions.resumeDevice(token)).toMatchObject({ kind: 'storage', name: 'restic on nas' });
    expect(services.sessions.listDevices(account.id, 'storage').map((d) => d.name)).toEqual([
      'restic on nas',
    ]);
    services.db.close();
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
    const legacy = await cli(['--legacy-sign-in-until', '2026-02-30', '--no-build-panel']);
    expect([legacy.status, legacy.stderr.includes('--legacy-sign-in-until: not a date')]).toEqual([2, true]);
  });
});
