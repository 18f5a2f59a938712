/**
 * An upload cannot hold its quota reservation (or a connection) by trickling: below a minimum
 * pace it is stopped; an account has a bounded number of uploads in flight; an upload that is cut
 * off gives its reservation back at once.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { accountWithDevice, bearerAuth, rest, sha256, type StorageAccountFixture } from './storage-helpers';

const KiB = 1024;
/** The server's floor, scaled down in time for a test: 16 KiB/s over one second, after half a second. */
const PACE = { minBytesPerSecond: 16 * KiB, windowMs: 1_000, graceMs: 500 };

let server: TestAccountServer;
afterEach(async () => {
  await server?.close();
});

async function setup(opts: Parameters<typeof startTestAccountServer>[0] = {}) {
  server = await startTestAccountServer({ uploadPace: PACE, ...opts });
  const alice = await accountWithDevice(server, 'alice');
  await rest(`${alice.base}?create=true`, 'POST', { auth: bearerAuth(alice.token) });
  return alice;
}

type Outcome = { status: number; body: string } | { error: Error };

/** A POST announcing `size` bytes whose body the test sends by hand. */
function slowUpload(alice: StorageAccountFixture, size: number) {
  const req = http.request(`${alice.base}data/${sha256(randomBytes(8))}`, {
    method: 'POST',
    headers: { authorization: bearerAuth(alice.token), 'content-length': String(size) },
  });
  const done = new Promise<Outcome>((resolve) => {
    req.once('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.once('end', () => resolve({ status: res.statusCode!, body }));
      res.once('error', (error) => resolve({ error }));
    });
    req.once('error', (error) => resolve({ error }));
  });
  req.on('error', () => undefined);
  req.flushHeaders();
  return { req, done };
}

const accountId = () => server.server.services.accounts.byUsername('alice')!.id;
const put = (alice: StorageAccountFixture, data: Buffer) =>
  rest(`${alice.base}data/${sha256(data)}`, 'POST', { auth: bearerAuth(alice.token), body: data });

describe('uploads keep a minimum pace', () => {
  it('stops an upload that trickles a byte at a time, and its reservation is free again', async () => {
    const alice = await setup({ defaultQuotaBytes: 1024 * KiB });
    const trickle = slowUpload(alice, 900 * KiB);
    const drip = setInterval(() => trickle.req.write(Buffer.alloc(1)), 100);
    try {
      await vi.waitFor(() =>
        expect(server.server.services.storage.reservedBytes(accountId())).toBe(900 * KiB),
      );
      // While it holds 900 KiB of the 1 MiB quota, the owner's backup does not fit.
      expect((await put(alice, randomBytes(200 * KiB))).status).toBe(507);
      const outcome = await trickle.done;
      if ('status' in outcome) {
        expect(outcome.status).toBe(408);
        expect(outcome.body).toMatch(/too slow/);
      }
    } finally {
      clearInterval(drip);
    }
    expect(server.server.services.storage.reservedBytes(accountId())).toBe(0);
    expect((await put(alice, randomBytes(200 * KiB))).status).toBe(200);
  }, 20_000);

  it('holds a resent file (already stored) to the same pace', async () => {
    const alice = await setup();
    const data = randomBytes(64 * KiB);
    expect((await put(alice, data)).status).toBe(200);
    const req = http.request(`${alice.base}data/${sha256(data)}`, {
      method: 'POST',
      headers: { authorization: bearerAuth(alice.token), 'content-length': String(data.length) },
    });
    const done = new Promise<Outcome>((resolve) => {
      req.once('response', (res) => {
        res.resume();
        resolve({ status: res.statusCode!, body: '' });
      });
      req.once('error', (error) => resolve({ error }));
    });
    req.flushHeaders();
    const drip = setInterval(() => req.write(data.subarray(0, 1)), 100);
    try {
      const outcome = await done;
      expect('error' in outcome || outcome.status === 408).toBe(true);
    } finally {
      clearInterval(drip);
      req.destroy();
    }
  }, 20_000);

  it('stops a key file that trickles, as any other upload', async () => {
    const alice = await setup();
    const req = http.request(`${alice.base}keys/${sha256(randomBytes(8))}`, {
      method: 'POST',
      headers: { authorization: bearerAuth(alice.token), 'content-length': '400' },
    });
    const done = new Promise<Outcome>((resolve) => {
      req.once('response', (res) => {
        res.resume();
        resolve({ status: res.statusCode!, body: '' });
      });
      req.once('error', (error) => resolve({ error }));
    });
    req.flushHeaders();
    const drip = setInterval(() => req.write('{'), 100);
    try {
      const outcome = await done;
      expect('error' in outcome || outcome.status === 408).toBe(true);
      expect(server.server.services.storage.reservedBytes(accountId())).toBe(0);
    } finally {
      clearInterval(drip);
      req.destroy();
    }
  }, 20_000);

  it('keeps an upload that goes at the minimum pace or faster, however long it takes', async () => {
    const alice = await setup();
    const body = randomBytes(96 * KiB);
    const req = http.request(`${alice.base}data/${sha256(body)}`, {
      method: 'POST',
      headers: { authorization: bearerAuth(alice.token), 'content-length': String(body.length) },
    });
    const done = new Promise<number>((resolve, reject) => {
      req.once('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.once('error', reject);
    });
    // 24 KiB/s for four seconds: four times the averaging window.
    for (let sent = 0; sent < body.length; sent += 2 * KiB) {
      req.write(body.subarray(sent, sent + 2 * KiB));
      await new Promise((r) => setTimeout(r, 1000 / 12));
    }
    req.end();
    expect(await done).toBe(200);
  }, 20_000);

  it('gives a cut-off upload’s reservation back at once', async () => {
    const alice = await setup({ defaultQuotaBytes: 1024 * KiB });
    const cut = slowUpload(alice, 900 * KiB);
    cut.req.write(randomBytes(64 * KiB));
    await vi.waitFor(() => expect(server.server.services.storage.reservedBytes(accountId())).toBe(900 * KiB));
    cut.req.destroy();
    await vi.waitFor(() => expect(server.server.services.storage.reservedBytes(accountId())).toBe(0), {
      timeout: 300,
    });
    expect((await put(alice, randomBytes(200 * KiB))).status).toBe(200);
  });

  it('bounds the uploads one account has in flight, answering 429 past it', async () => {
    const alice = await setup({ maxUploadsPerAccount: 2 });
    const held = [slowUpload(alice, 64 * KiB), slowUpload(alice, 64 * KiB)];
    for (const h of held) h.req.write(randomBytes(KiB));
    try {
      await vi.waitFor(() =>
        expect(server.server.services.storage.reservedBytes(accountId())).toBe(128 * KiB),
      );
      const third = await put(alice, randomBytes(KiB));
      expect(third.status).toBe(429);
      expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(third.body.toString()).toMatch(/2 uploads in progress/);
      // Another account is not held up by alice's.
      const bob = await accountWithDevice(server, 'bob');
      await rest(`${bob.base}?create=true`, 'POST', { auth: bearerAuth(bob.token) });
      expect((await put(bob, randomBytes(KiB))).status).toBe(200);
    } finally {
      for (const h of held) h.req.destroy();
    }
  });
});
