/**
 * Large uploads through the S3 store: the body goes up in parts while it arrives (never spooled
 * whole), the SHA-256 is still checked before the object is committed, the client's connection
 * stays open until the commit is done, and a retry of the same bytes is answered as stored.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { startTestS3, type TestS3 } from '../support/s3rver';
import { isCompleteMultipart, isPackCommit, isUploadPart, startS3Proxy, type S3Proxy } from './s3-proxy';
import { accountWithDevice, bearerAuth, rest, sha256, type StorageAccountFixture } from './storage-helpers';

const MiB = 1024 * 1024;
/** S3's smallest part: bodies above it go up in parts. */
const THRESHOLD = 5 * MiB;
/** Long enough that a loaded test machine does not stall past it; the hold below is three times it. */
const IDLE_MS = 2_000;

let s3: TestS3;
let proxy: S3Proxy;
let server: TestAccountServer;
let alice: StorageAccountFixture;

beforeAll(async () => {
  s3 = await startTestS3();
  proxy = await startS3Proxy(s3.endpoint);
  server = await startTestAccountServer({
    storage: `s3://${s3.bucket}/accounts`,
    s3Endpoint: proxy.endpoint,
    s3Credentials: s3.credentials,
    s3MultipartThreshold: THRESHOLD,
    idleTimeoutMs: IDLE_MS,
  });
  alice = await accountWithDevice(server, 'alice');
  await rest(`${alice.base}?create=true`, 'POST', { auth: bearerAuth(alice.token) });
});
afterAll(async () => {
  await server?.close();
  await proxy?.close();
  await s3?.close();
});

/** A POST whose body the test writes piece by piece. */
function upload(name: string, size: number) {
  const req = http.request(`${alice.base}data/${name}`, {
    method: 'POST',
    headers: { authorization: bearerAuth(alice.token), 'content-length': String(size) },
  });
  const done = new Promise<{ status: number; body: string } | { error: Error }>((resolve) => {
    req.once('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.once('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.once('error', (error) => resolve({ error }));
  });
  req.flushHeaders();
  return {
    done,
    write: (chunk: Buffer) => new Promise<void>((resolve) => req.write(chunk, () => resolve())),
    end: () => req.end(),
  };
}

describe('large uploads to the S3 store', () => {
  it('sends parts to S3 while the body is still arriving, and stores it whole', async () => {
    const body = randomBytes(4 * THRESHOLD);
    const name = sha256(body);
    const up = upload(name, body.length);
    const half = 2 * THRESHOLD + 1000;
    await up.write(body.subarray(0, half));
    // The client has sent half and waits: a part must already be on its way to S3.
    await vi.waitFor(() => expect(proxy.requests.some(isUploadPart)).toBe(true), { timeout: 5_000 });
    await up.write(body.subarray(half));
    up.end();
    expect(await up.done).toEqual(expect.objectContaining({ status: 200 }));
    const back = await rest(`${alice.base}data/${name}`, 'GET', { auth: bearerAuth(alice.token) });
    expect(back.body.equals(body)).toBe(true);
  }, 60_000);

  it('refuses a body whose SHA-256 is not its name and commits nothing', async () => {
    const body = randomBytes(3 * THRESHOLD);
    const name = sha256(randomBytes(10));
    const before = proxy.requests.filter(isCompleteMultipart).length;
    const answer = await rest(`${alice.base}data/${name}`, 'POST', { auth: bearerAuth(alice.token), body });
    expect(answer.status).toBe(400);
    expect(answer.body.toString()).toMatch(/SHA-256/);
    expect(proxy.requests.filter(isCompleteMultipart).length).toBe(before);
    expect(s3.events.filter((e) => e.key.endsWith(name))).toEqual([]);
  }, 60_000);

  it('keeps the client connected while S3 completes the upload, however long that takes', async () => {
    // S3 commits the pack well after the idle timeout: the client must still get 200.
    proxy.holdAnswers(isPackCommit, 3 * IDLE_MS);
    const body = randomBytes(2 * THRESHOLD);
    const answer = await rest(`${alice.base}data/${sha256(body)}`, 'POST', {
      auth: bearerAuth(alice.token),
      body,
    });
    expect(answer.status).toBe(200);
    const head = await rest(`${alice.base}data/${sha256(body)}`, 'HEAD', { auth: bearerAuth(alice.token) });
    expect(head.status).toBe(200);
  }, 60_000);

  it('answers 200 to a retry of the same bytes, also while the first upload is completing', async () => {
    const body = randomBytes(2 * THRESHOLD);
    const name = sha256(body);
    const post = () => rest(`${alice.base}data/${name}`, 'POST', { auth: bearerAuth(alice.token), body });
    // The first reply is "lost" while S3 completes: the client retries on a new connection.
    const [first, retry] = await Promise.all([post(), new Promise((r) => setTimeout(r, 200)).then(post)]);
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect((await post()).status).toBe(200);
    const listed = await rest(`${alice.base}data/`, 'GET', { auth: bearerAuth(alice.token) });
    expect(JSON.parse(listed.body.toString()).filter((n: string) => n === name)).toHaveLength(1);
  }, 60_000);
});
