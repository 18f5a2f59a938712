/**
 * After a crash: the server cleans its temporary files at start, and an upload the store
 * committed just before the process died (its row never written) is visible after the restart.
 * The crash is a real SIGKILL of a server process, timed by the S3 proxy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openServices } from '../../src-server/app';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { derivedKeys, testKdf } from '../support/derived-keys';
import { startTestS3 } from '../support/s3rver';
import { isCompleteMultipart, startS3Proxy, type S3Proxy } from './s3-proxy';
import { bearerAuth, rest, sha256 } from './storage-helpers';

const CLI = fileURLToPath(new URL('../../src-server/cli.ts', import.meta.url));
const MiB = 1024 * 1024;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-leftovers-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `npm run server` as a separate process, so it can be killed with SIGKILL. */
function serve(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  cleanups.push(() => {
    child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /listening on (\S+)\n/.exec(out);
      if (match) resolve({ child, url: match[1]! });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

describe('leftovers of a crash', () => {
  it('removes temporary files at start, from the old tmp/ folder too, and keeps a user named tmp', async () => {
    const dataDir = tempDir();
    let server: TestAccountServer = await startTestAccountServer({ dataDir });
    await server.createUser('tmp', 'correct horse battery');
    const account = server.server.services.accounts.byUsername('tmp')!;
    const { token } = server.server.services.sessions.createDevice(account.id, 'laptop');
    const base = `${server.url}/storage/tmp/main/`;
    await rest(`${base}?create=true`, 'POST', { auth: bearerAuth(token) });
    const data = randomBytes(1000);
    expect(
      (await rest(`${base}data/${sha256(data)}`, 'POST', { auth: bearerAuth(token), body: data })).status,
    ).toBe(200);
    await server.close();

    const storage = join(dataDir, 'storage');
    mkdirSync(join(storage, '.tmp'), { recursive: true });
    writeFileSync(join(storage, '.tmp', 'aaaa.part'), 'half an upload');
    writeFileSync(join(storage, 'tmp', 'bbbb.part'), 'half an upload, older layout');
    mkdirSync(join(dataDir, 'spool'), { recursive: true });
    writeFileSync(join(dataDir, 'spool', 'cccc.part'), 'half a spooled upload');

    server = await startTestAccountServer({ dataDir });
    cleanups.push(() => server.close());
    expect(existsSync(join(storage, '.tmp', 'aaaa.part'))).toBe(false);
    expect(existsSync(join(storage, 'tmp', 'bbbb.part'))).toBe(false);
    // The user tmp's files are where they were.
    const back = await rest(`${server.url}/storage/tmp/main/data/${sha256(data)}`, 'GET', {
      auth: bearerAuth(token),
    });
    expect(back.body.equals(data)).toBe(true);
  });

  it('removes spooled parts at start on an S3 server', async () => {
    const s3 = await startTestS3();
    cleanups.push(() => s3.close());
    const dataDir = tempDir();
    mkdirSync(join(dataDir, 'spool'), { recursive: true });
    writeFileSync(join(dataDir, 'spool', 'cccc.part'), 'half a spooled upload');
    const server = await startTestAccountServer({
      dataDir,
      storage: `s3://${s3.bucket}/accounts`,
      s3Endpoint: s3.endpoint,
      s3Credentials: s3.credentials,
    });
    cleanups.push(() => server.close());
    expect(existsSync(join(dataDir, 'spool', 'cccc.part'))).toBe(false);
  });

  it('makes an object S3 committed just before a SIGKILL visible at the next start', async () => {
    const s3 = await startTestS3();
    cleanups.push(() => s3.close());
    const proxy: S3Proxy = await startS3Proxy(s3.endpoint);
    cleanups.push(() => proxy.close());
    const dataDir = tempDir();
    const services = openServices(dataDir);
    const kdf = testKdf('correct horse battery');
    services.accounts.create('alice', kdf, (await derivedKeys('correct horse battery', kdf)).authKey, {
      temporary: false,
    });
    const { token } = services.sessions.createDevice(services.accounts.byUsername('alice')!.id, 'laptop');
    services.db.close();

    const args = [
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--no-build-panel',
      '--storage',
      `s3://${s3.bucket}/accounts`,
      '--s3-endpoint',
      proxy.endpoint,
    ];
    const env = {
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    };
    const first = await serve(args, env);
    const base = `${first.url}/storage/alice/main/`;
    await rest(`${base}?create=true`, 'POST', { auth: bearerAuth(token) });

    // Above the 64 MiB threshold: a multipart upload, completed on S3, then the server is killed
    // before it hears the answer (and so before it writes the row).
    const body = randomBytes(64 * MiB + 4096);
    const name = sha256(body);
    proxy.holdAnswers(isCompleteMultipart, 60_000, () => first.child.kill('SIGKILL'));
    const cut = await rest(`${base}data/${name}`, 'POST', { auth: bearerAuth(token), body }).catch(
      (error: Error) => error,
    );
    expect(cut).toBeInstanceOf(Error);
    expect(s3.events).toContainEqual({
      name: 'ObjectCreated:Post',
      key: `accounts/alice/main/data/${name.slice(0, 2)}/${name}`,
    });

    const second = await serve(args, env);
    const again = `${second.url}/storage/alice/main/`;
    const listed = await rest(`${again}data/`, 'GET', { auth: bearerAuth(token) });
    expect(JSON.parse(listed.body.toString())).toEqual([name]);
    const head = await rest(`${again}data/${name}`, 'HEAD', { auth: bearerAuth(token) });
    expect(head.headers.get('content-length')).toBe(String(body.length));
    // The retry the client would now make is answered as stored.
    expect((await rest(`${again}data/${name}`, 'POST', { auth: bearerAuth(token), body })).status).toBe(200);
  }, 120_000);
});
