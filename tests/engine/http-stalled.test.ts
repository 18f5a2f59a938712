/**
 * A REST storage server that stalls or dies: every request has a timeout and retries, the error a
 * person sees is the real one (naming the server, code UNREACHABLE), never the lock release that
 * failed after it, and an interrupted restore names every file it did not restore. Refusals carry
 * their HTTP status and code. The server is the account server behind a TCP proxy that the tests
 * stall or kill at a known moment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  backup,
  EngineError,
  Repository,
  restore,
  RestHttpStorage,
  RestoreInterruptedError,
  type EngineProblem,
} from '../../src-engine/index';
import { startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { PASSWORD, prng, runCli, SMALL, tempDir, writeFile } from './helpers';

/** Short waits, so that a stalled or dead server is given up in a few seconds. */
const QUICK = { timeoutMs: 1000, retries: 2, retryDelayMs: 20 };

/**
 * A TCP proxy in front of the server's `port`: `stall()` stops passing bytes both ways (and answers
 * no new connection), `kill()` closes everything.
 */
class Proxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private stalled = false;
  port = 0;

  constructor(private readonly target: number) {
    this.server = net.createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      if (this.stalled) return; // accepted, and never answered
      const upstream = net.connect(this.target, '127.0.0.1');
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      // The server answers only to its own host and port: the Host header is the proxy's.
      const [from, to] = [`127.0.0.1:${this.port}`, `127.0.0.1:${this.target}`];
      client.on('data', (d: Buffer) => {
        if (!this.stalled) upstream.write(Buffer.from(d.toString('latin1').split(from).join(to), 'latin1'));
      });
      upstream.on('data', (d) => {
        if (!this.stalled) client.write(d);
      });
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('end', () => upstream.end());
      upstream.on('end', () => client.end());
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  stall(): void {
    this.stalled = true;
  }

  kill(): void {
    this.server.close();
    for (const s of this.sockets) s.destroy();
  }
}

let server: TestAccountServer;
let token: string;
let work: string;
let src: string;

beforeAll(async () => {
  server = await startTestAccountServer();
  await server.createUser('alice', 'correct horse battery');
  const account = server.server.services.accounts.byUsername('alice')!;
  token = server.server.services.sessions.createDevice(account.id, 'engine laptop').token;
  work = await tempDir('http-stalled');
  src = path.join(work, 'src');
  for (let i = 0; i < 12; i++) writeFile(path.join(src, `d${i % 3}`, `f${i}.bin`), prng(`f${i}`, 150_000));
});
afterAll(async () => {
  await server.close();
  fs.rmSync(work, { recursive: true, force: true });
});

/** A new repository on the server, reached through a fresh proxy. */
async function repoBehindProxy(name: string): Promise<{ proxy: Proxy; url: string }> {
  const proxy = await new Proxy(Number(new URL(server.url).port)).start();
  const url = `rest:http://127.0.0.1:${proxy.port}/storage/alice/${name}/`;
  await Repository.init(new RestHttpStorage(url, token, QUICK), PASSWORD, SMALL);
  return { proxy, url };
}

async function failure(p: Promise<unknown>): Promise<EngineError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EngineError);
  return err as EngineError;
}

describe('a stalled server', () => {
  it('fails the backup within its timeouts, naming the server, instead of hanging', async () => {
    const { proxy, url } = await repoBehindProxy('stalled');
    const repo = await Repository.open(new RestHttpStorage(url, token, QUICK), PASSWORD);
    const err = await failure(
      backup(repo, {
        paths: [src],
        readHooks: { beforeRead: () => proxy.stall() },
      }),
    );
    expect(err.code).toBe('UNREACHABLE');
    expect(err.message).toContain(
      `the server http://127.0.0.1:${proxy.port} did not answer (no answer for 1 s; 3 attempts)`,
    );
    proxy.kill();
  }, 30_000);
});

describe('a server that dies', () => {
  it('during a backup: the error is the server that died, not the lock that could not be removed', async () => {
    const { proxy, url } = await repoBehindProxy('dies-backup');
    const repo = await Repository.open(new RestHttpStorage(url, token, QUICK), PASSWORD);
    const err = await failure(backup(repo, { paths: [src], readHooks: { beforeRead: () => proxy.kill() } }));
    expect(err.code).toBe('UNREACHABLE');
    expect(err.message).toMatch(
      new RegExp(`^the server http://127\\.0\\.0\\.1:${proxy.port} did not answer`),
    );
    expect(err.message).not.toMatch(/locks\//);
  }, 30_000);

  it('during a restore: every file it did not restore is named, and the error is the real one', async () => {
    const { proxy, url } = await repoBehindProxy('dies-restore');
    await backup(await Repository.open(new RestHttpStorage(url, token, QUICK), PASSWORD), {
      paths: [src],
      workers: 0,
    });
    /** Kills the server when the restore asks for its third range of pack bytes. */
    class Dying extends RestHttpStorage {
      private reads = 0;
      override readRange(name: string, offset: number, length: number): Promise<Buffer> {
        if (name.startsWith('packs/') && ++this.reads === 3) proxy.kill();
        return super.readRange(name, offset, length);
      }
    }
    const target = path.join(work, 'restored');
    const problems: EngineProblem[] = [];
    const err = await failure(
      restore(await Repository.open(new Dying(url, token, QUICK), PASSWORD), 'latest', {
        target,
        onProblem: (p) => problems.push(p),
      }),
    );
    expect(err).toBeInstanceOf(RestoreInterruptedError);
    expect(err.code).toBe('UNREACHABLE');
    expect(err.message).toMatch(/^the server http:\/\/127\.0\.0\.1:\d+ did not answer/);
    const result = (err as RestoreInterruptedError).result;
    const restored = (fs.readdirSync(path.join(target, src), { recursive: true }) as string[]).filter((p) =>
      p.endsWith('.bin'),
    );
    const named = problems
      .filter((p) => p.kind === 'not-restored')
      .map((p) => path.relative(path.join(target, src), p.path));
    expect(restored.length).toBeLessThan(12);
    // Every file is either there, complete, or named as not restored; never both, never neither.
    expect([...restored, ...named].sort()).toEqual(
      [...Array(12).keys()].map((i) => path.join(`d${i % 3}`, `f${i}.bin`)).sort(),
    );
    for (const r of restored)
      expect(fs.readFileSync(path.join(target, src, r)).equals(fs.readFileSync(path.join(src, r)))).toBe(
        true,
      );
    expect(result.problems).toEqual(problems);
    expect(result).toMatchObject({ filesRestored: restored.length, filesNotRestored: named.length });
  }, 30_000);
});

describe('refusals', () => {
  it('carry the HTTP status and the engine code: 401 UNAUTHORIZED, 507 QUOTA', async () => {
    const url = `rest:${server.url}/storage/alice/refusals/`;
    await Repository.init(new RestHttpStorage(url, token, QUICK), PASSWORD, SMALL);
    const revoked = await failure(
      Repository.open(new RestHttpStorage(url, 'srd_not-a-token', QUICK), PASSWORD),
    );
    expect(revoked).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    const cli = await runCli(['-r', url, '--json', 'snapshots'], {
      STRONGROOM_PASSWORD: PASSWORD,
      STRONGROOM_STORAGE_TOKEN: 'srd_not-a-token',
    });
    expect(cli.code).toBe(1);
    expect(JSON.parse(cli.stdout)).toMatchObject({ error: { code: 'UNAUTHORIZED', status: 401 } });

    const account = server.server.services.accounts.byUsername('alice')!;
    const storage = server.server.services.storage;
    storage.table.setQuota(account.id, storage.usedBytes(account.id) + 1000);
    try {
      const repo = await Repository.open(new RestHttpStorage(url, token, QUICK), PASSWORD);
      const full = await failure(backup(repo, { paths: [src] }));
      expect(full).toMatchObject({ code: 'QUOTA', status: 507 });
    } finally {
      storage.table.setQuota(account.id, null);
    }
  });
});
