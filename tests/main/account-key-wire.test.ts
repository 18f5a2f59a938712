/**
 * Nothing secret on the wire: every request and answer between the app's main process and the
 * account server is recorded (the client's fetch, so headers and bodies as sent) through sign-up,
 * sign-in with the first key and kit, reauthentication, a new kit, password change and forgotten
 * password; neither a password nor a recovery key nor the AMK appears in any encoding.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Argon2WorkerThread } from '../../src-main/adapters/argon2-worker-thread';
import type { Services } from '../../src-main/compose';
import { AccountClient } from '../../src-main/services/account-client';
import { AccountKeyMemory } from '../../src-main/services/account/account-key-memory';
import { parseRecoveryKey, toBase64url, toHex } from '../../src-shared/account-crypto';
import type { AccountKitView, AccountView } from '../../src-shared/ipc-contract';
import { startTestAccountServer, totpCode, type TestAccountServer } from '../support/account-server';
import { ManualClock as ServerClock } from '../server/helpers';
import { composeTestServices } from './composed-services';
import { MemorySecretStore, MemorySettingsStore } from './fakes';
import { gateCalls } from './gate-calls';

const PASSWORD = 'Pässword with ümlauts+/=';
const NEW_PASSWORD = 'second secret 🔑 phrase';
const RESET_PASSWORD = 'third one, after forgetting';

let server: TestAccountServer;
let clock: ServerClock;
let tmp: string;
let worker: Argon2WorkerThread;
let services: Services;
const wire: string[] = [];

beforeAll(async () => {
  clock = new ServerClock(Date.now());
  server = await startTestAccountServer({ clock, signup: true });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-key-wire-'));
  worker = new Argon2WorkerThread();
  const store = new MemorySettingsStore();
  const memory = new AccountKeyMemory(store);
  const recording: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    wire.push(
      `${init?.method ?? 'GET'} ${String(input)} ${JSON.stringify([...headers])} ${String(init?.body ?? '')}`,
    );
    const response = await fetch(input, init);
    const text = await response.clone().text();
    wire.push(`${response.status} ${JSON.stringify([...response.headers])} ${text}`);
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
});
afterAll(async () => {
  services.dispose();
  await worker.dispose();
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function nextCode(secret: string): string {
  clock.advance(30_000);
  return totpCode(secret, clock.now());
}

/** A text secret as it could leak: plain, URL-encoded, and its UTF-8 bytes in base64, base64url and hex. */
function textForms(secret: string): string[] {
  const bytes = new TextEncoder().encode(secret.normalize('NFKC'));
  return [secret, encodeURIComponent(secret), ...byteForms(bytes)];
}
function byteForms(bytes: Uint8Array): string[] {
  const b = Buffer.from(bytes);
  return [b.toString('base64'), toBase64url(bytes), toHex(bytes), toHex(bytes).toUpperCase()];
}

describe('the wire between the app and the account server', () => {
  it('carries no password, recovery key or account key through every credential flow', async () => {
    const { call, refused } = gateCalls(() => services);
    const secrets: string[] = [];
    const recoveryKeys: string[] = [];

    await services.client.signup(server.url, { username: 'erin', password: PASSWORD });
    const secret = await server.enableTotp('erin');
    const first = await call<AccountView>('auth:unlock', {
      username: 'erin',
      password: PASSWORD,
      totp: nextCode(secret),
    });
    expect(first.accountKey).toMatchObject({ state: 'ready', kitPending: true });
    const amk = new Uint8Array(services.keys.current()!.amk);
    recoveryKeys.push((await call<AccountKitView>('accountKit:get')).recoveryKey);
    await call('account:reauthenticate', { password: PASSWORD, totp: nextCode(secret) });
    recoveryKeys.push(
      (await call<AccountKitView>('accountKit:new', { password: PASSWORD, totp: nextCode(secret) }))
        .recoveryKey,
    );
    await call('account:changePassword', {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
      totp: nextCode(secret),
    });
    services.lock.lock('manual');
    expect(
      await refused('auth:forgotPassword', {
        username: 'erin',
        recoveryKey: recoveryKeys[1]!,
        totp: nextCode(secret),
        newPassword: RESET_PASSWORD,
      }),
    ).toMatchObject({ code: 'totp_required' });
    const back = await call<AccountView>('auth:unlock', {
      username: 'erin',
      password: RESET_PASSWORD,
      totp: nextCode(secret),
    });
    expect(back.accountKey).toMatchObject({ state: 'ready', kitPending: true });
    recoveryKeys.push((await call<AccountKitView>('accountKit:get')).recoveryKey);
    services.lock.lock('manual');

    for (const password of [PASSWORD, NEW_PASSWORD, RESET_PASSWORD]) secrets.push(...textForms(password));
    for (const key of recoveryKeys) {
      secrets.push(key, key.replace(/-/g, ''), key.toLowerCase(), ...byteForms(await parseRecoveryKey(key)));
    }
    secrets.push(...byteForms(amk));

    const recorded = wire.join('\n');
    expect(wire.length).toBeGreaterThan(20);
    // The recording holds the bodies (what a leak would be in): auth keys, wraps, the kit's proof.
    for (const part of ['"authKey"', '"passwordWrap"', '"recoveryProof"', '/api/forgot-password/finish']) {
      expect(recorded).toContain(part);
    }
    for (const s of secrets) expect(recorded.includes(s), `leaked: ${s.slice(0, 6)}…`).toBe(false);
  });
});
