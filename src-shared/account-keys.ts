/**
 * The account's key hierarchy as data: the key-derivation parameters a client accepts, the wrapped
 * account master key (AMK) rows the server keeps, the vault directory and computer profiles sealed
 * under the AMK. Shared by the server (which stores these opaque to itself), the web panel (which
 * only ever derives the auth key) and the desktop app (which makes, wraps and unwraps the AMK).
 * docs/security-model.md ("Your account is your key") is the design; account-crypto.ts does the work.
 */
import { z } from 'zod';
import { backupPreferences, configId, protectedItem } from './backup-config';

// ---- encodings ---------------------------------------------------------------------------------

/** base64url without padding, of exactly `bytes` bytes. */
export function base64urlOf(bytes: number) {
  const chars = Math.ceil((bytes * 4) / 3);
  return z
    .string()
    .regex(new RegExp(`^[A-Za-z0-9_-]{${chars}}$`), `Expected ${bytes} bytes, base64url without padding.`);
}
/** 128 random bits as 32 lower-case hex characters: account uid, computer id, key id. */
export const hex128 = z.string().regex(/^[0-9a-f]{32}$/, 'Expected 32 lower-case hex characters.');
export const accountUid = hex128;
export const computerId = hex128;
export const keyId = hex128;

/**
 * Sealed bytes as text: "v1." + base64url(nonce(12) | AES-256-GCM ciphertext | tag(16)). The bound
 * keeps a directory row small enough for the server's JSON body limit.
 */
export const SEALED_MAX_CHARS = 96 * 1024;
export const sealedText = z
  .string()
  .max(SEALED_MAX_CHARS)
  .regex(/^v1\.[A-Za-z0-9_-]{38,}$/, 'Not sealed data.');

/** The auth key as sent: 32 bytes. It is a sign-in credential: never logged, compared in constant time. */
export const authKey = base64urlOf(32);
/** The legacy proof (scrypt of the password under the account's old hash parameters): 32 bytes. */
export const legacyProof = base64urlOf(32);
/** The recovery proof (HKDF of the recovery key): 32 bytes. */
export const recoveryProof = base64urlOf(32);

// ---- key derivation parameters ----------------------------------------------------------------

/** Argon2id version 0x13, one lane; memory in KiB. */
export const ARGON2_VERSION = 0x13;
/** Below this a guess is too cheap: refused whoever asks (a server or a drive). */
export const KDF_FLOOR = { m: 64 * 1024, t: 3 } as const;
/** Above this a client would allocate or spin for too long: refused before anything is allocated. */
export const KDF_CEILING = { m: 1024 * 1024, t: 10 } as const;
/** What new credentials use: 64 MiB, 3 passes (0.3-0.4 s in Node and Chromium on one core). */
export const KDF_DEFAULT = { m: 64 * 1024, t: 3 } as const;
export const SALT_BYTES = 16;

export const passwordKdf = z
  .object({
    alg: z.literal('argon2id'),
    v: z.literal(ARGON2_VERSION),
    m: z.number().int(),
    t: z.number().int(),
    p: z.literal(1),
    salt: base64urlOf(SALT_BYTES),
  })
  .strict();
export type PasswordKdf = z.infer<typeof passwordKdf>;

/** Null when the parameters are acceptable; else the words a person is shown. */
export function kdfProblem(kdf: { m: number; t: number }): string | null {
  const { m, t } = kdf;
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(t))
    return 'The key-derivation settings are not numbers.';
  if (m < KDF_FLOOR.m || t < KDF_FLOOR.t) {
    return `The key-derivation settings (${m / 1024} MiB, ${t} passes) are weaker than Strongroom accepts (at least ${KDF_FLOOR.m / 1024} MiB and ${KDF_FLOOR.t} passes); refused.`;
  }
  if (m > KDF_CEILING.m || t > KDF_CEILING.t) {
    return `The key-derivation settings (${m / 1024} MiB, ${t} passes) are beyond what Strongroom will run (at most ${KDF_CEILING.m / 1024} MiB and ${KDF_CEILING.t} passes); refused.`;
  }
  return null;
}

/**
 * An account made before client-side derivation: its server still holds scrypt(NFKC(password))
 * with these parameters. The client computes that hash itself as the legacy proof; it refuses N
 * below 2^17 (the server's production setting since the first release) and the same ceiling as
 * repository key files.
 */
export const LEGACY_SCRYPT_MIN_N = 2 ** 17;
export const legacyKdf = z
  .object({
    alg: z.literal('scrypt'),
    N: z.number().int(),
    r: z.number().int(),
    p: z.number().int(),
    salt: z.string().regex(/^[A-Za-z0-9_-]{16,88}$/, 'Not a salt.'),
  })
  .strict();
export type LegacyKdf = z.infer<typeof legacyKdf>;

// ---- wrapped AMK rows -------------------------------------------------------------------------

/**
 * Every credential change bumps the account's generation by compare-and-swap; each row carries
 * the generation it was written at, bound into its AEAD associated data.
 */
export const generation = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** The AMK wrapped by the password's wrap key; the row carries its own salt and parameters. */
export const passwordWrap = z
  .object({ kind: z.literal('password'), generation, kdf: passwordKdf, sealed: sealedText })
  .strict();
/** The AMK wrapped by a key derived from the 256-bit recovery key. */
export const recoveryWrap = z
  .object({ kind: z.literal('recovery'), generation, sealed: sealedText })
  .strict();
/** The AMK wrapped by one computer's device key (kept in that computer's keychain). */
export const deviceWrap = z
  .object({ kind: z.literal('device'), computerId, generation, sealed: sealedText })
  .strict();
export type PasswordWrap = z.infer<typeof passwordWrap>;
export type RecoveryWrap = z.infer<typeof recoveryWrap>;
export type DeviceWrap = z.infer<typeof deviceWrap>;

// ---- vault directory and computer profiles (sealed under the AMK) -----------------------------

export const rowVersion = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** Where a vault's repository is: a folder or drive (with hints to find it again), or account storage. */
export const vaultLocation = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('local'),
      /** The folder on the computer that made it (a drive may be mounted elsewhere later). */
      path: z.string().min(1).max(4096),
      host: z.string().max(255),
    })
    .strict(),
  z
    .object({
      kind: z.literal('account'),
      /** The repository's name in this account's storage (the account itself is implied). */
      repository: z.string().min(1).max(64),
    })
    .strict(),
]);
export type VaultLocation = z.infer<typeof vaultLocation>;

/** One vault as the directory knows it: the only copy, besides its repository, of its password. */
export const vaultRecord = z
  .object({
    vaultId: configId,
    name: z.string().min(1).max(80),
    repositoryId: z.string().regex(/^[0-9a-f]{16,64}$/),
    /** New vaults: 32 random bytes, base64url; vaults made before: the person's own password. */
    repositoryPassword: z.string().min(1).max(1024),
    location: vaultLocation,
    createdAt: z.string().datetime({ offset: true }),
    /** The computer name that made it, for "Connect the drive that holds …". */
    createdOn: z.string().max(255),
    /**
     * In the account slot only: this repository's drive envelopes carry a check, so one without it
     * was stripped and is refused. Sealed under the AMK, so only the account's key writes it.
     */
    envelopeMac: z.literal(true).optional(),
  })
  .strict();
export type VaultRecord = z.infer<typeof vaultRecord>;

/** What one computer protects: its items, schedules, retention and preferences. */
export const computerProfile = z
  .object({
    computerId,
    computerName: z.string().min(1).max(255),
    platform: z.string().max(32),
    items: z.array(protectedItem).max(500),
    preferences: backupPreferences,
    updatedAt: z.string().datetime({ offset: true }),
    /** The vaults this computer uses (those without items too). */
    vaultIds: z.array(configId).max(100).optional(),
    /** The end of this computer's last successful backup, as it knows it. */
    lastBackupAt: z.string().datetime({ offset: true }).nullable().optional(),
  })
  .strict();
export type ComputerProfile = z.infer<typeof computerProfile>;

/** A directory row as the server stores and answers it: opaque to the server. */
export const directoryVaultRow = z
  .object({
    vaultId: configId,
    version: rowVersion,
    sealed: sealedText,
    updatedAt: z.string(),
    deletedAt: z.string().nullable(),
  })
  .strict();
export const profileRow = z
  .object({
    computerId,
    version: rowVersion,
    sealed: sealedText,
    updatedAt: z.string(),
    deletedAt: z.string().nullable(),
    /** The newest job report of any device signed in from this computer (server-side figure). */
    lastBackupAt: z.string().nullable(),
  })
  .strict();
export type DirectoryVaultRow = z.infer<typeof directoryVaultRow>;
export type ProfileRow = z.infer<typeof profileRow>;
