/** Messages between main and its Argon2id worker thread (entry.ts). */
import type { AccountKeyErrorCode } from '../../src-shared/account-crypto';

export interface Argon2Request {
  id: number;
  /** The NFKC password's bytes, transferred (main keeps no copy). */
  password: Uint8Array;
  salt: Uint8Array;
  m: number;
  t: number;
}

export type Argon2Reply =
  | { id: number; ok: true; key: Uint8Array }
  | { id: number; ok: false; code: AccountKeyErrorCode | null; message: string };
