/**
 * An account made by the code before client-side key derivation, migrated through the app: its
 * server row holds the old `scrypt$N$r$p$salt$hash` made here at test time with the production
 * parameters (N = 2^17, not the tests' fast ones). The app's main process (real account client,
 * real Argon2id worker thread, which also computes the legacy proof) unlocks with the password; the
 * server replaces the hash with the auth key's verifier, and the app makes the account's first key.
 * Every byte between them is recorded: the password is in none of it, in any encoding. Afterwards
 * the legacy form is refused for that user, and the app never computes it again.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Argon2WorkerThread } from '../../src-main/adapters/argon2-worker-thread';
import type { Services } from '../../src-main/compose';
import { AccountClient } from '../../src-main/services/account-client';
import { AccountKeyMemory } from '../../src-main/services/account/account-key-memory';
import { openDatabase } from '../../src-server/db/database';
import { toBase64url, toHex } from '../../src-shared/account-crypto';
import type { AccountView } from '../../src-shared/ipc-contract';
import { signInCredentials, startTestAccountServer, type TestAccountServer } from '../support/account-server';
import { ManualClock as ServerClock, PanelClient } from '../server/helpers';
import { legacyHash } from '../server/key-helpers';
import { composeTestServices } from './composed-services';
import { MemorySecretStore, MemorySettingsStore } from './fakes';
import { gateCalls } from './gate-calls';

const OLD_PASSWORD = 'Pässword from the old days+/=';

let server: TestAccountServer;
let tmp: string;
let worker: Argon2WorkerThread;
let services: Services;
const wire: string[] = [];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-legacy-app-'));
  const dataDir = path.join(tmp, 'server');
  fs.mkdirSync(dataDir);
  // The old server's row, made now with the production scrypt cost.
  const stored = legacyHash(OLD_PASSWORD);
  expect(stored).toMatch(/^scrypt\$131072\$8\$1\$/);
  const db = openDatabase(path.join(dataDir, 'strongroom.sqlite'));
  db.prepare(
    "INSERT INTO accounts (username, account_uid, legacy_hash, created_at) VALUES ('olga', ?, ?, 1)",
  ).run('0123456789abcdef0123456789abcdef', stored);
  db.close();
  server = await startTestAccountServer({
    dataDir,
    clock: new ServerClock(Date.now()),
    legacySignInUntil: null,
  });

  worker = new Argon2WorkerThread();
  const store = new MemorySettingsStore();
  const memory = new AccountKeyMemory(store);
  const recording: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    wire.push(
      `${init?.method ?? 'GET'} ${String(input)} ${JSON.stringify([...headers])} ${String(init?.body ?? '')}`,
    );
    const response = await fetch(input, init);
    wire.push(`${response.status} ${JSON.stringify([...response.headers])} ${await response.clone().text()}`);
    return response;
  };
  const client = new AccountClient({
    fetch: recording,
    computerId: memory.computerId(),
    argon2: worker.run,
    legacyProof: worker.legacyProof,
    schemes: memory,
  });
  services = composeTestServices({
    dir: tmp,
    serverUrl: server.url,
    store,
    secrets: new MemorySecretStore(),
    client,
  });
}, 120_000);
afterAll(async () => {
  services?.dispose();
  await worker?.dispose();
  await server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function passwordForms(secret: string): string[] {
  const bytes = Buffer.from(secret.normalize('NFKC'), 'utf8');
  return [
    secret,
    encodeURIComponent(secret),
    bytes.toString('base64'),
    toBase64url(bytes),
    toHex(bytes),
    toHex(bytes).toUpperCase(),
  ];
}

describe('an account made by the legacy code, migrated through the app', { timeout: 120_000 }, () => {
  it('signs in with the legacy proof once, never sends the password, and the legacy form is refused afterwards', async () => {
    const { call } = gateCalls(() => services);
    const view = await call<AccountView>('auth:unlock', { username: 'olga', password: OLD_PASSWORD });
    // The account moved to the auth key and got its first account key at once.
    expect(view.accountKey).toMatchObject({ state: 'ready', kitPending: true });
    expect(server.server.services.accounts.byUsername('olga')).toMatchObject({
      legacy_hash: null,
      key_generation: 2,
    });
    const firstUnlock = wire.join('\n');
    expect(firstUnlock).toContain('"legacyProof"');

    // A second unlock: the auth key alone; the app never computes the legacy proof for this account again.
    services.lock.lock('manual');
    const before = wire.length;
    await call<AccountView>('auth:unlock', { username: 'olga', password: OLD_PASSWORD });
    expect(wire.slice(before).join('\n')).not.toContain('"legacyProof"');

    const recorded = wire.join('\n');
    for (const form of passwordForms(OLD_PASSWORD)) {
      expect(recorded.includes(form), `leaked: ${form.slice(0, 6)}…`).toBe(false);
    }

    // The legacy form no longer signs olga in: the right legacy proof with anything but her auth key.
    const { legacyProof } = await signInCredentials(server.url, 'olga', OLD_PASSWORD);
    expect(legacyProof).toBeDefined();
    const alone = await new PanelClient(server.url).request('POST', '/api/session', {
      username: 'olga',
      authKey: 'A'.repeat(43),
      legacyProof,
    });
    expect([alone.status, alone.body.error]).toEqual([401, 'invalid_credentials']);
  });
});
