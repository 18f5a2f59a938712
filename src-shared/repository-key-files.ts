/**
 * The key files a repository's `keys/` folder may hold, and the one bound on scrypt parameters.
 * Shared by the engine (which skips, and names, a key file it cannot use) and the account server's
 * storage (which refuses to store anything else there, so one upload cannot lock every client out).
 * docs/repository-format.md describes each kind.
 */
import { z } from 'zod';
import { base64urlOf, keyId, passwordWrap, recoveryWrap, accountUid, generation } from './account-keys';

/** A key file is a few hundred bytes; an account slot with its sealed vault record a few KiB. */
export const KEY_FILE_MAX_BYTES = 16 * 1024;

/**
 * scrypt needs 128·N·r bytes and p passes over them. A key file may ask for at most 256 MiB and
 * 1 GiB of work in all (restic's and the engine's defaults need 32-64 MiB), so no key file can make
 * a client allocate gigabytes or spin for minutes.
 */
export const SCRYPT_BOUNDS = {
  minN: 2 ** 10,
  maxMemoryBytes: 256 * 1024 * 1024,
  maxWorkBytes: 1024 * 1024 * 1024,
  maxR: 32,
  maxP: 16,
} as const;

/** Null when acceptable, else why not (named in the warning that skips the key file). */
export function scryptProblem(p: { N: number; r: number; p: number }): string | null {
  const { N, r } = p;
  const passes = p.p;
  if (![N, r, passes].every((n) => Number.isSafeInteger(n) && n > 0)) {
    return 'scrypt parameters are not positive whole numbers';
  }
  if (N < SCRYPT_BOUNDS.minN || (N & (N - 1)) !== 0) return `scrypt N = ${N} is not a power of two from 1024`;
  if (r > SCRYPT_BOUNDS.maxR || passes > SCRYPT_BOUNDS.maxP)
    return `scrypt r = ${r}, p = ${passes} is out of range`;
  const memory = 128 * N * r;
  if (memory > SCRYPT_BOUNDS.maxMemoryBytes) {
    return `scrypt N = ${N}, r = ${r} needs ${Math.round(memory / 2 ** 20)} MiB (at most ${SCRYPT_BOUNDS.maxMemoryBytes / 2 ** 20} MiB)`;
  }
  if (memory * passes > SCRYPT_BOUNDS.maxWorkBytes)
    return `scrypt p = ${passes} is too much work with N = ${N}, r = ${r}`;
  return null;
}

const base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'Not base64.')
  .max(8192);
const scryptFields = { N: z.number().int(), r: z.number().int(), p: z.number().int() };
const withScryptBound = <T extends { N: number; r: number; p: number }>(v: T, ctx: z.RefinementCtx) => {
  const problem = scryptProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
};

/** restic's key file (restic's internal/repository/key.go): flat kdf fields. */
export const resticKeyFile = z
  .object({
    created: z.string().max(64),
    username: z.string().max(256),
    hostname: z.string().max(256),
    kdf: z.literal('scrypt'),
    ...scryptFields,
    salt: base64,
    data: base64,
  })
  .strict()
  .superRefine(withScryptBound);

/** The engine's password slot: the master key wrapped by scrypt(NFC(password)). */
export const enginePasswordSlot = z
  .object({
    version: z.literal(1),
    created: z.string().max(64),
    host: z.string().max(256),
    username: z.string().max(256),
    kdf: z
      .object({ name: z.literal('scrypt'), ...scryptFields, salt: base64 })
      .strict()
      .superRefine(withScryptBound),
    masterKey: base64,
  })
  .strict();

/**
 * The engine's account slot: the master key wrapped by a key derived from the account master key
 * (AMK) of the account `keyId` names, and the vault's directory record sealed beside it, so the
 * vault opens from the account even if the server's directory is lost.
 */
export const engineAccountSlot = z
  .object({
    version: z.literal(1),
    type: z.literal('strongroom-account'),
    created: z.string().max(64),
    host: z.string().max(256),
    username: z.string().max(256),
    keyId,
    masterKey: base64,
    metadata: base64,
  })
  .strict();

/**
 * The drive envelope: exact copies of the account server's wrap rows for the account `keyId`
 * names, so a folder or drive vault opens with the recovery key (always there) or the password
 * (only where the person turned it on) when that server is gone. Its name is fixed per account
 * (docs/repository-format.md) and it is replaced only by a higher generation. `mac` is the check
 * over every other field, made with a key of the AMK (src-engine/repository/keys.ts, envelopeMac);
 * envelopes written before it have none.
 */
export const engineEnvelope = z
  .object({
    version: z.literal(1),
    type: z.literal('strongroom-envelope'),
    created: z.string().max(64),
    server: z.string().max(2048),
    username: z.string().max(64),
    accountUid,
    keyId,
    generation,
    recoveryWrap,
    passwordWrap: passwordWrap.nullable(),
    mac: base64urlOf(32).optional(),
  })
  .strict();

export type ResticKeyFile = z.infer<typeof resticKeyFile>;
export type EnginePasswordSlot = z.infer<typeof enginePasswordSlot>;
export type EngineAccountSlot = z.infer<typeof engineAccountSlot>;
export type EngineEnvelope = z.infer<typeof engineEnvelope>;

export type KeyFile =
  | { kind: 'restic'; file: ResticKeyFile }
  | { kind: 'password'; file: EnginePasswordSlot }
  | { kind: 'account'; file: EngineAccountSlot }
  | { kind: 'envelope'; file: EngineEnvelope };

/** The one parser of key files: the kind and its fields, or why the bytes are not a key file. */
export function parseKeyFile(bytes: Uint8Array): { ok: true; key: KeyFile } | { ok: false; reason: string } {
  if (bytes.length > KEY_FILE_MAX_BYTES)
    return { ok: false, reason: `larger than ${KEY_FILE_MAX_BYTES} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return { ok: false, reason: 'not JSON (damaged or truncated)' };
  }
  const type = (json as { type?: unknown } | null)?.type;
  const attempt =
    type === 'strongroom-account'
      ? { kind: 'account' as const, r: engineAccountSlot.safeParse(json) }
      : type === 'strongroom-envelope'
        ? { kind: 'envelope' as const, r: engineEnvelope.safeParse(json) }
        : typeof (json as { kdf?: unknown } | null)?.kdf === 'string'
          ? { kind: 'restic' as const, r: resticKeyFile.safeParse(json) }
          : { kind: 'password' as const, r: enginePasswordSlot.safeParse(json) };
  if (!attempt.r.success) {
    const issue = attempt.r.error.issues[0];
    const where = issue?.path.join('.');
    return {
      ok: false,
      reason: `not a valid ${attempt.kind} key file${where ? ` (${where})` : ''}: ${issue?.message ?? 'invalid'}`,
    };
  }
  return { ok: true, key: { kind: attempt.kind, file: attempt.r.data } as KeyFile };
}

/** The envelope's file name in `keys/`: fixed per account, so a newer one replaces it. */
export async function envelopeFileName(account: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode(`strongroom envelope v1 ${account}`),
  );
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
