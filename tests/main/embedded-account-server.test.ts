/** The embedded account server: the real src-server started in-process on loopback. */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedAccountServer } from '../../src-main/adapters/embedded-account-server';
import { AccountClient } from '../../src-main/services/account-client';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
function embedded(preferredPort = 0) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-embedded-'));
  dirs.push(dir);
  return {
    dir,
    server: new EmbeddedAccountServer({
      dataDir: path.join(dir, 'server'),
      rendererDir: path.join(dir, 'renderer'),
      preferredPort,
    }),
  };
}

describe('EmbeddedAccountServer', () => {
  it('starts once on loopback, with its data in the given directory, and stops', async () => {
    const { dir, server } = embedded();
    expect(server.url()).toBeNull();
    const [a, b] = await Promise.all([server.ensureStarted(), server.ensureStarted()]);
    expect(a).toBe(b);
    expect(a).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await new AccountClient().serverInfo(a)).toMatchObject({ name: 'Strongroom', signup: true });
    expect(fs.readdirSync(path.join(dir, 'server'))).toEqual(
      expect.arrayContaining(['strongroom.sqlite', 'server.key']),
    );
    await server.stop();
    expect(server.url()).toBeNull();
    await expect(new AccountClient({ timeoutMs: 1000 }).serverInfo(a)).rejects.toMatchObject({
      code: 'unreachable',
    });
  });

  it('takes another port when its usual one is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    const { server } = embedded(taken);
    const url = await server.ensureStarted();
    expect(new URL(url).port).not.toBe(String(taken));
    await server.stop();
    blocker.close();
  });
});
