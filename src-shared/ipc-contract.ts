/**
 * The desktop app's IPC contract: every channel between renderer and main, with a zod schema for
 * its input and the type of its output. The preload exposes exactly these methods as `window.api`
 * (type `DesktopApi`, derived below), the harness bridges the same methods over a WebSocket, and
 * src-main/ipc/register.ts validates every call against these schemas.
 *
 * Every call answers a `Result`: errors cross the boundary as data (Electron's IPC keeps only an
 * error's message), so the renderer can show "try again in 42 s" from `retryAfterSeconds`.
 * Secrets (session and device tokens, the TOTP secret at rest) never cross; the one exception is
 * TOTP enrolment, which must show the person the QR image and the manual key once.
 */
import { z } from 'zod';
import {
  password as accountPassword,
  recoveryCode,
  repositoryName,
  totpCode,
  username as accountUsername,
  type StorageDeletionAlert,
} from './http-api';
import {
  backupPreferences,
  configId,
  protectedItem,
  type BackupPreferences,
  type ProtectedItem,
  type VaultType,
} from './backup-config';
import { JOB_KINDS, JOB_STATUSES, type JobLogEntry, type JobProgress, type JobRecord } from './backup-jobs';
import type { LsEntry, SnapshotInfo } from './job-protocol';

/**
 * 'session-expired': the account server ended the session while the app was open (added later).
 * 'password-changed': it ended it because the account's password was changed (on the web panel or
 * by the administrator), which also revoked this computer's device token.
 */
export const LOCK_REASONS = [
  'close',
  'manual',
  'idle',
  'suspend',
  'screen-lock',
  'session-expired',
  'password-changed',
  // "Lock now" (app menu, tray, Ctrl+L / Cmd+L): locked by the person, the window left open.
  'manual-in-place',
] as const;
export type LockReason = (typeof LOCK_REASONS)[number];
export const AUTO_LOCK_MINUTES = [1, 5, 15, 30, 60] as const;
export type AutoLockMinutes = (typeof AUTO_LOCK_MINUTES)[number];

export type IpcErrorCode =
  | 'locked'
  /** A sign-in channel (unlock, create account, forgot password) called while already unlocked. */
  | 'already_unlocked'
  | 'bad_request'
  | 'invalid_credentials'
  | 'totp_required'
  | 'throttled'
  | 'unreachable'
  | 'session_expired'
  | 'password_changed'
  | 'wrong_code'
  | 'enrolment_expired'
  | 'no_pending_enrolment'
  | 'totp_already_enabled'
  | 'totp_not_enabled'
  | 'totp_enrollment_required'
  /** Backups: the stored backup configuration is invalid (the message names the field). */
  | 'config_invalid'
  /** Backups: the vault, item or job named does not exist (any more). */
  | 'not_found'
  /** Backups: refused because of other state (a vault still used by items, a folder not empty, a file already there). */
  | 'conflict'
  /** Backups: the vault (repository) password is wrong or not available. */
  | 'wrong_password'
  /**
   * The account server wants a fresh full sign-in (its 15-minute window passed): ask for the
   * password (and a code when two-factor is on), call `account:reauthenticate`, then retry.
   */
  | 'reauthentication_required'
  /**
   * The password was set by the administrator (temporary): the unlock screen asks for a new one
   * and calls `auth:unlock` again with `newPassword`.
   */
  | 'password_change_required'
  /** "This account's key changed": the server answered a key with another key id than this computer remembers; nothing was used. */
  | 'key_changed'
  /** The account's keys are not in memory (they could not be unwrapped at this unlock); `accountKey:status` says why. */
  | 'key_unavailable'
  | 'internal';

export interface IpcError {
  code: IpcErrorCode;
  /** Words a person can act on; never contains a secret. */
  message: string;
  retryAfterSeconds?: number;
}
export type Result<T> = { ok: true; value: T } | { ok: false; error: IpcError };

export interface LockStatus {
  locked: boolean;
  reason: LockReason | null;
  lockedAt: string | null;
  /** The remembered account server, or the embedded local one. */
  serverUrl: string;
  serverIsLocal: boolean;
  /** Remembered for the unlock screen; null before the first unlock. */
  lastUsername: string | null;
  /** First run on the embedded local server: the unlock screen offers "Create account". */
  canCreateAccount: boolean;
}

export interface AccountView {
  /**
   * Why this computer could not keep its device key in the keychain this session (null when it
   * did): scheduled account-storage backups and job reports then wait for an unlock.
   */
  deviceTokenProblem: string | null;
  username: string;
  serverUrl: string;
  totpEnabled: boolean;
  mustEnrollTotp: boolean;
  recoveryCodesRemaining: number;
  /**
   * The account's keys as this unlock left them (also answered by `accountKey:status`): after
   * `auth:unlock`, `auth:createAccount` and `auth:forgotPassword` the renderer shows the recovery
   * kit dialog when `kitPending`, and "This account has backups from N computers" when `offerRestore`.
   */
  accountKey: AccountKeyView;
}

/** The account master key (AMK) as the renderer may know it: never the key, only its state and public id. */
export interface AccountKeyView {
  /** ready: the AMK is in main's memory; unavailable: it could not be had at this unlock (see `reason`). */
  state: 'ready' | 'unavailable';
  /** The key id formatted for reading ("1a2b 3c4d …"); null while unavailable and unknown. */
  keyId: string | null;
  /** A recovery kit was made and not yet confirmed saved: the dialog after unlock and the banner on Backups. */
  kitPending: boolean;
  /** The account lives on the embedded local server (on this computer, not off-site): the kit and the banner say so. */
  serverIsLocal: boolean;
  /** Why unavailable, in words a person can act on; null when ready. */
  reason: string | null;
  /** The account's vault directory holds vaults this computer does not have: offer "Restore files" / "Continue … on this computer". */
  offerRestore: boolean;
  /**
   * "This account's server moved": this unlock opened, at `to`, the same account key this computer
   * remembers for `from`; `account:answerServerMove` moves that account's vaults to `to`.
   */
  serverMoved: { from: string; to: string } | null;
  /** The same move, declined before for this address and key id: not asked; `account:askServerMoveAgain` asks. */
  serverMoveDeclined?: { from: string; to: string } | null;
  /**
   * Unavailable because nothing on this computer opened the key after an administrator's reset:
   * `account:startFresh` may replace it (a new key and kit; the old vaults stay, locked).
   */
  canStartFresh?: boolean;
}

/**
 * The account recovery kit while one is pending (made at the first AMK, at a forgotten-password
 * reset, or by `accountKit:new`). The recovery key lives in main only until the kit is confirmed
 * saved or the app locks.
 */
export interface AccountKitView {
  username: string;
  serverUrl: string;
  /** Formatted for reading, as `AccountKeyView.keyId`. */
  keyId: string;
  /** 56 characters of Crockford base32 in 14 groups of four, dash-separated ("7KQ2-M0ZD-…"). */
  recoveryKey: string;
  /** data:image/png;base64,… of the recovery key (as typed, with its dashes). */
  qrPngDataUrl: string;
  createdAt: string;
}

/**
 * The pending kit after main's one showing of it: the same facts without the recovery key. The key
 * is written to a file by `accountKit:save`, or shown again by `accountKit:showAgain` after the
 * password (and code) again, never by a plain `accountKit:get`.
 */
export interface AccountKitPendingView {
  username: string;
  serverUrl: string;
  keyId: string;
  recoveryKey: null;
  qrPngDataUrl: null;
  createdAt: string;
}

/** A vault of the account's directory that does not open with the account's current key. */
export interface LockedVaultView {
  vaultId: string;
  /** Its name when this computer has the vault; null otherwise (the name is sealed with the old key). */
  name: string | null;
  /** When its row was last written (ISO), as the server says. */
  updatedAt: string;
}

/** One computer of the account, from its sealed profile and the server's figures. */
export interface ComputerView {
  computerId: string;
  name: string;
  isThisComputer: boolean;
  /** The newest backup report of any device of that computer; null: none. */
  lastBackupAt: string | null;
  /** The vaults its protected items use. */
  vaultIds: string[];
  /** Protected items in its profile. */
  itemCount: number;
  /** False: the computer has signed in but never written a profile (nothing to take over). */
  hasProfile: boolean;
}

/** One vault of the account's directory as this computer sees it. */
export interface DirectoryVaultView {
  vaultId: string;
  name: string;
  kind: 'local' | 'account';
  /** Already a vault of this computer's configuration. */
  onThisComputer: boolean;
  /** A folder or drive vault's last known path ("/media/usb/strongroom"); null for account storage. */
  locationHint: string | null;
  /** A folder or drive vault not on this computer: it needs `account:connectDrive` with its folder. */
  needsFolder: boolean;
}

export interface AccountComputersView {
  thisComputerId: string;
  computers: ComputerView[];
  vaults: DirectoryVaultView[];
}

export interface TotpEnrolmentView {
  qrPngDataUrl: string;
  secretBase32: string;
  expiresAt: string;
}

export interface AppSettings {
  autoLockMinutes: AutoLockMinutes;
  lockOnSuspend: boolean;
  /**
   * "Remember this computer" (on by default): a device key in the keychain, and the account's key
   * wrapped by it on the server, so the key comes back here after an administrator's password
   * reset. Turned off: the key and its wrap are removed (from the server while unlocked, else at
   * the next unlock).
   */
  rememberComputer: boolean;
}

/**
 * Where this installation keeps the device token (what lets backups run while the app is locked):
 * the OS keychain (keytar), Electron's safeStorage (a file encrypted with the OS's key, where keytar
 * did not build), or memory only (the browser harness without keytar: it does not outlive the process).
 */
export type SecretStoreKind = 'keychain' | 'safe-storage' | 'memory';

/** The settings as the app shows them: what can be changed, and what the installation decides. */
export interface SettingsView extends AppSettings {
  secretStore: SecretStoreKind;
}

// ---- Backups (vaults, protected items, jobs, restore) ----------------------------------------

export interface VaultView {
  id: string;
  name: string;
  type: VaultType;
  /** What a person recognises: the folder for "Folder or drive". */
  location: string;
  repositoryId: string;
  /** Kept in the OS keychain, so scheduled runs work while locked. */
  passwordStored: boolean;
  /** Stored, or entered during this unlocked session; false: its runs wait for the password. */
  passwordAvailable: boolean;
  itemCount: number;
  createdAt: string;
  /** A drive opened with another account's recovery key (or password): that key opens it too. */
  openedWithOtherAccountKey?: boolean;
}

/** An account-storage vault's account, as the server counts it (every repository of the account). */
export interface AccountStorageUsage {
  serverUrl: string;
  usedBytes: number;
  /** Null: no quota. */
  quotaBytes: number | null;
  /** How long deleted files stay restorable in the web panel's Storage page. */
  graceDays: number;
  /** The server's alerts about files deleted from this vault's repository (30 days, newest first). */
  deletionAlerts: StorageDeletionAlert[];
  /** The web panel's Storage page, where they are restored. */
  panelStorageUrl: string;
}

export interface ProtectedItemView {
  item: ProtectedItem;
  vaultName: string;
  /** The newest finished backup job of this item. */
  lastJob: JobRecord | null;
  lastSuccessAt: string | null;
  /** null for a manual schedule. */
  nextRunAt: string | null;
  /** The running or waiting job of this item, with its live progress. */
  activeJob: JobRecord | null;
  progress: JobProgress | null;
  /** Why scheduled runs cannot happen now ("The vault's password is not kept on this computer…"). */
  blockedReason: string | null;
  /** No successful backup for longer than the preferences' threshold. */
  stale: boolean;
}

export interface BackupOverview {
  vaults: VaultView[];
  items: ProtectedItemView[];
  preferences: BackupPreferences;
}

export type PathPurpose = 'folder' | 'file-or-folder' | 'save-file';

/** A path as this computer sees it: `problem` says why it cannot be backed up, in words, or is null. */
export interface PathCheck {
  path: string;
  problem: string | null;
}

// ---- File catalogue (issue 9) -----------------------------------------------------------------

export type CatalogueEntryType = 'file' | 'dir' | 'symlink' | 'other';
/** A backup as the catalogue knows it. */
export interface SnapshotRef {
  id: string;
  time: string;
}
export interface CatalogueMatch {
  vaultId: string;
  vaultName: string;
  /** The protected item whose backups hold it (from the snapshot's "item:<id>" tag); null: made elsewhere. */
  itemId: string | null;
  itemName: string | null;
  /** The full path as backed up. */
  path: string;
  type: CatalogueEntryType;
  /** Distinct contents it has had across the catalogued backups. */
  versionCount: number;
  /** The newest backup holding it. */
  lastSeen: SnapshotRef;
  /** Held by the newest backup of its item; false: deleted since. */
  inLatest: boolean;
}
export interface CatalogueSearchResult {
  matches: CatalogueMatch[];
  /** More matched than `limit`. */
  truncated: boolean;
  /** Vaults whose catalogue is missing backups, so the answer may be incomplete. */
  incompleteVaults: string[];
}
/** One distinct content of a path: consecutive or not, every backup holding exactly this. */
export interface FileVersion {
  /** Identifies the content (a hash of its blob ids); equal keys, equal bytes. */
  contentKey: string;
  type: CatalogueEntryType;
  size: number | null;
  mtime: string | null;
  backupCount: number;
  first: SnapshotRef;
  last: SnapshotRef;
}
/** A stretch of backups without the path: from the first backup missing it until the first holding it again. */
export interface FileAbsence {
  from: SnapshotRef;
  /** null: still absent in the newest backup. */
  until: SnapshotRef | null;
}
export interface FileVersions {
  vaultId: string;
  itemId: string | null;
  path: string;
  /** Oldest first. */
  versions: FileVersion[];
  absences: FileAbsence[];
}
export interface DiffEntry {
  path: string;
  type: CatalogueEntryType;
  sizeBefore: number | null;
  sizeAfter: number | null;
}
export interface SnapshotDiff {
  from: SnapshotRef;
  to: SnapshotRef;
  added: DiffEntry[];
  removed: DiffEntry[];
  modified: DiffEntry[];
  /** More changes than `limit` (counted in `totals`). */
  truncated: boolean;
  totals: { added: number; removed: number; modified: number };
}
export interface CatalogueStatus {
  vaultId: string;
  /** Backups catalogued. */
  snapshots: number;
  updatedAt: string | null;
  /** ready: up to date with the last update; stale: a backup was made or removed since; missing: never built; damaged: found unreadable (being rebuilt). */
  state: 'ready' | 'stale' | 'missing' | 'damaged';
  /** The running or waiting catalogue job, if any. */
  jobId: string | null;
}

const filePath = z
  .string()
  .min(1, 'Choose a folder.')
  .max(4096, 'That path is too long.')
  .refine((p) => !p.includes('\0'), 'A path cannot contain a NUL character.');
const vaultPassword = z.string().min(1, 'Enter the vault password.').max(1024);
const vaultName = z.string().trim().min(1, 'Give the vault a name.').max(80);
const jobId = z.string().regex(/^[a-z0-9-]{6,64}$/, 'Not a job id.');
const snapshotIdInput = z.string().regex(/^[0-9a-f]{8,64}$/, 'Not a backup id.');

/** A protected item as the form sends it: no id for a new one; createdAt is main's. */
export const protectedItemInput = protectedItem
  .omit({ id: true, createdAt: true })
  .extend({ id: configId.optional() });

/** A password being checked (not chosen): any non-empty string up to the maximum. */
const enteredPassword = z.string().min(1, 'Enter your password.').max(1024);
/** The two-factor code or a TOTP recovery code, when the account has two-factor on. */
const secondFactor = { totp: totpCode.optional(), recoveryCode: recoveryCode.optional() };
/**
 * A typed recovery key: Crockford base32, case, spaces and dashes free (its checksum is checked in
 * main, which says which kind of typo it is).
 */
const recoveryKeyInput = z
  .string()
  .trim()
  .min(1, 'Enter the recovery key from your account recovery kit.')
  .max(200, 'That is not a recovery key.')
  .regex(/^[0-9A-Za-z\s-]+$/, 'A recovery key has only letters, digits and dashes.');

const serverUrl = z
  .string()
  .trim()
  .url('The server address must be a URL such as https://backup.example.com')
  .refine((u) => /^https?:\/\//.test(u), 'The server address must start with http:// or https://');

/**
 * Channel name -> input schema and output type. Output types are phantom (`null as unknown as T`).
 * `whileLocked: 'only'`: a sign-in, accepted only while locked, so that nothing in an unlocked
 * window can sign in as another account or reset the password.
 */
export const channels = {
  'lock:status': { input: z.undefined(), output: null as unknown as LockStatus, whileLocked: true },
  'auth:unlock': {
    input: z
      .object({
        /** Omitted: the remembered server (the embedded local one by default). */
        serverUrl: serverUrl.optional(),
        username: z.string().trim().min(1, 'Enter your username.').max(64),
        password: z.string().min(1, 'Enter your password.').max(1024),
        totp: totpCode.optional(),
        recoveryCode: recoveryCode.optional(),
        /**
         * Only after `password_change_required` (a password the administrator set): the same
         * fields again with the new password. Main kept that sign-in's session for ten minutes, so
         * the code already sent is not asked again; it replaces the temporary password, then
         * recovers the account's keys (this computer's device key, or the previous password's wrap
         * when the new password is that one again), or says in `accountKey.reason` why it could not.
         */
        newPassword: accountPassword.optional(),
        /**
         * "Switch account…": this unlock is another account's; the unlock screen's default (the
         * account this computer's backups belong to) stays as it is.
         */
        switchAccount: z.literal(true).optional(),
      })
      .strict(),
    output: null as unknown as AccountView,
    whileLocked: 'only',
  },
  /** Locks the app (reason "manual") and closes it at once: Account tab -> Lock… */
  'lock:lockAndClose': { input: z.undefined(), output: null as unknown as null, whileLocked: false },
  'lock:lockNow': { input: z.undefined(), output: null as unknown as null, whileLocked: false },
  'account:get': { input: z.undefined(), output: null as unknown as AccountView, whileLocked: false },
  /** Offers the keychain again the device key it refused this session (see deviceTokenProblem). */
  'account:keepDeviceKeyAgain': {
    input: z.undefined(),
    output: null as unknown as AccountView,
    whileLocked: false,
  },
  'totp:begin': { input: z.undefined(), output: null as unknown as TotpEnrolmentView, whileLocked: false },
  'totp:confirm': {
    input: z.object({ code: totpCode }).strict(),
    output: null as unknown as { recoveryCodes: string[] },
    whileLocked: false,
  },
  'totp:disable': {
    input: z
      .object({
        password: z.string().min(1).max(1024),
        code: totpCode.optional(),
        recoveryCode: recoveryCode.optional(),
      })
      .strict(),
    output: null as unknown as null,
    whileLocked: false,
  },
  'totp:regenerateRecoveryCodes': {
    input: z.object({ code: totpCode }).strict(),
    output: null as unknown as { recoveryCodes: string[] },
    whileLocked: false,
  },
  'settings:get': { input: z.undefined(), output: null as unknown as SettingsView, whileLocked: false },
  'settings:set': {
    input: z
      .object({
        autoLockMinutes: z
          .number()
          .refine((n): n is AutoLockMinutes => (AUTO_LOCK_MINUTES as readonly number[]).includes(n))
          .optional(),
        lockOnSuspend: z.boolean().optional(),
        rememberComputer: z.boolean().optional(),
      })
      .strict(),
    output: null as unknown as SettingsView,
    whileLocked: false,
  },
  /** The renderer reports user input (throttled to once per few seconds) for the idle lock; only while unlocked, like everything but lock:status and auth:unlock. */
  'activity:ping': { input: z.undefined(), output: null as unknown as null, whileLocked: false },

  /** First run on the embedded local server: create the account in the app, then unlock with it. */
  'auth:createAccount': {
    input: z.object({ username: accountUsername, password: accountPassword }).strict(),
    output: null as unknown as AccountView,
    whileLocked: 'only',
  },

  'backup:overview': { input: z.undefined(), output: null as unknown as BackupOverview, whileLocked: false },
  'backup:setPreferences': {
    input: backupPreferences.partial().strict(),
    output: null as unknown as BackupPreferences,
    whileLocked: false,
  },
  /**
   * Creates a new repository ("new") or opens the one already there ("existing"): in a folder
   * ("local"), or as account storage on the server the app is signed in to ("account", repository
   * /storage/<username>/<repository>/, authenticated by this device's token).
   */
  'vault:create': {
    input: z.discriminatedUnion('type', [
      z
        .object({
          type: z.literal('local'),
          name: vaultName,
          path: filePath,
          mode: z.enum(['new', 'existing']),
          /** Required for "existing"; omitted for "new": main makes a random 256-bit one (the account keeps it). */
          password: vaultPassword.optional(),
          /** Keep the password in the OS keychain so scheduled backups run while the app is locked. */
          storePassword: z.boolean(),
          /**
           * Put the account's password wrap in the drive envelope too, so the drive opens with the
           * password alone (the recovery wrap is always there). Omitted: on for an account on the
           * embedded local server only.
           */
          passwordWrapOnDrive: z.boolean().optional(),
        })
        .strict()
        .refine((v) => v.mode === 'new' || v.password !== undefined, {
          message: 'Enter the vault password.',
          path: ['password'],
        }),
      z
        .object({
          type: z.literal('account'),
          name: vaultName,
          repository: repositoryName,
          mode: z.enum(['new', 'existing']),
          /** As for "local". */
          password: vaultPassword.optional(),
          storePassword: z.boolean(),
        })
        .strict()
        .refine((v) => v.mode === 'new' || v.password !== undefined, {
          message: 'Enter the vault password.',
          path: ['password'],
        }),
    ]),
    output: null as unknown as VaultView,
    whileLocked: false,
  },
  'vault:rename': {
    input: z
      .object({ vaultId: configId, name: z.string().trim().min(1, 'Give the vault a name.').max(80) })
      .strict(),
    output: null as unknown as VaultView,
    whileLocked: false,
  },
  /** Forgets the vault (never deletes the repository); refused while protected items use it. */
  'vault:remove': {
    input: z.object({ vaultId: configId }).strict(),
    output: null as unknown as null,
    whileLocked: false,
  },
  /** For a vault whose password is not kept: hold it in memory until the app locks. */
  'vault:enterPassword': {
    input: z.object({ vaultId: configId, password: vaultPassword }).strict(),
    output: null as unknown as VaultView,
    whileLocked: false,
  },
  'vault:verify': {
    input: z.object({ vaultId: configId, readData: z.boolean() }).strict(),
    output: null as unknown as { jobId: string },
    whileLocked: false,
  },
  /** The storage used (and the quota) of an account-storage vault's account, and its deletion alerts, from the server. */
  'vault:storageUsage': {
    input: z.object({ vaultId: configId }).strict(),
    output: null as unknown as AccountStorageUsage,
    whileLocked: false,
  },
  /** Writes the recovery kit (location, repository id, password, how to restore) to a file. */
  'vault:saveRecoveryKit': {
    input: z
      .object({
        vaultId: configId,
        accountPassword: z.string().min(1, 'Enter your account password.').max(1024),
        destinationPath: filePath,
      })
      .strict(),
    output: null as unknown as { path: string },
    whileLocked: false,
  },
  /** The account's vaults here whose password a person typed (made before the account kept keys): offer to re-key them. */
  'vault:rekeyOffers': {
    input: z.undefined(),
    output: null as unknown as { vaultIds: string[] },
    whileLocked: false,
  },
  /**
   * "Replace this vault's password with a random key": a new random password slot, the old one
   * removed; the keychain, the directory row and the account slot take the new one. Refused while a
   * job uses the vault. The old password and the old per-vault recovery kit no longer open it.
   */
  'vault:rekey': {
    input: z
      .object({
        vaultId: configId,
        /** Asked like any account change: the account password and, when on, a code. */
        password: enteredPassword,
        ...secondFactor,
      })
      .strict(),
    output: null as unknown as { directoryUpdated: boolean },
    whileLocked: false,
  },
  /**
   * "Open a drive with a recovery key": a folder vault its account server does not hold, opened with
   * the recovery key (or the account password, where the drive's password wrap is on) of the
   * account that wrote it, and added to this computer with a random password of its own.
   */
  'vault:openDrive': {
    input: z
      .object({
        path: filePath,
        recoveryKey: recoveryKeyInput.optional(),
        accountPassword: enteredPassword.optional(),
      })
      .strict()
      .refine((v) => (v.recoveryKey === undefined) !== (v.accountPassword === undefined), {
        message: 'Enter the recovery key, or the account password.',
        path: ['recoveryKey'],
      }),
    output: null as unknown as VaultView,
    whileLocked: false,
  },

  'item:save': {
    input: protectedItemInput,
    output: null as unknown as ProtectedItemView,
    whileLocked: false,
  },
  'item:remove': {
    input: z.object({ itemId: configId }).strict(),
    output: null as unknown as null,
    whileLocked: false,
  },
  /**
   * Whether each path can be backed up from this computer (it exists and can be read), asked before
   * an item is saved so a mistyped folder is said where it was typed.
   */
  'item:checkPaths': {
    input: z.object({ paths: z.array(filePath).min(1).max(200) }).strict(),
    output: null as unknown as PathCheck[],
    whileLocked: false,
  },

  'job:backupNow': {
    input: z.object({ itemId: configId }).strict(),
    output: null as unknown as { jobId: string },
    whileLocked: false,
  },
  'job:cancel': { input: z.object({ jobId }).strict(), output: null as unknown as null, whileLocked: false },
  /** History, newest first. */
  'job:list': {
    input: z
      .object({
        itemId: configId.optional(),
        kind: z.enum(JOB_KINDS).optional(),
        status: z.enum(JOB_STATUSES).optional(),
        limit: z.number().int().min(1).max(500).optional(),
        /** Paging: jobs queued before this one. */
        beforeJobId: jobId.optional(),
      })
      .strict(),
    output: null as unknown as JobRecord[],
    whileLocked: false,
  },
  'job:get': {
    input: z.object({ jobId }).strict(),
    output: null as unknown as { job: JobRecord; log: JobLogEntry[] },
    whileLocked: false,
  },

  /** Backups in a vault, newest first; with itemId, only that item's. */
  'restore:snapshots': {
    input: z.object({ vaultId: configId, itemId: configId.optional() }).strict(),
    output: null as unknown as SnapshotInfo[],
    whileLocked: false,
  },
  /** One folder level of a backup. */
  'restore:browse': {
    input: z
      .object({ vaultId: configId, snapshotId: snapshotIdInput, path: z.string().min(1).max(4096) })
      .strict(),
    output: null as unknown as LsEntry[],
    whileLocked: false,
  },
  'restore:start': {
    input: z
      .object({
        vaultId: configId,
        itemId: configId.optional(),
        snapshotId: snapshotIdInput,
        /** Snapshot paths chosen in the browser; empty: everything. */
        include: z.array(z.string().min(1).max(4096)).max(10_000),
        destination: z.discriminatedUnion('mode', [
          z.object({ mode: z.literal('original') }).strict(),
          /**
           * Into `<path>/<item name>/`, relative to the item's folder (their common parent when it
           * has several); `keepFullPaths`: under the full original path instead.
           */
          z
            .object({ mode: z.literal('folder'), path: filePath, keepFullPaths: z.boolean().optional() })
            .strict(),
          /** "Save a copy as…": `include` must be exactly one file; it is written to this file path. */
          z.object({ mode: z.literal('copy-as'), path: filePath }).strict(),
        ]),
        conflict: z.enum(['overwrite', 'skip', 'keep-both']),
        /** Into a folder: stop before writing when the selection does not fit (default), or restore what fits. */
        whenTooLittleSpace: z.enum(['stop', 'restore-what-fits']).optional(),
      })
      .strict(),
    output: null as unknown as { jobId: string },
    whileLocked: false,
  },

  // ---- File catalogue (issue 9): find a file in every backup and pick its version -----------
  // Answered from the vault's local catalogue (SQLite in the app's data directory), so they work
  // offline; a vault whose catalogue is not up to date says so in its status, and catalogue:update
  // brings it up to date as a job (kind "catalogue", with progress, in the History).

  /** Paths matching part of a name or path (case-insensitive; `*` and `?` wildcards), across all vaults or one. */
  'catalogue:search': {
    input: z
      .object({
        query: z.string().trim().min(1, 'Type part of a file or folder name.').max(500),
        vaultId: configId.optional(),
        limit: z.number().int().min(1).max(1000).optional(),
      })
      .strict(),
    output: null as unknown as CatalogueSearchResult,
    whileLocked: false,
  },
  /** Every distinct version of one path in one vault (and item), with the backups holding each and the gaps. */
  'catalogue:versions': {
    input: z
      .object({ vaultId: configId, itemId: configId.nullable(), path: z.string().min(1).max(4096) })
      .strict(),
    output: null as unknown as FileVersions,
    whileLocked: false,
  },
  /** What changed between two backups of the same vault: added, removed and modified paths. */
  'catalogue:diff': {
    input: z
      .object({
        vaultId: configId,
        fromSnapshotId: snapshotIdInput,
        toSnapshotId: snapshotIdInput,
        limit: z.number().int().min(1).max(100_000).optional(),
      })
      .strict(),
    output: null as unknown as SnapshotDiff,
    whileLocked: false,
  },
  'catalogue:status': {
    input: z.undefined(),
    output: null as unknown as CatalogueStatus[],
    whileLocked: false,
  },
  /** Brings a vault's catalogue up to date (rebuild: from scratch) as a job. */
  'catalogue:update': {
    input: z.object({ vaultId: configId, rebuild: z.boolean() }).strict(),
    output: null as unknown as { jobId: string },
    whileLocked: false,
  },

  // ---- Your account is your key: the account master key, its recovery kit, credentials ---------
  // The AMK and the recovery key never cross to the renderer (the kit's recovery key is shown
  // once, by design); passwords typed here are turned into auth keys in main and never sent.

  /** The account key's state for the Backups banner, the kit dialog and the restore offer. */
  'accountKey:status': {
    input: z.undefined(),
    output: null as unknown as AccountKeyView,
    whileLocked: false,
  },
  /**
   * The pending account recovery kit; `not_found` when none is pending. Its recovery key only at
   * the first call after main made the kit (first key, forgotten password, start fresh); afterwards
   * the kit without it.
   */
  'accountKit:get': {
    input: z.undefined(),
    output: null as unknown as AccountKitView | AccountKitPendingView,
    whileLocked: false,
  },
  /** "Show the recovery key again": the pending kit with its key, after the password (and code) again. */
  'accountKit:showAgain': {
    input: z.object({ password: enteredPassword, ...secondFactor }).strict(),
    output: null as unknown as AccountKitView,
    whileLocked: false,
  },
  /** Writes the pending kit as text (mode 0600, never over an existing file). */
  'accountKit:save': {
    input: z.object({ destinationPath: filePath }).strict(),
    output: null as unknown as { path: string },
    whileLocked: false,
  },
  /** The person saved the kit: main forgets the recovery key and the banner goes (remembered in settings). */
  'accountKit:confirmSaved': { input: z.undefined(), output: null as unknown as null, whileLocked: false },
  /** A new recovery key and kit (the old key stops working); asks the password (and code) again. */
  'accountKit:new': {
    input: z.object({ password: enteredPassword, ...secondFactor }).strict(),
    output: null as unknown as AccountKitView,
    whileLocked: false,
  },
  /** Makes the session fresh again after `reauthentication_required`; then retry the call that got it. */
  'account:reauthenticate': {
    input: z.object({ password: enteredPassword, ...secondFactor }).strict(),
    output: null as unknown as null,
    whileLocked: false,
  },
  /**
   * Changes the password in the app: the AMK is wrapped by the new one; every other session and
   * every device and storage token of the account end; this computer stays signed in.
   */
  'account:changePassword': {
    input: z
      .object({
        currentPassword: enteredPassword,
        newPassword: accountPassword,
        ...secondFactor,
      })
      .strict(),
    output: null as unknown as null,
    whileLocked: false,
  },
  /**
   * "Forgot password?" on the unlock screen: the recovery key and a code set a new password; the
   * app is then unlocked with it and a new recovery kit is pending. The code is spent on the
   * reset, so an account with two-factor on answers `totp_required` instead: the new password is
   * set, and `auth:unlock` with it and the next code unlocks (the new kit is pending then).
   */
  'auth:forgotPassword': {
    input: z
      .object({
        /** Omitted: the remembered server (the embedded local one by default). */
        serverUrl: serverUrl.optional(),
        username: accountUsername,
        recoveryKey: recoveryKeyInput,
        ...secondFactor,
        newPassword: accountPassword,
      })
      .strict(),
    output: null as unknown as AccountView,
    whileLocked: 'only',
  },
  /** The account's computers and the vaults of its directory ("This account has backups from 2 computers"). */
  /** Accepts (true) or declines (false) "This account's server moved"; declined, nothing changes. */
  'account:answerServerMove': {
    input: z
      .object({
        accept: z.boolean(),
        /** Moving is asked like any account change: the password and, when on, a code (not a click alone). */
        password: enteredPassword.optional(),
        ...secondFactor,
      })
      .strict()
      .refine((v) => !v.accept || v.password !== undefined, {
        message: 'Enter your password to move your vaults.',
      }),
    output: null as unknown as AccountKeyView,
    whileLocked: false,
  },
  'account:computers': {
    input: z.undefined(),
    output: null as unknown as AccountComputersView,
    whileLocked: false,
  },
  /**
   * "Restore files": adds directory vaults to this computer. Account-storage vaults are usable at
   * once; folder or drive vaults come back in `needFolder` and need `account:connectDrive`.
   */
  'account:addVaults': {
    input: z.object({ vaultIds: z.array(configId).min(1).max(200) }).strict(),
    output: null as unknown as { added: VaultView[]; needFolder: DirectoryVaultView[] },
    whileLocked: false,
  },
  /**
   * "Connect the drive that holds 'USB backup'": opens the repository in that folder, and refuses
   * one whose repository id is not the directory's.
   */
  'account:connectDrive': {
    input: z.object({ vaultId: configId, path: filePath }).strict(),
    output: null as unknown as VaultView,
    whileLocked: false,
  },
  /**
   * "Continue laptop's backups on this computer": the other computer's vaults are added and its
   * items and schedules become this computer's, each folder mapped by `pathMap`. A path that does
   * not exist here and is not mapped comes back in `missingPaths`, and nothing is taken until every
   * one is mapped. With `revokeOld`, the old computer's device, profile and device wrap end.
   */
  'account:takeOver': {
    input: z
      .object({
        computerId: z.string().regex(/^[0-9a-f]{32}$/, 'Not a computer id.'),
        pathMap: z.array(z.object({ from: filePath, to: filePath }).strict()).max(500),
        revokeOld: z.boolean(),
        /** Ending another computer is asked like any account change: the password and, when on, a code. */
        password: enteredPassword.optional(),
        ...secondFactor,
      })
      .strict()
      .refine((v) => !v.revokeOld || v.password !== undefined, {
        message: 'Enter your password to stop backups from the other computer.',
        path: ['password'],
      }),
    output: null as unknown as { items: ProtectedItemView[]; missingPaths: string[] },
    whileLocked: false,
  },

  /**
   * "Start fresh" after an administrator's reset when nothing opens the account's key: a new key
   * and a new account recovery kit (pending, as at the first unlock); the password and a new code
   * again. The old vaults stay on the server, locked, and open again with the old recovery kit.
   */
  'account:startFresh': {
    input: z.object({ password: enteredPassword, ...secondFactor }).strict(),
    output: null as unknown as AccountKeyView,
    whileLocked: false,
  },
  /** The account's vaults that do not open with its current key (made before it started fresh): listed, never deleted. */
  'account:lockedVaults': {
    input: z.undefined(),
    output: null as unknown as { vaults: LockedVaultView[] },
    whileLocked: false,
  },
  /**
   * An earlier account recovery kit found again (after "start fresh"): the locked account-storage
   * vaults it opens are added here; `drives` names the drive vaults, which open with "Open a drive
   * with a recovery key" and the same kit.
   */
  'account:openLockedVaults': {
    input: z.object({ recoveryKey: recoveryKeyInput }).strict(),
    /** `failed`: the vaults that did not open (each with why); the others are added all the same. */
    output: null as unknown as {
      added: VaultView[];
      drives: string[];
      failed?: { vaultId: string; reason: string }[];
    },
    whileLocked: false,
  },
  /** A declined "This account's server moved", offered again (it is not asked at every unlock once declined). */
  'account:askServerMoveAgain': {
    input: z.undefined(),
    output: null as unknown as AccountKeyView,
    whileLocked: false,
  },

  /** The native picker in Electron; the harness answers { supported: false } and the form takes a typed path. */
  'dialog:choosePath': {
    input: z
      .object({
        purpose: z.enum(['folder', 'file-or-folder', 'save-file']),
        title: z.string().max(200),
        defaultPath: z.string().max(4096).optional(),
      })
      .strict(),
    output: null as unknown as { supported: boolean; paths: string[] },
    whileLocked: false,
  },
  'shell:showInFolder': {
    input: z.object({ path: filePath }).strict(),
    output: null as unknown as { shown: boolean },
    whileLocked: false,
  },
} as const;

export type Channel = keyof typeof channels;
export type ChannelInput<C extends Channel> = z.input<(typeof channels)[C]['input']>;
export type ChannelOutput<C extends Channel> = (typeof channels)[C]['output'];

/** Events main sends to the renderer. */
export const events = {
  /** The app was locked (idle, suspend, screen lock, session ended on the server); the renderer
   * is about to be reloaded. */
  onLocked: 'event:locked',
  /** A running job's progress (throttled); sent only while unlocked. */
  onJobProgress: 'event:job-progress',
  /** A job was queued, started or ended; sent only while unlocked. */
  onJobChanged: 'event:job-changed',
} as const;
export type EventName = keyof typeof events;
export interface EventPayloads {
  onLocked: { reason: LockReason };
  onJobProgress: JobProgress;
  onJobChanged: JobRecord;
}

/** Method name on window.api for each channel: 'auth:unlock' -> 'authUnlock'. */
type Camel<S extends string> = S extends `${infer A}:${infer B}` ? `${A}${Capitalize<B>}` : S;
export type MethodName<C extends Channel> = Camel<C>;
export function methodName<C extends Channel>(channel: C): MethodName<C> {
  const [a, b] = channel.split(':') as [string, string];
  return `${a}${b.charAt(0).toUpperCase()}${b.slice(1)}` as MethodName<C>;
}

/** The renderer's `window.api`, computed from the contract so it cannot drift. */
export type DesktopApi = {
  [C in Channel as MethodName<C>]: ChannelInput<C> extends undefined
    ? () => Promise<Result<ChannelOutput<C>>>
    : (input: ChannelInput<C>) => Promise<Result<ChannelOutput<C>>>;
} & {
  [E in EventName]: (listener: (payload: EventPayloads[E]) => void) => () => void;
};
