/**
 * "Your account is your key" in the app's main process: the composed services (real settings
 * store in memory, real Argon2id worker thread, real account client) against a real account server
 * on loopback with TOTP on and a clock the test moves. Two data directories play two computers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Argon2WorkerThread } from '../../src-main/adapters/argon2-worker-thread';
import type { Services } from '../../src-main/compose';
import { AccountKeyMemory } from '../../src-main/services/account/account-key-memory';
import { deviceKeyAccount } from '../../src-main/services/account/account-key-service';
import { deviceTokenAccount } from '../../src-main/services/lock-service';
import {
  formatRecoveryKey,
  legacyProofOf,
  newRecoveryKey,
  parseRecoveryKey,
  passwordBytes,
  toBase64url,
  toHex,
} from '../../src-shared/account-crypto';
import { KDF_FLOOR, type LegacyKdf } from '../../src-shared/account-keys';
import type { AccountKitView, AccountView } from '../../src-shared/ipc-contract';
import { AccountClient } from '../../src-main/services/account-client';
import { startTestAccountServer, totpCode, type TestAccountServer } from '../support/account-server';
import { derivedKeys, testKdf } from '../support/derived-keys';
import { ManualClock as ServerClock } from '../server/helpers';
import { composeTestServices } from './composed-services';
import { MemorySecretStore, MemorySettingsStore } from './fakes';
import { gateCalls } from './gate-calls';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new passphrase';
const RESET_PASSWORD = 'found my way back in';
const TEMPORARY = 'set by the administrator';
const OWN_AGAIN = 'my very own password';

let server: TestAccountServer;
let clock: ServerClock;
let secret: string;
let tmp: string;
const open: Services[] = [];
const workers: Argon2WorkerThread[] = [];

beforeAll(async () => {
  clock = new ServerClock(Date.now());
  server = await startTestAccountServer({ clock });
  await server.createUser('alice', PASSWORD);
  secret = await server.enableTotp('alice');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-account-key-'));
});
afterAll(async () => {
  for (const s of open.splice(0)) s.dispose();
  for (const w of workers.splice(0)) await w.dispose();
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The next TOTP code: a step later than the last one used, as a person waiting for the next code. */
function nextCode(): string {
  clock.advance(30_000);
  return totpCode(secret, clock.now());
}

function computer(name: string, serverUrl = server.url) {
  const store = new MemorySettingsStore();
  const secrets = new MemorySecretStore();
  const services = composeTestServices({ dir: path.join(tmp, name), serverUrl, store, secrets });
  open.push(services);
  const gate = gateCalls(() => services);
  const memory = new AccountKeyMemory(store);
  return { services, store, secrets, memory, ...gate };
}
type Computer = ReturnType<typeof computer>;

/** Locks first when unlocked: sign-ins are refused while unlocked. */
function unlock(c: Computer, password = PASSWORD) {
  if (!c.services.lock.isLocked()) c.services.lock.lock('manual');
  return c.call<AccountView>('auth:unlock', { username: 'alice', password, totp: nextCode() });
}

/** Every byte the server keeps on disk (database and its WAL, logs, key files). */
function serverBytes(): Buffer {
  const files: Buffer[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else files.push(fs.readFileSync(p));
    }
  };
  walk(server.dataDir);
  return Buffer.concat(files);
}

function encodings(bytes: Uint8Array): string[] {
  const b = Buffer.from(bytes);
  return [toHex(bytes), toBase64url(bytes), b.toString('base64'), b.toString('latin1')];
}

function deviceMe(token: string) {
  return fetch(`${server.url}/api/device/me`, { headers: { authorization: `Bearer ${token}` } });
}

let laptop: Computer;
let desktop: Computer;
let keyId: string;
let firstKit: AccountKitView;
/** The kit the forgotten-password reset made. */
let resetKit: AccountKitView;

describe('the account master key', () => {
  it('the first unlock makes the AMK and a pending kit, and the server keeps only wraps', async () => {
    laptop = computer('laptop');
    const view = await unlock(laptop);
    expect(view.accountKey).toMatchObject({ state: 'ready', kitPending: true, reason: null });
    expect(view.accountKey.keyId).toMatch(/^([0-9a-f]{4} ){7}[0-9a-f]{4}$/);
    keyId = view.accountKey.keyId!.replace(/ /g, '');
    const held = laptop.services.keys.current()!;
    expect(held).toMatchObject({ username: 'alice', keyId, computerId: laptop.services.client.computerId });
    expect(laptop.memory.get(server.url, 'alice')).toMatchObject({
      keyId,
      kitPending: true,
      newScheme: true,
    });

    firstKit = await laptop.call<AccountKitView>('accountKit:get');
    expect(firstKit).toMatchObject({
      username: 'alice',
      serverUrl: server.url,
      keyId: view.accountKey.keyId,
    });
    expect(firstKit.recoveryKey).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){13}[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(firstKit.qrPngDataUrl).toMatch(/^data:image\/png;base64,/);

    // The server: the key id and three wraps (password, recovery, this computer's device), nothing else.
    const db = server.server.services.db;
    const account = db.prepare('SELECT id, key_id FROM accounts WHERE username = ?').get('alice') as {
      id: number;
      key_id: string;
    };
    expect(account.key_id).toBe(keyId);
    const wraps = db
      .prepare('SELECT kind, computer_id FROM account_wraps WHERE account_id = ? ORDER BY kind')
      .all(account.id) as { kind: string; computer_id: string }[];
    expect(wraps.map((w) => w.kind)).toEqual(['device', 'password', 'recovery']);
    expect(wraps[0]!.computer_id).toBe(laptop.services.client.computerId);
    const stored = serverBytes().toString('latin1');
    const recoveryKey = await parseRecoveryKey(firstKit.recoveryKey);
    for (const secretBytes of [held.amk, recoveryKey, passwordBytes(PASSWORD)]) {
      for (const text of encodings(secretBytes)) expect(stored.includes(text)).toBe(false);
    }
    expect(stored.includes(firstKit.recoveryKey)).toBe(false);
  });

  it('saves the kit as text (0600, never over a file), then forgets it once confirmed saved', async () => {
    const file = path.join(tmp, 'alice-account-kit.txt');
    expect(await laptop.call('accountKit:save', { destinationPath: file })).toEqual({ path: file });
    const text = fs.readFileSync(file, 'utf8');
    for (const part of [
      'alice',
      server.url,
      firstKit.keyId,
      firstKit.recoveryKey,
      'Forgot password?',
      '--recovery-key-file',
    ]) {
      expect(text).toContain(part);
    }
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(await laptop.refused('accountKit:save', { destinationPath: file })).toMatchObject({
      code: 'conflict',
    });
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
    expect(await laptop.refused('accountKit:save', { destinationPath: 'kit.txt' })).toMatchObject({
      code: 'bad_request',
    });

    expect(await laptop.call('accountKit:confirmSaved')).toBeNull();
    expect(await laptop.call('accountKey:status')).toMatchObject({ state: 'ready', kitPending: false });
    expect(await laptop.refused('accountKit:get')).toMatchObject({ code: 'not_found' });
    expect(laptop.memory.get(server.url, 'alice').kitPending).toBe(false);
  });

  it('zeroes the AMK when the app locks', async () => {
    await unlock(laptop);
    const amk = laptop.services.keys.current()!.amk;
    expect(amk.some((b) => b !== 0)).toBe(true);
    const seen: (string | null)[] = [];
    const off = laptop.services.keys.onChange((k) => seen.push(k?.keyId ?? null));
    laptop.services.lock.lock('manual');
    off();
    expect(laptop.services.keys.current()).toBeNull();
    expect(amk.every((b) => b === 0)).toBe(true);
    expect(seen).toEqual([null]);
    expect(await laptop.refused('accountKey:status')).toMatchObject({ code: 'locked' });
  });

  it('a second computer unwraps the same AMK with the password (same key id, no new kit)', async () => {
    desktop = computer('desktop');
    expect(desktop.services.client.computerId).not.toBe(laptop.services.client.computerId);
    const view = await unlock(desktop);
    expect(view.accountKey).toMatchObject({ state: 'ready', kitPending: false });
    expect(desktop.services.keys.current()!.keyId).toBe(keyId);
    await unlock(laptop);
    expect(toHex(desktop.services.keys.current()!.amk)).toBe(toHex(laptop.services.keys.current()!.amk));
    // It remembers the key from now on, and keeps its own device wrap.
    expect(desktop.memory.get(server.url, 'alice').keyId).toBe(keyId);
    const db = server.server.services.db;
    const devices = db
      .prepare("SELECT computer_id FROM account_wraps WHERE kind = 'device' ORDER BY computer_id")
      .all() as { computer_id: string }[];
    expect(devices.map((d) => d.computer_id).sort()).toEqual(
      [laptop.services.client.computerId, desktop.services.client.computerId].sort(),
    );
  });

  it('refuses a key with another key id than the one remembered, and uses nothing', async () => {
    const db = server.server.services.db;
    const otherId = 'f'.repeat(32);
    db.prepare('UPDATE accounts SET key_id = ? WHERE username = ?').run(otherId, 'alice');
    try {
      const view = await unlock(desktop);
      expect(view.accountKey).toMatchObject({ state: 'unavailable', keyId: firstKit.keyId });
      expect(view.accountKey.reason).toContain("This account's key changed");
      expect(desktop.services.keys.current()).toBeNull();
      expect(await desktop.refused('accountKit:new', { password: PASSWORD, totp: nextCode() })).toMatchObject(
        {
          code: 'key_changed',
        },
      );
      expect(desktop.memory.get(server.url, 'alice').keyId).toBe(keyId);
    } finally {
      db.prepare('UPDATE accounts SET key_id = ? WHERE username = ?').run(keyId, 'alice');
    }
  });

  it('refuses keys of a lower generation than this computer has seen', async () => {
    const seen = desktop.memory.get(server.url, 'alice').generation;
    desktop.memory.update(server.url, 'alice', { generation: seen + 5 });
    try {
      const view = await unlock(desktop);
      expect(view.accountKey.state).toBe('unavailable');
      expect(view.accountKey.reason).toContain('older keys than this computer has seen');
      expect(desktop.services.keys.current()).toBeNull();
    } finally {
      desktop.memory.update(server.url, 'alice', { generation: seen });
    }
  });

  it('asks for a fresh sign-in after the fresh window, and account:reauthenticate gives it', async () => {
    await unlock(laptop);
    const held = laptop.services.keys.current()!;
    clock.advance(16 * 60 * 1000);
    await expect(laptop.services.client.accountKeys(server.url, held.sessionToken)).rejects.toMatchObject({
      code: 'reauthentication_required',
    });
    expect(
      await laptop.refused('account:reauthenticate', { password: 'not the password', totp: nextCode() }),
    ).toMatchObject({ code: 'invalid_credentials' });
    expect(await laptop.call('account:reauthenticate', { password: PASSWORD, totp: nextCode() })).toBeNull();
    await expect(laptop.services.client.accountKeys(server.url, held.sessionToken)).resolves.toMatchObject({
      keyId,
    });
  });

  it('changes the password in the app: same key, this computer stays signed in, the others are signed out', async () => {
    await unlock(desktop);
    const desktopToken = desktop.secrets.entries.get(deviceTokenAccount(server.url, 'alice'))!;
    expect((await deviceMe(desktopToken)).status).toBe(200);
    await unlock(laptop);
    const before = laptop.memory.get(server.url, 'alice').generation;

    expect(
      await laptop.call('account:changePassword', {
        currentPassword: PASSWORD,
        newPassword: NEW_PASSWORD,
        totp: nextCode(),
      }),
    ).toBeNull();
    expect(laptop.memory.get(server.url, 'alice').generation).toBeGreaterThan(before);
    // This computer: still unlocked, with a new device token that works.
    expect(laptop.services.lock.isLocked()).toBe(false);
    const laptopToken = laptop.secrets.entries.get(deviceTokenAccount(server.url, 'alice'))!;
    expect((await deviceMe(laptopToken)).status).toBe(200);
    // The other computer's device token ended.
    expect((await deviceMe(desktopToken)).status).toBe(401);

    // Both unlock with the new password to the same key.
    await expect(unlock(laptop, PASSWORD)).rejects.toThrow(/invalid_credentials/);
    expect((await unlock(laptop, NEW_PASSWORD)).accountKey).toMatchObject({
      state: 'ready',
      keyId: firstKit.keyId,
    });
    expect((await unlock(desktop, NEW_PASSWORD)).accountKey).toMatchObject({
      state: 'ready',
      keyId: firstKit.keyId,
    });
  });

  it('a wrong recovery key is refused without locking the account out', async () => {
    laptop.services.lock.lock('manual');
    const wrong = await formatRecoveryKey(newRecoveryKey());
    for (let i = 0; i < 3; i++) {
      const error = await laptop.refused('auth:forgotPassword', {
        username: 'alice',
        recoveryKey: wrong,
        totp: nextCode(),
        newPassword: RESET_PASSWORD,
      });
      expect(error.code).not.toBe('totp_required');
      expect(['invalid_credentials', 'bad_request']).toContain(error.code);
    }
    // A typo is caught by the checksum before anything is sent.
    const typo = firstKit.recoveryKey.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    expect(
      await laptop.refused('auth:forgotPassword', {
        username: 'alice',
        recoveryKey: typo,
        totp: nextCode(),
        newPassword: RESET_PASSWORD,
      }),
    ).toMatchObject({ code: 'bad_request', message: expect.stringContaining('typo') });
    // The account still opens with its password.
    expect((await unlock(laptop, NEW_PASSWORD)).accountKey.state).toBe('ready');
  });

  it('a forgotten password: the recovery key and a code set a new one; same key id, a new kit', async () => {
    laptop.services.lock.lock('manual');
    const error = await laptop.refused('auth:forgotPassword', {
      username: 'alice',
      recoveryKey: firstKit.recoveryKey.toLowerCase(),
      totp: nextCode(),
      newPassword: RESET_PASSWORD,
    });
    // The code was spent on the recovery: the unlock with the new password asks for the next one.
    expect(error).toMatchObject({
      code: 'totp_required',
      message: expect.stringContaining('new password is set'),
    });
    const view = await unlock(laptop, RESET_PASSWORD);
    expect(view.accountKey).toMatchObject({ state: 'ready', keyId: firstKit.keyId, kitPending: true });
    const kit = await laptop.call<AccountKitView>('accountKit:get');
    expect(kit.keyId).toBe(firstKit.keyId);
    expect(kit.recoveryKey).not.toBe(firstKit.recoveryKey);
    resetKit = kit;
    // The old password and the old recovery key no longer work.
    laptop.services.lock.lock('manual');
    await expect(unlock(laptop, NEW_PASSWORD)).rejects.toThrow(/invalid_credentials/);
    const old = await laptop.refused('auth:forgotPassword', {
      username: 'alice',
      recoveryKey: firstKit.recoveryKey,
      totp: nextCode(),
      newPassword: 'yet another passphrase',
    });
    expect(old.code).toBe('invalid_credentials');
    // The other computer opens the same key with the new password.
    expect((await unlock(desktop, RESET_PASSWORD)).accountKey).toMatchObject({
      state: 'ready',
      keyId: firstKit.keyId,
    });
  });
});

describe('a forgotten password without two-factor', () => {
  it('unlocks at once with the new password, the new kit pending', async () => {
    await server.createUser('dave', PASSWORD);
    const c = computer('dave');
    expect(
      (await c.call<AccountView>('auth:unlock', { username: 'dave', password: PASSWORD })).accountKey,
    ).toMatchObject({
      state: 'ready',
      kitPending: true,
    });
    const kit = await c.call<AccountKitView>('accountKit:get');
    c.services.lock.lock('manual');
    const view = await c.call<AccountView>('auth:forgotPassword', {
      username: 'dave',
      recoveryKey: kit.recoveryKey,
      newPassword: NEW_PASSWORD,
    });
    expect(view).toMatchObject({
      username: 'dave',
      accountKey: { state: 'ready', keyId: kit.keyId, kitPending: true },
    });
    expect(c.services.lock.isLocked()).toBe(false);
    const next = await c.call<AccountKitView>('accountKit:get');
    expect(next.keyId).toBe(kit.keyId);
    expect(next.recoveryKey).not.toBe(kit.recoveryKey);
    c.services.lock.lock('manual');
  });
});

describe('Remember this computer', () => {
  it('keeps a device key in the keychain and stores a new device wrap when the keychain lost it', async () => {
    const db = server.server.services.db;
    const deviceRow = () =>
      db
        .prepare("SELECT generation FROM account_wraps WHERE kind = 'device' AND computer_id = ?")
        .get(desktop.services.client.computerId) as { generation: number };
    const account = deviceKeyAccount(server.url, 'alice');
    const key = desktop.secrets.entries.get(account)!;
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const before = deviceRow().generation;
    // An unlock that finds its wrap opening with the kept key leaves it as it is.
    await unlock(desktop, RESET_PASSWORD);
    expect(deviceRow().generation).toBe(before);
    desktop.secrets.entries.delete(account);
    await unlock(desktop, RESET_PASSWORD);
    expect(desktop.secrets.entries.get(account)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(desktop.secrets.entries.get(account)).not.toBe(key);
    expect(deviceRow().generation).toBeGreaterThan(before);
  });

  it('turned off, the device key and its wrap go; turned on again, they come back', async () => {
    const db = server.server.services.db;
    const computerId = desktop.services.client.computerId;
    const hasWrap = () =>
      db.prepare("SELECT 1 FROM account_wraps WHERE kind = 'device' AND computer_id = ?").get(computerId) !==
      undefined;
    const account = deviceKeyAccount(server.url, 'alice');
    await unlock(desktop, RESET_PASSWORD);
    expect(hasWrap()).toBe(true);
    expect(await desktop.call('settings:set', { rememberComputer: false })).toMatchObject({
      rememberComputer: false,
    });
    await vi.waitFor(() => {
      expect(hasWrap()).toBe(false);
      expect(desktop.secrets.entries.has(account)).toBe(false);
    });
    // The next unlock makes neither.
    await unlock(desktop, RESET_PASSWORD);
    expect(hasWrap()).toBe(false);
    expect(desktop.secrets.entries.has(account)).toBe(false);
    await desktop.call('settings:set', { rememberComputer: true });
    await vi.waitFor(() => {
      expect(hasWrap()).toBe(true);
      expect(desktop.secrets.entries.get(account)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });
  });
});

describe('a recovery kit made again', () => {
  it('accountKit:new asks the password again, makes a new recovery key, and the old one stops working', async () => {
    const view = await unlock(laptop, RESET_PASSWORD);
    // The reset's kit was not confirmed before the app locked: the banner stays, the key is gone.
    expect(view.accountKey).toMatchObject({ state: 'ready', kitPending: true });
    expect(await laptop.refused('accountKit:get')).toMatchObject({ code: 'not_found' });
    const before = resetKit;
    expect(
      await laptop.refused('accountKit:new', { password: 'not the password', totp: nextCode() }),
    ).toMatchObject({ code: 'invalid_credentials' });
    const kit = await laptop.call<AccountKitView>('accountKit:new', {
      password: RESET_PASSWORD,
      totp: nextCode(),
    });
    expect(kit.keyId).toBe(firstKit.keyId);
    expect(kit.recoveryKey).not.toBe(before.recoveryKey);
    expect(await laptop.call('accountKey:status')).toMatchObject({ state: 'ready', kitPending: true });
    laptop.services.lock.lock('manual');
    const old = await laptop.refused('auth:forgotPassword', {
      username: 'alice',
      recoveryKey: before.recoveryKey,
      totp: nextCode(),
      newPassword: 'yet another passphrase',
    });
    expect(old.code).toBe('invalid_credentials');
  });
});

describe('a password the administrator set (temporary)', () => {
  async function adminReset(password: string) {
    const kdf = testKdf(password);
    server.server.services.passwords.reset('alice', kdf, (await derivedKeys(password, kdf)).authKey, {
      resetTotp: false,
    });
  }
  const wrapCurrent = () =>
    (
      server.server.services.db
        .prepare('SELECT password_wrap_current AS c FROM accounts WHERE username = ?')
        .get('alice') as { c: number }
    ).c;

  it("asks for a new password, then recovers the key with this computer's device key, without a second code", async () => {
    laptop.services.lock.lock('manual');
    await adminReset(TEMPORARY);
    expect(wrapCurrent()).toBe(0);
    const code = nextCode();
    const first = await laptop.refused('auth:unlock', { username: 'alice', password: TEMPORARY, totp: code });
    expect(first.code).toBe('password_change_required');
    expect(laptop.services.lock.isLocked()).toBe(true);
    // The unlock screen sends the same fields again with the new password: the spent code is not asked again.
    const view = await laptop.call<AccountView>('auth:unlock', {
      username: 'alice',
      password: TEMPORARY,
      totp: code,
      newPassword: OWN_AGAIN,
    });
    expect(view.accountKey).toMatchObject({ state: 'ready', keyId: firstKit.keyId });
    expect(wrapCurrent()).toBe(1);
    const token = laptop.secrets.entries.get(deviceTokenAccount(server.url, 'alice'))!;
    expect((await deviceMe(token)).status).toBe(200);
    // The new password is the account's from now on.
    laptop.services.lock.lock('manual');
    expect((await unlock(laptop, OWN_AGAIN)).accountKey).toMatchObject({
      state: 'ready',
      keyId: firstKit.keyId,
    });
  });

  it('on a computer with no device key: the key is unavailable unless the new password is the previous one', async () => {
    const third = computer('third');
    await adminReset(TEMPORARY);
    const code = nextCode();
    expect(
      (await third.refused('auth:unlock', { username: 'alice', password: TEMPORARY, totp: code })).code,
    ).toBe('password_change_required');
    // A different password: nothing here can open the key.
    const view = await third.call<AccountView>('auth:unlock', {
      username: 'alice',
      password: TEMPORARY,
      totp: code,
      newPassword: 'something else entirely',
    });
    expect(view.accountKey.state).toBe('unavailable');
    expect(view.accountKey.reason).toContain('Forgot password?');
    expect(third.services.keys.current()).toBeNull();
    expect(
      await third.refused('account:changePassword', {
        currentPassword: 'something else entirely',
        newPassword: 'and yet another one',
        totp: nextCode(),
      }),
    ).toMatchObject({ code: 'key_unavailable' });
    expect(wrapCurrent()).toBe(0);

    // Reset again, and this time the person picks the password they had before: its wrap opens the key.
    third.services.lock.lock('manual');
    await adminReset(TEMPORARY);
    const again = nextCode();
    await third.refused('auth:unlock', { username: 'alice', password: TEMPORARY, totp: again });
    const back = await third.call<AccountView>('auth:unlock', {
      username: 'alice',
      password: TEMPORARY,
      totp: again,
      newPassword: OWN_AGAIN,
    });
    expect(back.accountKey).toMatchObject({ state: 'ready', keyId: firstKit.keyId });
    expect(wrapCurrent()).toBe(1);
  });

  it('the kept session serves only the same password: another one ends it', async () => {
    const fourth = computer('fourth');
    await adminReset(TEMPORARY);
    const code = nextCode();
    await fourth.refused('auth:unlock', { username: 'alice', password: TEMPORARY, totp: code });
    const wrong = await fourth.refused('auth:unlock', {
      username: 'alice',
      password: 'not the temporary one',
      totp: code,
      newPassword: OWN_AGAIN,
    });
    expect(wrong.code).toBe('invalid_credentials');
    // The kept session is gone: the right password now needs a new code (the first one is spent).
    const spent = await fourth.refused('auth:unlock', {
      username: 'alice',
      password: TEMPORARY,
      totp: code,
      newPassword: OWN_AGAIN,
    });
    expect(spent.code).toBe('invalid_credentials');
    const view = await fourth.call<AccountView>('auth:unlock', {
      username: 'alice',
      password: TEMPORARY,
      totp: nextCode(),
      newPassword: OWN_AGAIN,
    });
    expect(view.accountKey).toMatchObject({ state: 'ready', keyId: firstKit.keyId });
  });
});

describe('held at two-factor enrolment (--require-totp)', () => {
  it('makes no key before the full sign-in, and says what to do', async () => {
    const strict = await startTestAccountServer({ requireTotp: true });
    try {
      await strict.createUser('carol', PASSWORD);
      const c = computer('strict', strict.url);
      const view = await c.call<AccountView>('auth:unlock', { username: 'carol', password: PASSWORD });
      expect(view).toMatchObject({ mustEnrollTotp: true, accountKey: { state: 'unavailable' } });
      expect(view.accountKey.reason).toContain('turn it on, then lock Strongroom and unlock it again');
      const row = strict.server.services.db
        .prepare('SELECT key_id FROM accounts WHERE username = ?')
        .get('carol');
      expect(row).toEqual({ key_id: null });
      c.services.lock.lock('manual');
    } finally {
      await strict.close();
    }
  });
});

describe('the old sign-in (legacy proof)', () => {
  it('is never computed again for an account this client has signed in to with the auth key', async () => {
    const legacyServer = await startTestAccountServer({ legacySignInUntil: null });
    try {
      await legacyServer.createUser('bob', PASSWORD);
      const memory = new AccountKeyMemory(new MemorySettingsStore());
      const worker = new Argon2WorkerThread();
      workers.push(worker);
      const client = new AccountClient({
        schemes: memory,
        timeoutMs: 5000,
        argon2: worker.run,
        legacyProof: worker.legacyProof,
      });
      // Before: this client has never signed in to bob, and the server answers legacy parameters.
      const before = await client.deriveCredentials(legacyServer.url, 'bob', PASSWORD);
      expect(before.legacyProof).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // Both derivations ran in the worker thread, and its scrypt is the one the server checks against.
      expect(worker.answered).toBe(2);
      const params = (await (
        await fetch(`${legacyServer.url}/api/sign-in/params`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'bob' }),
        })
      ).json()) as { legacy: LegacyKdf };
      expect(before.legacyProof).toBe(toBase64url(await legacyProofOf(PASSWORD, params.legacy)));
      await client.deviceSignInWith(legacyServer.url, {
        username: 'bob',
        authKey: before.authKey,
        deviceName: 'test',
      });
      expect(memory.usesNewScheme(legacyServer.url, 'bob')).toBe(true);
      // After: the server still asks (legacy parameters for everyone); the client sends the auth key only.
      const after = await client.deriveCredentials(legacyServer.url, 'bob', PASSWORD);
      expect(after.legacyProof).toBeUndefined();
      expect(after.authKey).toBe(before.authKey);
      expect(worker.answered).toBe(3);
    } finally {
      await legacyServer.close();
    }
  });
});

describe('a hostile server', () => {
  it('asking for key-derivation settings outside the bounds is refused before anything is derived or sent', async () => {
    const worker = new Argon2WorkerThread();
    workers.push(worker);
    for (const [m, t, words] of [
      [8, 1, 'weaker than Strongroom accepts'],
      [4 * 1024 * 1024, 3, 'beyond what Strongroom will run'],
    ] as const) {
      const sent: string[] = [];
      const rewriting: typeof fetch = async (input, init) => {
        sent.push(String(input));
        const response = await fetch(input, init);
        if (!String(input).endsWith('/api/sign-in/params')) return response;
        const body = (await response.json()) as { kdf: { m: number; t: number } };
        return Response.json({ ...body, kdf: { ...body.kdf, m, t } });
      };
      const client = new AccountClient({ fetch: rewriting, argon2: worker.run });
      await expect(client.deriveCredentials(server.url, 'alice', PASSWORD)).rejects.toMatchObject({
        message: expect.stringContaining(words),
      });
      expect(sent.map((u) => new URL(u).pathname)).toEqual(['/api/sign-in/params']);
    }
    expect(worker.answered).toBe(0);
  });
});

describe('the Argon2id worker thread', () => {
  it('derives off the main thread: main keeps answering while a derivation runs', async () => {
    const worker = new Argon2WorkerThread();
    try {
      // The worker's start-up (tsx) out of the way first.
      await worker.run({ password: passwordBytes('warm up'), salt: new Uint8Array(16), ...KDF_FLOOR });
      let ticks = 0;
      let longest = 0;
      let last = performance.now();
      const timer = setInterval(() => {
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
        ticks++;
      }, 5);
      const started = performance.now();
      const key = await worker.run({
        password: passwordBytes(PASSWORD),
        salt: new Uint8Array(16).fill(1),
        ...KDF_FLOOR,
      });
      const took = performance.now() - started;
      clearInterval(timer);
      expect(key).toHaveLength(32);
      expect(worker.answered).toBe(2);
      // Argon2id at the floor takes hundreds of milliseconds; main's timer kept firing through it.
      expect(ticks).toBeGreaterThan(3);
      expect(longest).toBeLessThan(took);
    } finally {
      await worker.dispose();
    }
  });

  it('the password the unlock derives from is moved to the worker: main keeps no copy', async () => {
    const worker = new Argon2WorkerThread();
    try {
      const password = passwordBytes(PASSWORD);
      await worker.run({ password, salt: new Uint8Array(16), ...KDF_FLOOR });
      expect(password.every((b) => b === 0)).toBe(true);
      await expect(
        worker.run({ password: passwordBytes(PASSWORD), salt: new Uint8Array(16), m: 8, t: 1 }),
      ).rejects.toMatchObject({ code: 'kdf_refused' });
    } finally {
      await worker.dispose();
    }
  });

  it("the composed app's client derives in its worker", async () => {
    const c = computer('worker-check');
    expect(c.services.argon2.answered).toBe(0);
    await c.services.client.passwordKeys(PASSWORD, testKdf(PASSWORD));
    expect(c.services.argon2.answered).toBe(1);
  });
});
