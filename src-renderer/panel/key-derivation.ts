/**
 * What the panel sends instead of a password: the auth key, derived in a Web Worker
 * (key-derivation-worker.ts) so the page stays responsive through Argon2id. One worker per
 * derivation, ended after it: its 64 MiB go with it.
 */
import { newPasswordKdf } from '../../src-shared/account-crypto';
import type { LegacyKdf, PasswordKdf } from '../../src-shared/account-keys';
import type { SignInParams } from '../../src-shared/account-keys-api';
import type { ActionResult } from '../components/action-result';
import type { PanelApiClient } from './api-client';
import type { DerivationAnswer, DerivationRequest } from './key-derivation-worker';

function inWorker(request: DerivationRequest): Promise<DerivationAnswer> {
  const worker = new Worker(new URL('./key-derivation-worker.ts', import.meta.url), { type: 'module' });
  return new Promise<DerivationAnswer>((resolve) => {
    worker.onmessage = (event: MessageEvent<DerivationAnswer>) => resolve(event.data);
    worker.onerror = () =>
      resolve({ ok: false, message: 'The key derivation could not run in this browser.' });
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}

export interface Credentials {
  authKey: string;
  legacyProof?: string;
}

/**
 * The sign-in credentials for `password` with the server's answer for the username; the legacy
 * proof too while the server answers legacy parameters and this browser has not yet signed this
 * account in with the auth key alone.
 */
export async function signInCredentials(
  username: string,
  password: string,
  params: SignInParams,
): Promise<Credentials> {
  return derive(password, params.kdf, usedNewScheme(username) ? null : params.legacy);
}

/** The auth key alone, for a signed-in account (re-authentication: its legacy days are over). */
export async function authKeyFor(password: string, params: SignInParams): Promise<string> {
  return (await derive(password, params.kdf, null)).authKey;
}

/** The signed-in person's password as its auth key, for a form that asks for it again. */
export async function passwordAgain(
  client: PanelApiClient,
  username: string,
  password: string,
): Promise<ActionResult<string>> {
  const params = await client.signInParams(username);
  if (!params.ok) return params;
  try {
    return { ok: true, value: await authKeyFor(password, params.value) };
  } catch (err) {
    return { ok: false, error: { code: 'bad_request', message: (err as Error).message } };
  }
}

/** A new password's parameters (a fresh salt) and auth key: sign-up and a temporary password replaced. */
export async function newPasswordCredentials(
  password: string,
): Promise<{ kdf: PasswordKdf; authKey: string }> {
  const kdf = newPasswordKdf();
  return { kdf, authKey: (await derive(password, kdf, null)).authKey };
}

async function derive(password: string, kdf: PasswordKdf, legacy: LegacyKdf | null): Promise<Credentials> {
  const result = await inWorker({ kind: 'sign-in', password, kdf, legacy });
  if (!result.ok) throw new Error(result.message);
  if (!('authKey' in result)) throw new Error('Unexpected answer from the key derivation.');
  return result.legacyProof
    ? { authKey: result.authKey, legacyProof: result.legacyProof }
    : { authKey: result.authKey };
}

// Once an account signed in here with the auth key, this browser never computes its legacy proof
// again (a server asking for it then would be asking for a downgrade); it also saves the scrypt run.
const NEW_SCHEME_KEY = 'strongroom.signed-in-with-auth-key';

function usedNewScheme(username: string): boolean {
  try {
    return (JSON.parse(localStorage.getItem(NEW_SCHEME_KEY) ?? '[]') as string[]).includes(username);
  } catch {
    return false;
  }
}

export function rememberNewScheme(username: string): void {
  try {
    const names = new Set(JSON.parse(localStorage.getItem(NEW_SCHEME_KEY) ?? '[]') as string[]);
    names.add(username);
    localStorage.setItem(NEW_SCHEME_KEY, JSON.stringify([...names]));
  } catch {
    // Private browsing without storage: the legacy proof is computed again next time, no harm.
  }
}
