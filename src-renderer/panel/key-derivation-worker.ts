/**
 * The panel's Web Worker for the slow part of signing in: Argon2id (hash-wasm's WebAssembly,
 * hence the CSP's 'wasm-unsafe-eval') and, for accounts made before client-side derivation, the
 * legacy scrypt proof. It answers only what is sent to the server (the auth key, the legacy
 * proof): the wrap key is never made outside the app, and the password never leaves this worker
 * or the page that typed it.
 */
import {
  argon2idRaw,
  hkdf,
  legacyProofOf,
  passwordKeys,
  toBase64url,
  toHex,
} from '../../src-shared/account-crypto';
import { KDF_CEILING, type LegacyKdf, type PasswordKdf } from '../../src-shared/account-keys';

export type DerivationRequest =
  | { kind: 'sign-in'; password: string; kdf: PasswordKdf; legacy: LegacyKdf | null }
  /** Known-answer checks of this bundle's Argon2id and HKDF (tests/e2e/panel). */
  | { kind: 'argon2id'; password: string; salt: string; m: number; t: number }
  | { kind: 'hkdf'; ikmHex: string; info: string; length: number };

export type DerivationAnswer =
  | { ok: true; authKey: string; legacyProof: string | null }
  | { ok: true; hex: string }
  | { ok: false; message: string };

const utf8 = new TextEncoder();
const fromHex = (hex: string) => new Uint8Array((hex.match(/../g) ?? []).map((b) => Number.parseInt(b, 16)));

async function answer(request: DerivationRequest): Promise<DerivationAnswer> {
  switch (request.kind) {
    case 'sign-in': {
      const keys = await passwordKeys(request.password, request.kdf);
      keys.wrapKey.fill(0);
      const legacyProof = request.legacy
        ? toBase64url(await legacyProofOf(request.password, request.legacy))
        : null;
      return { ok: true, authKey: toBase64url(keys.authKey), legacyProof };
    }
    case 'argon2id': {
      // The reference vectors sit below the floor new credentials need; the ceiling still holds.
      if (request.m > KDF_CEILING.m || request.t > KDF_CEILING.t)
        return { ok: false, message: 'Too costly.' };
      const out = await argon2idRaw({
        password: utf8.encode(request.password),
        salt: utf8.encode(request.salt),
        m: request.m,
        t: request.t,
      });
      return { ok: true, hex: toHex(out) };
    }
    case 'hkdf':
      return { ok: true, hex: toHex(await hkdf(fromHex(request.ikmHex), request.info, request.length)) };
  }
}

self.onmessage = (event: MessageEvent<DerivationRequest>) => {
  void answer(event.data).then(
    (result) => self.postMessage(result),
    (error: unknown) =>
      self.postMessage({ ok: false, message: (error as Error).message } satisfies DerivationAnswer),
  );
};
