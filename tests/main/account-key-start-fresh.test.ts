/**
 * "Start fresh" in the app: after an administrator's reset, on a computer where neither a device
 * key nor the previous password opens the account's key, the person may make a new key and kit
 * (the password and a new code again). The old vaults stay on the server, listed as locked, and the
 * old account recovery kit still opens them. Composed services against a real account server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src-main/compose';
import { AccountKeyMemory } from '../../src-main/services/account/account-key-memory';
import {
  openVaultRecord,
  parseRecoveryKey,
  recoveryKeys,
  sealVaultRecord,
  unwrapAmk,
} from '../../src-shared/account-crypto';
import type { AccountKeyView, AccountKitView, AccountView } from '../../src-shared/ipc-contract';
import { startTestAccountServer, totpCode, type TestAccountServer } from '../support/account-server';
import { derivedKeys, testKdf } from '../support/derived-keys';
import { ManualClock as ServerClock, bearer } from '../server/helpers';
import { composeTestServices } from './composed-services';
import { MemorySecretStore, MemorySettingsStore } from './fakes';
import { gateCalls } from './gate-calls';

const PASSWORD = 'correct horse battery';
const TEMPORARY = 'set by the administrator';
const CHOSEN = 'a password never used before';
const VAULT = '84bd0e19-abc1-42bf-b142-40b1178f1dc0';

let server: TestAccountServer;
let clock: ServerClock;
let secret: string;
let tmp: string;
const open: Services[] = [];

beforeAll(async () => {
  clock = new ServerClock(Date.now());
  server = await startTestAccountServer({ clock });
  await server.createUser('alice', PASSWORD);
  secret = await server.enableTotp('alice');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-start-fresh-'));
});
afterAll(async () => {
  for (const s of open.splice(0)) s.dispose();
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function nextCode(): string {
  clock.advance(30_000);
  return totpCode(secret, clock.now());
}

function computer(name: string) {
  const store = new MemorySettingsStore();
  const services = composeTestServices({
    dir: path.join(tmp, name),
    serverUrl: server.url,
    store,
    secrets: new MemorySecretStore(),
  });
  open.push(services);
  return { services, memory: new AccountKeyMemory(store), ...gateCalls(() => services) };
}

describe('starting fresh after an administrator reset', () => {
  it('offers a new key when nothing opens the old one, keeps the old vaults locked, and the old kit still opens them', async () => {
    // The laptop made the account's key and one vault's directory row, sealed with it.
    const laptop = computer('laptop');
    await laptop.call<AccountView>('auth:unlock', {
      username: 'alice',
      password: PASSWORD,
      totp: nextCode(),
    });
    const firstKit = await laptop.call<AccountKitView>('accountKit:get');
    const held = laptop.services.keys.current()!;
    const sealed = await sealVaultRecord(
      held.amk,
      {
        vaultId: VAULT,
        name: 'Laptop backups',
        repositoryId: 'a'.repeat(64),
        repositoryPassword: 'the old vault password',
        location: { kind: 'account', repository: 'laptop' },
        createdAt: new Date(clock.now()).toISOString(),
        createdOn: 'laptop',
      },
      { accountUid: held.accountUid, version: 1 },
    );
    const put = await bearer(server.url, 'PUT', `/api/account/directory/vaults/${VAULT}`, held.sessionToken, {
      version: 1,
      sealed,
    });
    expect(put.status).toBe(200);
    laptop.services.lock.lock('manual');

    // The administrator resets the password; a new computer with no device key, a new password.
    const kdf = testKdf(TEMPORARY);
    server.server.services.passwords.reset('alice', kdf, (await derivedKeys(TEMPORARY, kdf)).authKey, {
      resetTotp: false,
    });
    const desk = computer('desk');
    const code = nextCode();
    await desk.refused('auth:unlock', { username: 'alice', password: TEMPORARY, totp: code });
    const unlocked = await desk.call<AccountView>('auth:unlock', {
      username: 'alice',
      password: TEMPORARY,
      totp: code,
      newPassword: CHOSEN,
    });
    expect(unlocked.accountKey).toMatchObject({ state: 'unavailable', canStartFresh: true });
    expect(unlocked.accountKey.reason).toContain('Forgot password?');
    expect(unlocked.accountKey.reason).toContain('start fresh');

    // The password and a new code again, or nothing happens.
    expect(await desk.refused('account:startFresh', { password: CHOSEN })).toMatchObject({
      code: 'totp_required',
    });
    expect(
      await desk.refused('account:startFresh', { password: 'not my password', totp: nextCode() }),
    ).toMatchObject({ code: 'invalid_credentials' });
    expect(desk.services.keys.current()).toBeNull();

    const view = await desk.call<AccountKeyView>('account:startFresh', {
      password: CHOSEN,
      totp: nextCode(),
    });
    expect(view).toMatchObject({ state: 'ready', kitPending: true, canStartFresh: false });
    expect(view.keyId).not.toBe(firstKit.keyId);
    const newKit = await desk.call<AccountKitView>('accountKit:get');
    expect(newKit.keyId).toBe(view.keyId);
    expect(newKit.recoveryKey).not.toBe(firstKit.recoveryKey);
    // Once is enough: the key is there now.
    expect(await desk.refused('account:startFresh', { password: CHOSEN, totp: nextCode() })).toMatchObject({
      code: 'conflict',
    });

    // The old vault is listed as locked and its row is still on the server, byte for byte.
    const locked = await desk.call<{ vaults: { vaultId: string; name: string | null }[] }>(
      'account:lockedVaults',
    );
    expect(locked.vaults).toEqual([expect.objectContaining({ vaultId: VAULT, name: null })]);
    const keys = desk.services.keys.current()!;
    const directory = await bearer(server.url, 'GET', '/api/account/directory', keys.sessionToken);
    expect(directory.body.vaults).toEqual([
      expect.objectContaining({ vaultId: VAULT, sealed, deletedAt: null }),
    ]);

    // The old account recovery kit, found later, still opens the old key and the old vault's row.
    const archived = await bearer(server.url, 'GET', '/api/account/keys/archived', keys.sessionToken);
    const old = archived.body.archived[0];
    const oldRecovery = await recoveryKeys(await parseRecoveryKey(firstKit.recoveryKey));
    const oldAmk = await unwrapAmk(
      old.recoveryWrap.sealed,
      oldRecovery.wrapKey,
      {
        accountUid: keys.accountUid,
        kind: 'recovery',
        generation: old.recoveryWrap.generation,
        keyId: old.keyId,
      },
      old.keyId,
    );
    const record = await openVaultRecord(
      oldAmk,
      { vaultId: VAULT, version: 1, sealed },
      {
        accountUid: keys.accountUid,
      },
    );
    expect(record.repositoryPassword).toBe('the old vault password');

    // The new key is this computer's from now on: the next unlock opens it with the password.
    desk.services.lock.lock('manual');
    const again = await desk.call<AccountView>('auth:unlock', {
      username: 'alice',
      password: CHOSEN,
      totp: nextCode(),
    });
    expect(again.accountKey).toMatchObject({ state: 'ready', keyId: view.keyId });

    // The laptop remembers the old key id: it refuses the new key rather than use it unasked.
    const atLaptop = await laptop.call<AccountView>('auth:unlock', {
      username: 'alice',
      password: CHOSEN,
      totp: nextCode(),
    });
    expect(atLaptop.accountKey).toMatchObject({ state: 'unavailable', canStartFresh: false });
    expect(atLaptop.accountKey.reason).toContain("This account's key changed");
  });
});
