/** Messages between main and its key-derivation worker thread (entry.ts). */
import type { AccountKeyErrorCode } from '../../src-shared/account-crypto';
import type { LegacyKdf } from '../../src-shared/account-keys';

export type DerivationRequest =
  | {
      op: 'argon2id';
      id: number;
      /** The NFKC password's bytes, transferred (main keeps no copy). */
      password: Uint8Array;
      salt: Uint8Array;
      m: number;
      t: number;
    }
  | {
      /** The legacy proof of an account made before client-side derivation (scrypt, once, at migration). */
      op: 'scrypt';
      id: number;
      password: Uint8Array;
      legacy: LegacyKdf;
    };

export type DerivationReply =
  | { id: number; ok: true; key: Uint8Array }
  | { id: number; ok: false; code: AccountKeyErrorCode | null; message: string };
