/**
 * A full disk must not lock the owner out: checking a session or a token writes nothing, so reads
 * go on; a write that fails for lack of space is a 507 saying so; any other fault of the server is
 * a 500, never "not signed in". First with a database made to fail on demand, then on a real,
 * small tmpfs where this machine can mount one.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestAccountServer, type TestAccountServer, deviceSignInBody } from '../support/account-server';
import { FailingDatabase, ManualClock, PanelClient, bearer } from './helpers';
import { accountWithDevice, bearerAuth, rest, sha256, type StorageAccountFixture } from './storage-helpers';

const PASSWORD = 'correct horse battery';
const OUT_OF_SPACE = /out of disk space/;

async function deviceSignIn(url: string) {
  const answer = await fetch(`${url}/api/device-sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(await deviceSignInBody(url, 'alice', PASSWORD, 'Desktop')),
  });
  return { status: answer.status, body: (await answer.json()) as { error?: string; message?: string } };
}

/** One stored file in alice's repository, and how to read it back. */
async function storedFile(alice: StorageAccountFixture) {
  const data = randomBytes(100);
  await rest(`${alice.base}?create=true`, 'POST', { auth: bearerAuth(alice.token) });
  const url = `${alice.base}data/${sha256(data)}`;
  expect((await rest(url, 'POST', { auth: bearerAuth(alice.token), body: data })).status).toBe(200);
  return { read: () => rest(url, 'GET', { auth: bearerAuth(alice.token) }), data };
}

describe('with a database that refuses writes (SQLITE_FULL)', () => {
  let server: TestAccountServer;
  const db = new FailingDatabase();
  afterEach(async () => {
    db.fail = 'none';
    await server?.close();
  });

  it('keeps sessions and tokens working for reading, and says the disk is full on writes', async () => {
    const clock = new ManualClock();
    server = await startTestAccountServer({ clock, wrapDatabase: db.wrap });
    const alice = await accountWithDevice(server, 'alice');
    const file = await storedFile(alice);
    const client = new PanelClient(server.url);
    await client.signIn('alice', PASSWORD);

    db.fail = 'writes-full';
    clock.advance(60_000);
    expect((await client.request('GET', '/api/account')).status).toBe(200);
    expect((await client.request('GET', '/api/account/storage')).status).toBe(200);
    expect((await bearer(server.url, 'GET', '/api/device/me', alice.token)).status).toBe(200);
    const read = await file.read();
    expect(read.status).toBe(200);
    expect(read.body.equals(file.data)).toBe(true);

    const signIn = await deviceSignIn(server.url);
    expect([signIn.status, signIn.body.error]).toEqual([507, 'server_out_of_space']);
    expect(signIn.body.message).toMatch(OUT_OF_SPACE);
    const panel = await new PanelClient(server.url).signIn('alice', PASSWORD);
    expect([panel.status, panel.body.error]).toEqual([507, 'server_out_of_space']);
    const upload = randomBytes(50);
    const stored = await rest(`${alice.base}data/${sha256(upload)}`, 'POST', {
      auth: bearerAuth(alice.token),
      body: upload,
    });
    expect(stored.status).toBe(507);
    expect(stored.body.toString()).toMatch(OUT_OF_SPACE);

    // Last-seen times wait in memory while the disk is full, and are written once it is not.
    expect(server.server.services.sessions.flushLastSeen()).toBe(false);
    db.fail = 'none';
    expect(server.server.services.sessions.flushLastSeen()).toBe(true);
    const devices = await client.request('GET', '/api/account/devices');
    expect(devices.body.devices[0].lastSeenAt).toBe(new Date(clock.now()).toISOString());
    const row = server.server.services.db
      .prepare('SELECT last_seen_at FROM devices WHERE id = ?')
      .get(alice.deviceId) as { last_seen_at: number };
    expect(row.last_seen_at).toBe(clock.now());
  });

  it('answers a database fault with 500 and the server’s words, never as unauthorized', async () => {
    server = await startTestAccountServer({ wrapDatabase: db.wrap });
    const alice = await accountWithDevice(server, 'alice');
    const client = new PanelClient(server.url);
    await client.signIn('alice', PASSWORD);

    db.fail = 'all-ioerr';
    const account = await client.request('GET', '/api/account');
    expect([account.status, account.body.error]).toEqual([500, 'internal']);
    expect(account.body.message).toMatch(/on the server/);
    const me = await bearer(server.url, 'GET', '/api/device/me', alice.token);
    expect([me.status, me.body.error]).toEqual([500, 'internal']);
    const listing = await rest(`${alice.base}keys/`, 'GET', { auth: bearerAuth(alice.token) });
    expect(listing.status).toBe(500);
  });

  it('writes nothing to check a session or a token', async () => {
    const clock = new ManualClock();
    server = await startTestAccountServer({ clock, wrapDatabase: db.wrap });
    const alice = await accountWithDevice(server, 'alice');
    const client = new PanelClient(server.url);
    await client.signIn('alice', PASSWORD);
    // Any write at all now throws: the reads below pass only if authentication never writes.
    db.fail = 'writes-full';
    for (let i = 0; i < 3; i++) {
      clock.advance(10 * 60 * 1000);
      expect((await client.request('GET', '/api/session')).status).toBe(200);
      expect((await bearer(server.url, 'GET', '/api/device/storage', alice.token)).status).toBe(200);
    }
    // The session stays alive on the times kept in memory.
    clock.advance(25 * 60 * 1000);
    expect((await client.request('GET', '/api/account')).status).toBe(200);
  });
});

const mountPoint = mkdtempSync(join(tmpdir(), 'strongroom-full-disk-auth-'));
const mountError = (() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mountPoint], { stdio: 'pipe' });
    return null;
  } catch (error) {
    return ((error as { stderr?: Buffer }).stderr?.toString() || (error as Error).message).trim();
  }
})();
if (mountError)
  console.warn(`full-disk-auth: tmpfs part skipped, cannot mount a 4 MiB tmpfs here: ${mountError}`);

describe.skipIf(mountError !== null)('on a real full disk (4 MiB tmpfs)', () => {
  let server: TestAccountServer;
  const filler = join(mountPoint, 'filler');
  beforeAll(async () => {
    server = await startTestAccountServer({ dataDir: join(mountPoint, 'data') });
  });
  afterAll(async () => {
    rmSync(filler, { force: true });
    await server?.close();
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('reads go on with the same session and tokens; device sign-in answers 507 saying why', async () => {
    const alice = await accountWithDevice(server, 'alice');
    const file = await storedFile(alice);
    const client = new PanelClient(server.url);
    expect((await client.signIn('alice', PASSWORD)).status).toBe(200);
    // Empty the write-ahead log, so the next write needs new space on the disk, then fill it.
    server.server.services.sessions.flushLastSeen();
    server.server.services.db.pragma('wal_checkpoint(TRUNCATE)');
    fillDisk(filler);

    for (let i = 0; i < 3; i++) {
      expect((await client.request('GET', '/api/account')).status).toBe(200);
      expect((await bearer(server.url, 'GET', '/api/device/me', alice.token)).status).toBe(200);
      expect((await file.read()).status).toBe(200);
    }
    const signIn = await deviceSignIn(server.url);
    expect([signIn.status, signIn.body.error]).toEqual([507, 'server_out_of_space']);
    expect(signIn.body.message).toMatch(OUT_OF_SPACE);

    // Space again: the same sign-in works, and nothing was lost meanwhile.
    rmSync(filler);
    expect((await deviceSignIn(server.url)).status).toBe(200);
    expect((await client.request('GET', '/api/account')).status).toBe(200);
  });
});

/** Writes until the file system says ENOSPC. */
function fillDisk(file: string): void {
  const chunk = Buffer.alloc(64 * 1024);
  let size = 0;
  try {
    for (;;) {
      writeFileSync(file, chunk, { flag: 'a' });
      size += chunk.length;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
  // The last partial chunk may have left a few bytes free: fill those too.
  for (let n = 4096; n >= 1; n = Math.floor(n / 2)) {
    try {
      for (;;) writeFileSync(file, Buffer.alloc(n), { flag: 'a' });
    } catch {
      // next smaller size
    }
  }
  expect(size).toBeGreaterThan(0);
}
