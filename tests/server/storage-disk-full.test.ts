/**
 * 507 when the disk itself is full (not the quota): the storage folder is a real 1 MiB tmpfs.
 * Mounting needs root (CAP_SYS_ADMIN); elsewhere the test is skipped and says why.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { accountWithDevice, bearerAuth, rest, sha256, type StorageAccountFixture } from './storage-helpers';

const mountPoint = mkdtempSync(join(tmpdir(), 'strongroom-full-disk-'));
const mountError = (() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mountPoint], { stdio: 'pipe' });
    return null;
  } catch (error) {
    return ((error as { stderr?: Buffer }).stderr?.toString() || (error as Error).message).trim();
  }
})();
if (mountError) console.warn(`storage-disk-full: skipped, cannot mount a 1 MiB tmpfs here: ${mountError}`);

let server: TestAccountServer;
let alice: StorageAccountFixture;

beforeAll(async () => {
  if (mountError) return;
  server = await startTestAccountServer({ storage: mountPoint });
  alice = await accountWithDevice(server, 'alice');
  await rest(`${alice.base}?create=true`, 'POST', { auth: bearerAuth(alice.token) });
});
afterAll(async () => {
  await server?.close();
  if (!mountError) execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

const put = (path: string, body: Buffer) =>
  rest(alice.base + path, 'POST', {
    auth: bearerAuth(alice.token),
    body,
    headers: { 'content-type': 'application/octet-stream' },
  });

describe.skipIf(mountError !== null)('the account storage on a full disk', () => {
  it('answers 507 when the file system runs out of space, keeps nothing of the upload, and goes on', async () => {
    // No quota is set: only the 1 MiB file system can refuse this.
    const tooBig = randomBytes(1536 * 1024);
    const answer = await put(`data/${sha256(tooBig)}`, tooBig);
    expect(answer.status).toBe(507);
    expect(answer.body.toString()).toMatch(/out of disk space/);
    expect(
      (await rest(`${alice.base}data/${sha256(tooBig)}`, 'HEAD', { auth: bearerAuth(alice.token) })).status,
    ).toBe(404);
    expect(readdirSync(join(mountPoint, '.tmp'))).toEqual([]);

    // The space the refused upload took is free again: a file that fits is stored.
    const fits = randomBytes(256 * 1024);
    expect((await put(`data/${sha256(fits)}`, fits)).status).toBe(200);
  });
});
