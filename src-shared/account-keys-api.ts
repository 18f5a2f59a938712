/**
 * The account server's routes for the key hierarchy (docs/security-model.md, "Your account is your
 * key"): what a client sends instead of the password, and the wrapped-key, directory and profile
 * rows the server keeps without being able to read them. Each route names its auth kind:
 * - `public`;
 * - `session`: a live session; `temporaryOk` routes are open to a session signed in with a password
 *   the administrator set (which can do nothing else until it is replaced);
 * - `full`: a session that passed the full sign-in (password, and a TOTP or recovery code when TOTP is
 *   on), at any age within its normal life;
 * - `fresh`: the same within the last 15 minutes (FRESH_SESSION_MS).
 * `bearerOnly` routes refuse the panel's cookie sessions with `use_the_app`: the panel never
 * creates, unwraps or wraps an account master key.
 * Device and storage tokens reach none of these.
 */
import { z } from 'zod';
import { configId } from './backup-config';
import {
  accountUid,
  authKey,
  computerId,
  deviceWrap,
  directoryVaultRow,
  generation,
  keyId,
  legacyKdf,
  legacyProof,
  passwordKdf,
  passwordWrap,
  profileRow,
  recoveryProof,
  recoveryWrap,
  rowVersion,
  sealedText,
} from './account-keys';

// Field schemas of the existing contract, repeated here only by reference to avoid an import cycle
// with http-api (which re-exports this module's routes).
const usernameField = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^[a-z0-9][a-z0-9._-]{1,63}$/,
    'Username: 2 to 64 characters, letters, digits, dot, dash or underscore.',
  );
const totpField = z
  .string()
  .transform((s) => s.replace(/\s+/g, ''))
  .pipe(z.string().regex(/^\d{6}$/, 'The two-factor code is six digits.'));
const recoveryCodeField = z
  .string()
  .transform((s) => s.replace(/[\s-]+/g, '').toLowerCase())
  .pipe(z.string().regex(/^[a-z0-9]{10,32}$/, 'That is not a recovery code.'));
const secondFactor = { totp: totpField.optional(), recoveryCode: recoveryCodeField.optional() };

export type KeyRouteAuth = 'public' | 'session' | 'full' | 'fresh';

// ---- sign-in parameters (public, throttled per address) -----------------------------------------

/** POST /api/sign-in/params: what to derive. Unknown, migrated and not-yet-migrated usernames are answered alike. */
export const signInParamsInput = z.object({ username: usernameField }).strict();
export const signInParams = z
  .object({
    kdf: passwordKdf,
    /** While the server still takes the old sign-in: the scrypt parameters to compute the legacy proof with (made up for accounts that do not need it). */
    legacy: legacyKdf.nullable(),
  })
  .strict();
export type SignInParams = z.infer<typeof signInParams>;

/**
 * The credentials of every sign-in: the auth key derived with `kdf` from the answer above, and,
 * while `legacy` is answered and this client has never used the new scheme for this account, the
 * legacy proof too. A not-yet-migrated account is migrated by the same request: the server checks
 * the legacy proof and stores the auth key's verifier in the same transaction.
 */
export const signInCredentials = {
  username: usernameField,
  authKey,
  legacyProof: legacyProof.optional(),
  ...secondFactor,
};

/** POST /api/signup: the client derives with new parameters of its own; the server keeps the verifier. */
export const keySignupInput = z.object({ username: usernameField, kdf: passwordKdf, authKey }).strict();

/** What every sign-in answer adds about the account's keys. */
export const accountKeyStatus = z
  .object({
    accountUid,
    /** The account's credential generation, bumped by compare-and-swap at every credential change. */
    generation: z.number().int().min(0),
    /** Null until the app has made the account master key. */
    keyId: keyId.nullable(),
    /** The password was set by the administrator: it must be replaced before anything else. */
    passwordChangeRequired: z.boolean(),
    /** False after an administrator's reset, until the app wraps the AMK with the new password. */
    passwordWrapCurrent: z.boolean(),
    /** This sign-in moved the account from the old server-side hash to the auth key. */
    migrated: z.boolean(),
  })
  .strict();
export type AccountKeyStatus = z.infer<typeof accountKeyStatus>;

// ---- forgotten password (public, throttled per address) ------------------------------------------

/**
 * POST /api/forgot-password/begin. A wrong proof is refused before any code is checked and counts
 * only against the address; a right proof with a wrong code counts against the account as a
 * sign-in failure does. Success consumes the code and answers a single-use ticket (10 minutes).
 */
export const forgotPasswordBeginInput = z
  .object({ username: usernameField, recoveryProof, ...secondFactor })
  .strict();
export const forgotPasswordTicket = z
  .object({
    ticket: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
    accountUid,
    keyId,
    generation: z.number().int().min(1),
    recoveryWrap,
  })
  .strict();
/**
 * POST /api/forgot-password/finish -> 204: the new password's verifier and wrap and a new recovery
 * key, atomically, at generation + 1; every session and device and storage token of the account ends.
 */
export const forgotPasswordFinishInput = z
  .object({
    ticket: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
    generation,
    kdf: passwordKdf,
    authKey,
    passwordWrap,
    recovery: z.object({ proof: recoveryProof, wrap: recoveryWrap }).strict(),
  })
  .strict();

// ---- credentials of a signed-in account --------------------------------------------------------

/** POST /api/account/reauthenticate (session) -> 204: the password (and code) again; the session is fresh again. */
export const reauthenticateInput = z.object({ authKey, ...secondFactor }).strict();

/**
 * POST /api/account/password/temporary (session, temporaryOk) -> AccountKeyStatus: replaces a
 * password the administrator set. Sets only the verifier: an AMK is neither made nor unwrapped nor
 * wrapped with a temporary password. From the panel only while the account has no AMK.
 */
export const replaceTemporaryPasswordInput = z.object({ generation, kdf: passwordKdf, authKey }).strict();

/**
 * POST /api/account/password (session, bearerOnly) -> { generation }: the current password's auth key
 * and a code when TOTP is on; the new verifier and the AMK wrapped by the new password. Ends every
 * other session and every device and storage token of the account; this session stays.
 */
export const keyChangePasswordInput = z
  .object({
    currentAuthKey: authKey,
    ...secondFactor,
    generation,
    kdf: passwordKdf,
    authKey,
    passwordWrap,
  })
  .strict();

export const generationAnswer = z.object({ generation: z.number().int().min(1) }).strict();

// ---- the wrapped account master key (fresh, bearerOnly) -------------------------------

/** GET /api/account/keys (fresh, bearerOnly): the account's wrap rows; the device wrap only for this session's computer. */
export const accountKeys = z
  .object({
    accountUid,
    generation: z.number().int().min(0),
    keyId: keyId.nullable(),
    passwordWrap: passwordWrap.nullable(),
    passwordWrapCurrent: z.boolean(),
    recoveryWrap: recoveryWrap.nullable(),
    deviceWrap: deviceWrap.nullable(),
  })
  .strict();
export type AccountKeys = z.infer<typeof accountKeys>;

/** POST /api/account/keys (fresh, bearerOnly) -> { generation }: the first AMK, made by the app. */
export const createAccountKeysInput = z
  .object({
    generation,
    keyId,
    passwordWrap,
    recovery: z.object({ proof: recoveryProof, wrap: recoveryWrap }).strict(),
    deviceWrap: deviceWrap.optional(),
  })
  .strict();

/**
 * POST /api/account/keys/replace (fresh, bearerOnly) -> { generation }: "start fresh", a new AMK
 * with the password and the code again, only while the password wrap is not current (after an
 * administrator's reset, when nothing else recovered the old AMK). The old wraps go, except the
 * recovery wrap, which is archived: the old recovery kit still opens the old vaults' rows.
 */
export const replaceAccountKeysInput = z
  .object({
    authKey,
    ...secondFactor,
    generation,
    keyId,
    passwordWrap,
    recovery: z.object({ proof: recoveryProof, wrap: recoveryWrap }).strict(),
    deviceWrap: deviceWrap.optional(),
  })
  .strict();

/** GET /api/account/keys/archived (fresh, bearerOnly): the recovery wraps of keys replaced by "start fresh", newest first. */
export const archivedAccountKeys = z
  .object({
    accountUid,
    archived: z.array(
      z
        .object({
          keyId,
          recoveryWrap,
          /** When it was replaced (ms since the epoch). */
          archivedAt: z.number().int().min(0),
        })
        .strict(),
    ),
  })
  .strict();
export type ArchivedAccountKeys = z.infer<typeof archivedAccountKeys>;

/** PUT /api/account/keys/password-wrap (fresh, bearerOnly) -> { generation }: the AMK wrapped by the current password (after a reset). */
export const rewrapPasswordInput = z.object({ generation, passwordWrap }).strict();

/** POST /api/account/keys/recovery (session, bearerOnly) -> { generation }: a new recovery key (a new account recovery kit); the old one stops working. */
export const newRecoveryKeyInput = z
  .object({
    authKey,
    ...secondFactor,
    generation,
    recovery: z.object({ proof: recoveryProof, wrap: recoveryWrap }).strict(),
  })
  .strict();

/** PUT /api/account/keys/devices/:computerId (fresh, bearerOnly; only this session's computer) -> { generation }. */
export const deviceWrapInput = z.object({ generation, wrap: deviceWrap }).strict();
/** DELETE /api/account/keys/devices/:computerId (session) -> 204: forget a computer's device key. */
export const computerIdParam = z.object({ computerId }).strict();

// ---- vault directory and computer profiles -----------------------------------------------------

/** GET /api/account/directory (fresh, bearerOnly): every row, soft-deleted ones included (the client shows those as gone). */
export const accountDirectory = z
  .object({ accountUid, vaults: z.array(directoryVaultRow), computers: z.array(profileRow) })
  .strict();
export type AccountDirectory = z.infer<typeof accountDirectory>;

/**
 * PUT /api/account/directory/vaults/:vaultId (full) -> the row. `version` must be the stored one + 1
 * (1 for a new row), else `version_conflict`: two computers cannot overwrite each other unseen.
 */
export const vaultIdParam = z.object({ vaultId: configId }).strict();
export const putDirectoryRowInput = z.object({ version: rowVersion, sealed: sealedText }).strict();
/** DELETE /api/account/directory/vaults/:vaultId (full) -> the row, marked deleted at `version`. */
export const deleteDirectoryRowInput = z.object({ version: rowVersion }).strict();
/** PUT /api/account/profiles/:computerId (full; only this session's computer) and DELETE (full, any computer: a takeover). */
export const putProfileInput = putDirectoryRowInput;
export const deleteProfileInput = deleteDirectoryRowInput;

// ---- the route table of this module ---------------------------------------------------------------

export interface KeyRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  auth: KeyRouteAuth;
  /** Open to a session signed in with an administrator's temporary password. */
  temporaryOk?: boolean;
  /** Open while the account is held at TOTP enrolment by --require-totp. */
  duringEnrolment?: boolean;
  /** The panel's cookie sessions are refused (`use_the_app`). */
  bearerOnly?: boolean;
  params?: z.ZodType;
  input?: z.ZodType;
  reply: z.ZodType | null;
}

export const keyRoutes = {
  signInParams: {
    method: 'POST',
    path: '/api/sign-in/params',
    auth: 'public',
    input: signInParamsInput,
    reply: signInParams,
  },
  forgotPasswordBegin: {
    method: 'POST',
    path: '/api/forgot-password/begin',
    auth: 'public',
    input: forgotPasswordBeginInput,
    reply: forgotPasswordTicket,
  },
  forgotPasswordFinish: {
    method: 'POST',
    path: '/api/forgot-password/finish',
    auth: 'public',
    input: forgotPasswordFinishInput,
    reply: null,
  },
  reauthenticate: {
    method: 'POST',
    path: '/api/account/reauthenticate',
    auth: 'session',
    input: reauthenticateInput,
    reply: null,
  },
  replaceTemporaryPassword: {
    method: 'POST',
    path: '/api/account/password/temporary',
    auth: 'session',
    temporaryOk: true,
    // A new account under --require-totp sets its password first, then enrols.
    duringEnrolment: true,
    input: replaceTemporaryPasswordInput,
    reply: accountKeyStatus,
  },
  changePassword: {
    method: 'POST',
    path: '/api/account/password',
    auth: 'session',
    bearerOnly: true,
    input: keyChangePasswordInput,
    reply: generationAnswer,
  },
  accountKeys: {
    method: 'GET',
    path: '/api/account/keys',
    auth: 'fresh',
    bearerOnly: true,
    reply: accountKeys,
  },
  createAccountKeys: {
    method: 'POST',
    path: '/api/account/keys',
    auth: 'fresh',
    bearerOnly: true,
    input: createAccountKeysInput,
    reply: generationAnswer,
  },
  rewrapPassword: {
    method: 'PUT',
    path: '/api/account/keys/password-wrap',
    auth: 'fresh',
    bearerOnly: true,
    input: rewrapPasswordInput,
    reply: generationAnswer,
  },
  replaceAccountKeys: {
    method: 'POST',
    path: '/api/account/keys/replace',
    auth: 'fresh',
    bearerOnly: true,
    input: replaceAccountKeysInput,
    reply: generationAnswer,
  },
  archivedAccountKeys: {
    method: 'GET',
    path: '/api/account/keys/archived',
    auth: 'fresh',
    bearerOnly: true,
    reply: archivedAccountKeys,
  },
  newRecoveryKey: {
    method: 'POST',
    path: '/api/account/keys/recovery',
    auth: 'session',
    bearerOnly: true,
    input: newRecoveryKeyInput,
    reply: generationAnswer,
  },
  putDeviceWrap: {
    method: 'PUT',
    path: '/api/account/keys/devices/:computerId',
    auth: 'fresh',
    bearerOnly: true,
    params: computerIdParam,
    input: deviceWrapInput,
    reply: generationAnswer,
  },
  deleteDeviceWrap: {
    method: 'DELETE',
    path: '/api/account/keys/devices/:computerId',
    auth: 'full',
    bearerOnly: true,
    params: computerIdParam,
    reply: null,
  },
  directory: {
    method: 'GET',
    path: '/api/account/directory',
    auth: 'fresh',
    bearerOnly: true,
    reply: accountDirectory,
  },
  putDirectoryRow: {
    method: 'PUT',
    path: '/api/account/directory/vaults/:vaultId',
    auth: 'full',
    bearerOnly: true,
    params: vaultIdParam,
    input: putDirectoryRowInput,
    reply: directoryVaultRow,
  },
  deleteDirectoryRow: {
    method: 'DELETE',
    path: '/api/account/directory/vaults/:vaultId',
    auth: 'full',
    bearerOnly: true,
    params: vaultIdParam,
    input: deleteDirectoryRowInput,
    reply: directoryVaultRow,
  },
  putProfile: {
    method: 'PUT',
    path: '/api/account/profiles/:computerId',
    auth: 'full',
    bearerOnly: true,
    params: computerIdParam,
    input: putProfileInput,
    reply: profileRow,
  },
  deleteProfile: {
    method: 'DELETE',
    path: '/api/account/profiles/:computerId',
    auth: 'full',
    bearerOnly: true,
    params: computerIdParam,
    input: deleteProfileInput,
    reply: profileRow,
  },
} as const satisfies Record<string, KeyRoute>;

/** Error codes these routes add to the contract's list, with their HTTP status. */
export const KEY_ERROR_STATUS = {
  /** 409: the credential generation moved on (another change won); read again and retry or stop. */
  generation_conflict: 409,
  /** 409: a directory or profile row's version is not the stored one + 1. */
  version_conflict: 409,
  /** 409: the account already has a master key (and starting fresh is not allowed now). */
  keys_exist: 409,
  /** 403: the session signed in with a temporary password; replace it first. */
  password_change_required: 403,
  /** 403: the panel may not do this; the Strongroom app does (zero-knowledge against the operator). */
  use_the_app: 403,
  /** 401: the old sign-in (legacy proof) is no longer accepted by this server. */
  legacy_sign_in_closed: 401,
  /** 400: the forgotten-password ticket is unknown, used or expired. */
  ticket_expired: 400,
} as const;
