/**
 * The generation this computer remembers is the floor below which a server's keys are refused as
 * replayed. Only generations a key opened (or this computer wrote) may raise it: one answer whose
 * top-level generation was forged, its wraps unchanged, must not make the honest server "older"
 * at every later unlock, nor pin the drive's envelope above what the account has. The hostile
 * answer is the real server's with its top-level generation raised, once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ElectronStoreSettings } from '../../src-main/adapters/electron-store-settings';
import { ForkedEngineRunner } from '../../src-main/adapters/forked-engine-runner';
import type { AccountClient } from '../../src-main/services/account-client';
import type { AccountKeyView } from '../../src-shared/ipc-contract';
import { startTestAccountServer } from '../support/account-server';
import { composeTestServices } from './composed-services';
import { MemorySecretStore } from './fakes';
import { gateCalls } from './gate-calls';

const PASSWORD = 'ann-password-123456';
const FORGED = 2 ** 40;

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

it(
  'remembers only generations of wraps that opened, so one forged answer does not refuse the honest server later',
  { timeout: 120_000 },
  async () => {
    const server = await startTestAccountServer();
    cleanup.push(() => server.close());
    await server.createUser('ann', PASSWORD);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-forged-generation-'));
    cleanup.push(() => fs.rmSync(root, { recursive: true, force: true }));
    const store = new ElectronStoreSettings({ cwd: path.join(root, 'app') });
    const services = composeTestServices({
      dir: root,
      serverUrl: server.url,
      secrets: new MemorySecretStore(),
      store,
      runner: new ForkedEngineRunner(),
    });
    cleanup.push(() => services.dispose());
    const gate = gateCalls(() => services, { jobTimeoutMs: 90_000 });
    await gate.call('auth:unlock', { username: 'ann', password: PASSWORD });
    await gate.call('accountKit:confirmSaved');
    const usb = path.join(root, 'usb');
    await gate.call('vault:create', {
      type: 'local',
      name: 'USB',
      path: usb,
      mode: 'new',
      storePassword: true,
    });
    await services.directory.sync();
    await gate.call('lock:lockNow');

    const client = (services as unknown as { client: AccountClient }).client;
    const honest = client.accountKeys.bind(client);
    let forged = false;
    client.accountKeys = async (...args: Parameters<AccountClient['accountKeys']>) => {
      const rows = await honest(...args);
      if (forged) return rows;
      forged = true;
      return { ...rows, generation: rows.generation + FORGED };
    };
    await gate.call('auth:unlock', { username: 'ann', password: PASSWORD });
    expect((await gate.call<AccountKeyView>('accountKey:status')).state).toBe('ready');
    await services.directory.sync();
    const envelope = fs
      .readdirSync(path.join(usb, 'keys'))
      .map(
        (f) =>
          JSON.parse(fs.readFileSync(path.join(usb, 'keys', f), 'utf8')) as {
            type?: string;
            generation: number;
          },
      )
      .find((k) => k.type === 'strongroom-envelope');
    expect(envelope!.generation).toBeLessThan(FORGED);
    const remembered = store.read('accountKeys') as { accounts: Record<string, { generation: number }> };
    for (const account of Object.values(remembered.accounts)) expect(account.generation).toBeLessThan(FORGED);
    await gate.call('lock:lockNow');

    client.accountKeys = honest;
    await gate.call('auth:unlock', { username: 'ann', password: PASSWORD });
    expect((await gate.call<AccountKeyView>('accountKey:status')).state).toBe('ready');
  },
);

it(
  'a write answered with another generation than the one written: only the one written is remembered, and the honest server still opens',
  { timeout: 120_000 },
  async () => {
    const server = await startTestAccountServer();
    cleanup.push(() => server.close());
    await server.createUser('ann', PASSWORD);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-forged-write-'));
    cleanup.push(() => fs.rmSync(root, { recursive: true, force: true }));
    const store = new ElectronStoreSettings({ cwd: path.join(root, 'app') });
    const services = composeTestServices({
      dir: root,
      serverUrl: server.url,
      secrets: new MemorySecretStore(),
      store,
    });
    cleanup.push(() => services.dispose());
    const gate = gateCalls(() => services, { jobTimeoutMs: 90_000 });
    const client = (services as unknown as { client: AccountClient }).client;
    const remembered = () =>
      Object.values(
        (store.read('accountKeys') as { accounts: Record<string, { generation: number }> }).accounts,
      )[0]?.generation ?? 0;

    // The first key: the server answers the write with a raised generation, once.
    const honestCreate = client.createAccountKeys.bind(client);
    client.createAccountKeys = async (...args: Parameters<AccountClient['createAccountKeys']>) => {
      const answer = await honestCreate(...args);
      client.createAccountKeys = honestCreate;
      return { ...answer, generation: answer.generation + FORGED };
    };
    await gate.call('auth:unlock', { username: 'ann', password: PASSWORD });
    expect(remembered()).toBeLessThan(FORGED);
    await gate.call('lock:lockNow');
    await gate.call('auth:unlock', { username: 'ann', password: PASSWORD });
    expect((await gate.call<AccountKeyView>('accountKey:status')).state).toBe('ready');

    // A new kit: the same with its answer.
    const honestKit = client.newRecoveryKey.bind(client);
    client.newRecoveryKey = async (...args: Parameters<AccountClient['newRecoveryKey']>) => {
      const answer = await honestKit(...args);
      return { ...answer, generation: answer.generation + FORGED };
    };
    // The write was done: its kit is shown (refusing it now would lose the only copy of the new
    // recovery key), and only the generation written is remembered.
    await gate.call('accountKit:new', { password: PASSWORD });
    expect(remembered()).toBeLessThan(FORGED);
    client.newRecoveryKey = honestKit;
    await gate.call('lock:lockNow');
    await gate.call('auth:unlock', { username: 'ann', password: PASSWORD });
    expect((await gate.call<AccountKeyView>('accountKey:status')).state).toBe('ready');
  },
);
