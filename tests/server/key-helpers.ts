/**
 * The app's side of the key routes, as far as the server's tests need it: a desktop sign-in
 * (bearer session and device token, tied to a computer id), and the wrap rows the app would make
 * (a real AMK wrapped with src-shared/account-crypto, so what the server stores is what a client
 * sends). The password's keys come from the shared cache (derived-keys.ts).
 */
import { scryptSync } from 'node:crypto';
import {
  deviceWrapKey,
  keyIdOf,
  newAccountMasterKey,
  newRecoveryKey,
  randomBytes,
  recoveryKeys,
  toBase64url,
  toHex,
  wrapAmk,
} from '../../src-shared/account-crypto';
import type { DeviceWrap, PasswordKdf, PasswordWrap, RecoveryWrap } from '../../src-shared/account-keys';
import type { AccountKeyStatus } from '../../src-shared/account-keys-api';
import { signInCredentials } from '../support/account-server';
import { derivedKeys, testKdf } from '../support/derived-keys';
import { bearer, type Answer } from './helpers';

export const newComputerId = () => toHex(randomBytes(16));

export interface Desktop {
  sessionToken: string;
  deviceToken: string | null;
  computerId: string;
  keys: AccountKeyStatus;
  answer: Answer;
}

/** POST /api/device-sign-in as the app does it. */
export async function desktopSignIn(
  url: string,
  username: string,
  password: string,
  opts: { computerId?: string; totp?: string; recoveryCode?: string; legacy?: boolean } = {},
): Promise<Desktop> {
  const computerId = opts.computerId ?? newComputerId();
  const credentials = await signInCredentials(url, username, password, { legacy: opts.legacy });
  const response = await fetch(`${url}/api/device-sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username,
      ...credentials,
      deviceName: 'Laptop',
      computerId,
      ...(opts.totp ? { totp: opts.totp } : {}),
      ...(opts.recoveryCode ? { recoveryCode: opts.recoveryCode } : {}),
    }),
  });
  const text = await response.text();
  const answer: Answer = {
    status: response.status,
    body: text ? JSON.parse(text) : null,
    headers: response.headers,
  };
  if (response.status !== 200) throw new Error(`device sign-in: ${response.status} ${text}`);
  return {
    sessionToken: answer.body.sessionToken,
    deviceToken: answer.body.deviceToken,
    computerId,
    keys: answer.body.keys,
    answer,
  };
}

/** An account master key and what the app sends with it. */
export interface MadeKeys {
  amk: Uint8Array;
  keyId: string;
  recoveryKey: Uint8Array;
  recoveryProof: string;
  deviceKey: Uint8Array;
}

export async function newKeys(): Promise<MadeKeys> {
  const amk = newAccountMasterKey();
  const recoveryKey = newRecoveryKey();
  return {
    amk,
    keyId: await keyIdOf(amk),
    recoveryKey,
    recoveryProof: toBase64url((await recoveryKeys(recoveryKey)).proof),
    deviceKey: randomBytes(32),
  };
}

export async function passwordWrap(
  keys: MadeKeys,
  password: string,
  kdf: PasswordKdf,
  ctx: { accountUid: string; generation: number },
): Promise<PasswordWrap> {
  const { wrapKey } = await derivedKeys(password, kdf);
  return {
    kind: 'password',
    generation: ctx.generation,
    kdf,
    sealed: await wrapAmk(keys.amk, wrapKey, { ...ctx, kind: 'password', keyId: keys.keyId }),
  };
}

export async function recoveryWrap(
  keys: MadeKeys,
  ctx: { accountUid: string; generation: number },
): Promise<RecoveryWrap> {
  const { wrapKey } = await recoveryKeys(keys.recoveryKey);
  return {
    kind: 'recovery',
    generation: ctx.generation,
    sealed: await wrapAmk(keys.amk, wrapKey, { ...ctx, kind: 'recovery', keyId: keys.keyId }),
  };
}

export async function deviceWrap(
  keys: MadeKeys,
  computerId: string,
  ctx: { accountUid: string; generation: number },
): Promise<DeviceWrap> {
  return {
    kind: 'device',
    computerId,
    generation: ctx.generation,
    sealed: await wrapAmk(keys.amk, await deviceWrapKey(keys.deviceKey), {
      ...ctx,
      kind: { device: computerId },
      keyId: keys.keyId,
    }),
  };
}

/** The first AMK's body for POST /api/account/keys, at the account's current generation. */
export async function createKeysBody(
  keys: MadeKeys,
  password: string,
  status: { accountUid: string; generation: number },
  opts: { computerId?: string; kdf?: PasswordKdf } = {},
) {
  const ctx = { accountUid: status.accountUid, generation: status.generation + 1 };
  return {
    generation: status.generation,
    keyId: keys.keyId,
    passwordWrap: await passwordWrap(keys, password, opts.kdf ?? testKdf(password), ctx),
    recovery: { proof: keys.recoveryProof, wrap: await recoveryWrap(keys, ctx) },
    ...(opts.computerId ? { deviceWrap: await deviceWrap(keys, opts.computerId, ctx) } : {}),
  };
}

/** Signs in from a new computer and makes the account's first AMK; answers the desktop and its keys. */
export async function withAccountKey(
  url: string,
  username: string,
  password: string,
  opts: { totp?: () => string } = {},
): Promise<{ desktop: Desktop; keys: MadeKeys; generation: number }> {
  const desktop = await desktopSignIn(url, username, password, { totp: opts.totp?.() });
  const keys = await newKeys();
  const created = await bearer(
    url,
    'POST',
    '/api/account/keys',
    desktop.sessionToken,
    await createKeysBody(keys, password, desktop.keys, { computerId: desktop.computerId }),
  );
  if (created.status !== 200)
    throw new Error(`create keys: ${created.status} ${JSON.stringify(created.body)}`);
  return { desktop, keys, generation: created.body.generation as number };
}

/**
 * An old server's `scrypt$N$r$p$salt$hash` of `password` at the production cost (the client
 * refuses less), with a salt fixed by the password so the client's proof is cached across runs.
 */
export function legacyHash(password: string): string {
  const salt = Buffer.from(testKdf(`legacy ${password}`).salt, 'base64url');
  const hash = scryptSync(password.normalize('NFKC'), salt, 32, {
    N: 2 ** 17,
    r: 8,
    p: 1,
    maxmem: 256 * 1024 * 1024,
  });
  return `scrypt$131072$8$1$${salt.toString('base64')}$${hash.toString('base64')}`;
}
