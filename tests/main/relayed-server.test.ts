/**
 * Someone at the locked app signs in with an account of their own at an address of their own (here
 * a plain relay in front of the real server). That must not become the unlock screen's default,
 * or the owner's next unlock sends her password's auth key there; and a sign-in through such an
 * address, whose answers open her real key, must not offer to move her account there while the
 * real address still answers.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ElectronStoreSettings } from '../../src-main/adapters/electron-store-settings';
import { ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import type { AccountKeyView, LockStatus } from '../../src-shared/ipc-contract';
import { startTestAccountServer } from '../support/account-server';
import { composeTestServices } from './composed-services';
import { MemorySecretStore } from './fakes';
import { gateCalls } from './gate-calls';

const ANN = 'ann-password-123456';
const MALLORY = 'mallory-password-123';
const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

/** A reverse proxy to `target` that records each request's path. */
async function relay(target: string, seen: string[]): Promise<string> {
  const t = new URL(target);
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    const up = http.request(
      {
        host: t.hostname,
        port: t.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: t.host },
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanup.push(() => new Promise((r) => server.close(() => r(null))));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

it(
  'keeps the owner’s server as the default after another account unlocks elsewhere, and offers no move to a relay',
  { timeout: 120_000 },
  async () => {
    const real = await startTestAccountServer();
    cleanup.push(() => real.close());
    await real.createUser('ann', ANN);
    await real.createUser('mallory', MALLORY);
    const seen: string[] = [];
    const evil = await relay(real.url, seen);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-relayed-server-'));
    cleanup.push(() => fs.rmSync(root, { recursive: true, force: true }));
    const services = composeTestServices({
      dir: root,
      serverUrl: real.url,
      secrets: new MemorySecretStore(),
      store: new ElectronStoreSettings({ cwd: path.join(root, 'app') }),
      runner: new ForkedEngineRunner(),
    });
    cleanup.push(() => services.dispose());
    const gate = gateCalls(() => services, { jobTimeoutMs: 90_000 });

    await gate.call('auth:unlock', { username: 'ann', password: ANN });
    await gate.call('accountKit:confirmSaved');
    await gate.call('vault:create', {
      type: 'account',
      name: 'Cloud',
      repository: 'cloud',
      mode: 'new',
      storePassword: true,
    });
    await services.directory.sync();
    await gate.call('lock:lockNow');
    const before = await gate.call<LockStatus>('lock:status');

    await gate.call('auth:unlock', { serverUrl: evil, username: 'mallory', password: MALLORY });
    await gate.call('lock:lockNow');
    const after = await gate.call<LockStatus>('lock:status');
    expect([after.serverUrl, after.lastUsername]).toEqual([before.serverUrl, 'ann']);

    // The owner's next unlock goes to her own server.
    seen.length = 0;
    await gate.call('auth:unlock', { username: 'ann', password: ANN });
    // (Only mallory's ended session may still be signed out there.)
    expect(seen.filter((p) => p.includes('sign-in'))).toEqual([]);
    await gate.call('lock:lockNow');

    // Signing in through the relay on purpose opens her real key, but the real address still answers.
    await gate.call('auth:unlock', { serverUrl: evil, username: 'ann', password: ANN });
    expect(services.keys.current()).not.toBeNull();
    expect((await gate.call<AccountKeyView>('accountKey:status')).serverMoved).toBeFalsy();
  },
);
