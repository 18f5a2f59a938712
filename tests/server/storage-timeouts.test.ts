import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { accountWithDevice, bearerAuth, rest, sha256, type StorageAccountFixture } from './storage-helpers';

/** Short enough for a test; the upload below takes several times as long in total. */
const IDLE_MS = 1_000;
const CHUNKS = 24;
const CHUNK_EVERY_MS = 150;

let server: TestAccountServer;
let alice: StorageAccountFixture;

beforeAll(async () => {
  server = await startTestAccountServer({ idleTimeoutMs: IDLE_MS });
  alice = await accountWithDevice(server, 'alice');
  expect((await rest(`${alice.base}?create=true`, 'POST', { auth: bearerAuth(alice.token) })).status).toBe(
    200,
  );
});
afterAll(async () => {
  await server.close();
});

interface Upload {
  /** Resolves with the status, or with the error that ended the request. */
  done: Promise<{ status: number } | { error: Error }>;
  write(chunk: Buffer): void;
  end(): void;
}

/** A POST whose body is written by the test, piece by piece, as a slow link would send it. */
function upload(url: string, size: number): Upload {
  const req = http.request(url, {
    method: 'POST',
    headers: { authorization: bearerAuth(alice.token), 'content-length': String(size) },
  });
  const done = new Promise<{ status: number } | { error: Error }>((resolve) => {
    req.once('response', (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode! }));
    });
    req.once('error', (error) => resolve({ error }));
  });
  req.flushHeaders();
  return { done, write: (chunk) => req.write(chunk), end: () => req.end() };
}

const tmpLeftovers = () => {
  try {
    return readdirSync(join(server.dataDir, 'storage', '.tmp'));
  } catch {
    return [];
  }
};

describe('the storage server times out silent connections, not long uploads', () => {
  it('accepts an upload that keeps sending slowly for several times the idle timeout', async () => {
    const body = randomBytes(CHUNKS * 1024);
    const name = sha256(body);
    const up = upload(`${alice.base}data/${name}`, body.length);
    for (let i = 0; i < CHUNKS; i++) {
      up.write(body.subarray(i * 1024, (i + 1) * 1024));
      // The pace of a slow link: each piece well within the idle timeout, the whole far beyond it.
      await new Promise((r) => setTimeout(r, CHUNK_EVERY_MS));
    }
    up.end();
    expect(await up.done).toEqual({ status: 200 });
    const back = await rest(`${alice.base}data/${name}`, 'GET', { auth: bearerAuth(alice.token) });
    expect(back.status).toBe(200);
    expect(back.body.equals(body)).toBe(true);
  }, 30_000);

  it('cuts off an upload that stalls, and stores nothing of it', async () => {
    const body = randomBytes(64 * 1024);
    const name = sha256(body);
    const up = upload(`${alice.base}data/${name}`, body.length);
    up.write(body.subarray(0, 16 * 1024));
    // Nothing more is sent: the server must end the connection by itself.
    const result = await up.done;
    expect('error' in result || result.status >= 400).toBe(true);
    const head = await rest(`${alice.base}data/${name}`, 'HEAD', { auth: bearerAuth(alice.token) });
    expect(head.status).toBe(404);
    await vi.waitFor(() => expect(tmpLeftovers()).toEqual([]));
  }, 30_000);
});
