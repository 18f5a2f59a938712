/**
 * The whole data directory (database included) on a small tmpfs, filled to the last byte: writes
 * are refused with 507 in words that say the server is full (not the account's quota), and the
 * owner can still read and restore. Mounting needs root (CAP_SYS_ADMIN); elsewhere the test is
 * skipped and says why.
 *
 * The reads depend on authentication not writing on the request path (the device's last-seen
 * time, batched by the session store): until that is in, they get 401 here.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { restic, resticOk } from './restic';
import { accountWithDevice, bearerAuth, rest, sha256, type StorageAccountFixture } from './storage-helpers';

const mountPoint = mkdtempSync(join(tmpdir(), 'strongroom-full-data-dir-'));
const mountError = (() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m,mode=0700', 'tmpfs', mountPoint], {
      stdio: 'pipe',
    });
    return null;
  } catch (error) {
    return ((error as { stderr?: Buffer }).stderr?.toString() || (error as Error).message).trim();
  }
})();
if (mountError) console.warn(`storage-full-data-dir: skipped, cannot mount a tmpfs here: ${mountError}`);

const work = mkdtempSync(join(tmpdir(), 'strongroom-full-work-'));
let server: TestAccountServer;
let alice: StorageAccountFixture;
let repo: string;
const source = join(work, 'src');
const files = new Map<string, Buffer>();

/** Fills the file system to its last byte: big writes first, then smaller ones until ENOSPC. */
function fillUp(dir: string): void {
  mkdirSync(dir, { recursive: true });
  let n = 0;
  for (const size of [1024 * 1024, 64 * 1024, 4096, 512, 64, 1]) {
    for (;;) {
      try {
        writeFileSync(join(dir, `fill-${n++}`), Buffer.alloc(size));
      } catch {
        break;
      }
    }
  }
}

beforeAll(async () => {
  if (mountError) return;
  server = await startTestAccountServer({ dataDir: join(mountPoint, 'data') });
  alice = await accountWithDevice(server, 'alice');
  repo = `rest:http://alice:${alice.token}@127.0.0.1:${server.server.port}/storage/alice/main/`;
  mkdirSync(source, { recursive: true });
  files.set('a.bin', randomBytes(2 * 1024 * 1024));
  files.set('b.txt', Buffer.from('a small file\n'));
  for (const [name, bytes] of files) writeFileSync(join(source, name), bytes);
  await resticOk(repo, ['init']);
  await resticOk(repo, ['backup', source]);
  fillUp(join(mountPoint, 'filler'));
}, 120_000);
afterAll(async () => {
  await server?.close();
  if (!mountError) execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(mountError !== null)('the account server with its data directory full', () => {
  it('refuses an upload with 507 in words about the server, not the quota', async () => {
    const data = randomBytes(256 * 1024);
    const answer = await rest(`${alice.base}data/${sha256(data)}`, 'POST', {
      auth: bearerAuth(alice.token),
      body: data,
    });
    expect(answer.status).toBe(507);
    expect(answer.body.toString()).toMatch(/server is out of disk space/);
    expect(answer.body.toString()).not.toMatch(/quota of this account/);
  });

  it('still lets the owner list, read and restore', async () => {
    const config = await rest(`${alice.base}config`, 'GET', { auth: bearerAuth(alice.token) });
    expect(config.status).toBe(200);
    const snapshots = JSON.parse(await resticOk(repo, ['snapshots', '--json', '--no-lock'])) as unknown[];
    expect(snapshots).toHaveLength(1);
    const target = join(work, 'restore');
    const restored = await restic(repo, ['restore', 'latest', '--target', target, '--no-lock']);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
  }, 60_000);
});

describe('a database that cannot write (SQLITE_FULL, injected)', () => {
  it('answers 507 in the server’s words and gives the upload’s reservation back', async () => {
    const own = await startTestAccountServer({ defaultQuotaBytes: 1024 * 1024 });
    try {
      const bob = await accountWithDevice(own, 'bob');
      await rest(`${bob.base}?create=true`, 'POST', { auth: bearerAuth(bob.token) });
      const { storage, accounts } = own.server.services;
      const full = vi.spyOn(storage.table, 'beginUpload').mockImplementation(() => {
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      });
      const data = randomBytes(600 * 1024);
      const refused = await rest(`${bob.base}data/${sha256(data)}`, 'POST', {
        auth: bearerAuth(bob.token),
        body: data,
      });
      expect(refused.status).toBe(507);
      expect(refused.body.toString()).toMatch(/server is out of disk space \(this is not your quota\)/);
      expect(storage.reservedBytes(accounts.byUsername('bob')!.id)).toBe(0);
      full.mockRestore();
      expect(
        (await rest(`${bob.base}data/${sha256(data)}`, 'POST', { auth: bearerAuth(bob.token), body: data }))
          .status,
      ).toBe(200);
    } finally {
      await own.close();
    }
  });
});
