/**
 * keys/ holds only what a client can use: restic's key file or one of the engine's kinds, with
 * scrypt parameters inside the shared bound, and at most 20 per repository. One upload with a
 * stolen token must not lock restic or the engine out.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { restic, resticOk } from './restic';
import { accountWithDevice, bearerAuth, rest, sha256, type StorageAccountFixture } from './storage-helpers';

let server: TestAccountServer;
let alice: StorageAccountFixture;
let repo: string;
let work: string;

beforeAll(async () => {
  server = await startTestAccountServer();
  alice = await accountWithDevice(server, 'alice');
  repo = `rest:http://alice:${alice.token}@127.0.0.1:${server.server.port}/storage/alice/main/`;
  work = mkdtempSync(join(tmpdir(), 'strongroom-key-files-'));
  mkdirSync(join(work, 'src'));
  writeFileSync(join(work, 'src', 'a.txt'), 'something to keep\n');
  await resticOk(repo, ['init']);
  await resticOk(repo, ['backup', join(work, 'src')]);
}, 60_000);
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

const putKey = (body: Buffer | string) => {
  const bytes = Buffer.from(body);
  return rest(`${alice.base}keys/${sha256(randomBytes(16))}`, 'POST', {
    auth: bearerAuth(alice.token),
    body: bytes,
  });
};
const b64 = (n: number) => randomBytes(n).toString('base64');
const enginePasswordSlot = (kdf: Record<string, unknown>) =>
  JSON.stringify({
    version: 1,
    created: new Date().toISOString(),
    host: 'laptop',
    username: 'alice',
    kdf: { name: 'scrypt', salt: b64(32), ...kdf },
    masterKey: b64(60),
  });
const resticKey = (params: Record<string, unknown>) =>
  JSON.stringify({
    created: new Date().toISOString(),
    username: 'alice',
    hostname: 'laptop',
    kdf: 'scrypt',
    N: 32768,
    r: 8,
    p: 1,
    salt: b64(64),
    data: b64(128),
    ...params,
  });

describe('key files', () => {
  it('refuses bytes that are not a key file, with 400 and words, and restic still opens the repository', async () => {
    const garbage = await putKey('{"not":"a key"}');
    expect(garbage.status).toBe(400);
    expect(garbage.body.toString()).toMatch(/Not a key file restic or Strongroom can use/);
    const hello = await putKey('hello');
    expect(hello.status).toBe(400);
    expect(hello.body.toString()).toMatch(/not JSON/);
    expect((await putKey('')).status).toBe(400);
    expect((await putKey(Buffer.alloc(16 * 1024 + 1, 0x20))).status).toBe(400);
    const snapshots = JSON.parse(await resticOk(repo, ['snapshots', '--json'])) as unknown[];
    expect(snapshots).toHaveLength(1);
  }, 60_000);

  it('refuses scrypt parameters outside the shared bound, in either format', async () => {
    const tiny = await putKey(enginePasswordSlot({ N: 3, r: 8, p: 1 }));
    expect(tiny.status).toBe(400);
    expect(tiny.body.toString()).toMatch(/scrypt N = 3/);
    const huge = await putKey(enginePasswordSlot({ N: 4194304, r: 32, p: 16 }));
    expect(huge.status).toBe(400);
    expect(huge.body.toString()).toMatch(/MiB/);
    expect((await putKey(resticKey({ N: 2 ** 24 }))).status).toBe(400);
    expect((await putKey(resticKey({ p: 1000 }))).status).toBe(400);
    // restic's own form is stored.
    expect((await putKey(resticKey({}))).status).toBe(200);
    await resticOk(repo, ['snapshots', '--json']);
  }, 60_000);

  it('refuses what restic would stop at instead of skipping: an engine key, a bad time, salt, data, number or padding', async () => {
    const refused: Array<[string, string, RegExp]> = [
      ['an engine key in a restic repository', enginePasswordSlot({ N: 32768, r: 8, p: 2 }), /restic stops/],
      ['created not a time', resticKey({ created: 'yesterday' }), /created/],
      ['30 February', resticKey({ created: '2024-02-30T00:00:00Z' }), /created/],
      ['a 32-byte salt', resticKey({ salt: b64(32) }), /salt is not 64 bytes/],
      ['data without room for nonce and MAC', resticKey({ data: b64(20) }), /nonce/],
      ['N written as 1024.0', resticKey({}).replace('"N":32768', '"N":32768.0'), /N is not written/],
      ['unpadded base64', resticKey({ salt: b64(64).replace(/=+$/, '') }), /padded/],
    ];
    for (const [what, body, words] of refused) {
      const answer = await putKey(body);
      expect(answer.status, what).toBe(400);
      expect(answer.body.toString(), what).toMatch(words);
    }
    await resticOk(repo, ['snapshots', '--json']);
  }, 60_000);

  it("takes the engine's key files in a repository of the engine's", async () => {
    const base = `${server.url}/storage/alice/engine/`;
    await rest(`${base}?create=true`, 'POST', { auth: bearerAuth(alice.token) });
    const post = (body: string) =>
      rest(`${base}keys/${sha256(randomBytes(16))}`, 'POST', {
        auth: bearerAuth(alice.token),
        body: Buffer.from(body),
      });
    expect((await post(enginePasswordSlot({ N: 32768, r: 8, p: 2 }))).status).toBe(200);
    expect((await post(enginePasswordSlot({ N: 65536, r: 8, p: 1 }))).status).toBe(200);
    const other = await post(resticKey({}));
    expect(other.status).toBe(400);
    expect(other.body.toString()).toMatch(/key files are Strongroom's/);
  });

  it('adds a key with restic, and stops at 20 live keys per repository', async () => {
    const env = { RESTIC_NEW_PASSWORD_FILE: join(work, 'new-password') };
    writeFileSync(env.RESTIC_NEW_PASSWORD_FILE, 'a second password\n');
    const added = await restic(repo, ['key', 'add', '--new-password-file', env.RESTIC_NEW_PASSWORD_FILE]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const listed = JSON.parse(
      (await rest(`${alice.base}keys/`, 'GET', { auth: bearerAuth(alice.token) })).body.toString(),
    ) as string[];
    for (let n = listed.length; n < 20; n++) expect((await putKey(resticKey({}))).status).toBe(200);
    const past = await putKey(resticKey({}));
    expect(past.status).toBe(403);
    expect(past.body.toString()).toMatch(/already holds 20 key files/);
    // The owner's key is among the 20 restic tries.
    await resticOk(repo, ['snapshots', '--json']);
  }, 120_000);
});
