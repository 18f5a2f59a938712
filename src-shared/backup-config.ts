/**
 * The one schema of what a person configures for backups: storage vaults, protected items (folders,
 * exclusions, schedule, retention, run conditions) and backup preferences. Validated on every load
 * and every save (main's BackupConfigStore); a hand-edited or invalid file is refused whole with a
 * message naming the field, never half-applied. Secrets (vault passwords) are never in here: they
 * live in the OS keychain under "vault:<vault id>".
 */
import { z } from 'zod';
// The field module alone: http-api's index imports this module (through the account keys' schemas).
import { repositoryName } from './http-api/fields';

export const BACKUP_CONFIG_VERSION = 1;

/** POSIX (/home/me), Windows drive (C:\\Users) or UNC (\\\\server\\share) paths; no node:path here, the renderer uses this too. */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

/** Ids are made by main (random), never typed by a person. */
export const configId = z.string().regex(/^[a-z0-9][a-z0-9-]{5,63}$/, 'Not a valid id.');
const isoTime = z.string().datetime({ offset: true });
const absolutePath = z
  .string()
  .min(1, 'Choose a folder.')
  .max(4096, 'That path is too long.')
  .refine((p) => !p.includes('\0'), 'A path cannot contain a NUL character.')
  .refine(isAbsolutePath, 'Use a full path (for example /home/me/Documents).');
const name = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `Give the ${what} a name.`)
    .max(80, `The ${what}'s name is at most 80 characters.`);

/** "HH:MM", 24-hour, local time. */
export const timeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Use a time such as 02:30 (24-hour clock).');

// ---- Storage vaults -------------------------------------------------------------------------

/** The owner's server when it is this computer's embedded account server, at whatever port it has now. */
export const THIS_COMPUTERS_SERVER = 'this-computer';

/**
 * The account whose directory a vault belongs to: its server's origin and the account's uid. The
 * directory sync, account slots, drive envelopes and the profile act on a vault only for this
 * account, so signing in to another account on this computer never hands it these vaults. Absent:
 * made before vaults had owners, or while the account's key was not available (`pendingOwner`).
 */
export const vaultOwner = z
  .object({
    server: z.union([z.literal(THIS_COMPUTERS_SERVER), z.string().url().max(2048)]),
    accountUid: z.string().regex(/^[0-9a-f]{32}$/, 'Not an account id.'),
  })
  .strict();
export type VaultOwner = z.infer<typeof vaultOwner>;

/**
 * The one account a vault without an owner may join: the account this computer was signed in to
 * when owners came, or the session's account when the vault was made while the account's key was
 * not available. Replaced by `owner` when that account claims it.
 */
export const pendingVaultOwner = z
  .object({
    server: z.union([z.literal(THIS_COMPUTERS_SERVER), z.string().url().max(2048)]),
    username: z.string().min(1).max(64),
  })
  .strict();
export type PendingVaultOwner = z.infer<typeof pendingVaultOwner>;

/** "Folder or drive": a local folder, a USB drive, a network mount. */
export const localVault = z
  .object({
    id: configId,
    type: z.literal('local'),
    name: name('vault'),
    path: absolutePath,
    /** The repository's id (its config id), to recognise the repository behind a path. */
    repositoryId: z.string().regex(/^[0-9a-f]{16,64}$/, 'Not a repository id.'),
    /** The repository password is kept in the OS keychain ("vault:<id>"); false: scheduled runs wait for an unlock. */
    passwordStored: z.boolean(),
    createdAt: isoTime,
    /**
     * The drive envelope also carries the account's password wrap (anyone with the drive can then
     * guess the password offline). Absent: on only for an account on the embedded local server.
     */
    passwordWrapOnDrive: z.boolean().optional(),
    /**
     * Opened with another account's recovery key (or password), not made by this account: whoever
     * holds that key can read what is backed up to it. The password wrap stays off unless the person
     * turns it on.
     */
    openedWithOtherAccountKey: z.literal(true).optional(),
    owner: vaultOwner.optional(),
    pendingOwner: pendingVaultOwner.optional(),
  })
  .strict();

/**
 * "Strongroom account storage": a repository kept by the account server the app signs in to, under
 * /storage/<username>/<repository>/ (restic's REST protocol). The repository password stays on this
 * computer (the server only ever holds encrypted bytes); the device token from the keychain
 * authenticates, so scheduled backups to it run while the app is locked. A vault belongs to the
 * server and account it was made with: runs refuse (and say so) when the app signs in elsewhere.
 */
export const accountVault = z
  .object({
    id: configId,
    type: z.literal('account'),
    name: name('vault'),
    /** The account server's base URL when the vault was made (as the lock service keeps it). */
    serverUrl: z.string().url().max(2048),
    /** The account's username on that server (the path's first segment). */
    username: z.string().min(1).max(64),
    /** The repository's name on the server. */
    repository: repositoryName,
    repositoryId: z.string().regex(/^[0-9a-f]{16,64}$/, 'Not a repository id.'),
    passwordStored: z.boolean(),
    createdAt: isoTime,
    owner: vaultOwner.optional(),
  })
  .strict();

export const vault = z.discriminatedUnion('type', [localVault, accountVault]);
export type Vault = z.infer<typeof vault>;
export type LocalVault = z.infer<typeof localVault>;
export type AccountVault = z.infer<typeof accountVault>;
export type VaultType = Vault['type'];

// ---- Protected items ------------------------------------------------------------------------

export const EXCLUDE_PRESETS = ['caches', 'temporary-files', 'node-modules', 'trash'] as const;
export type ExcludePreset = (typeof EXCLUDE_PRESETS)[number];
/** The engine's exclude patterns each preset stands for (same syntax as `backup --exclude`). */
export const EXCLUDE_PRESET_PATTERNS: Record<ExcludePreset, readonly string[]> = {
  caches: ['.cache', 'Cache', 'Caches', 'cache2', '__pycache__', '.npm/_cacache', 'CachedData'],
  'temporary-files': ['*.tmp', '*.temp', '*.swp', '~$*', '.~lock.*#', '*.part', '*.crdownload'],
  'node-modules': ['node_modules'],
  trash: ['.Trash', '.Trash-*', '.local/share/Trash', '$RECYCLE.BIN'],
};

export const WEEKDAYS = [0, 1, 2, 3, 4, 5, 6] as const; // 0 = Sunday, as Date#getDay
export const schedule = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('manual') }).strict(),
  z
    .object({
      kind: z.literal('hourly'),
      everyHours: z
        .number()
        .int('Every N hours: a whole number.')
        .min(1, 'Every N hours: at least 1.')
        .max(24, 'Every N hours: at most 24.'),
    })
    .strict(),
  z.object({ kind: z.literal('daily'), at: timeOfDay }).strict(),
  z
    .object({
      kind: z.literal('weekly'),
      days: z
        .array(z.number().int().min(0).max(6))
        .min(1, 'Choose at least one weekday.')
        .max(7)
        .refine((d) => new Set(d).size === d.length, 'Each weekday once.'),
      at: timeOfDay,
    })
    .strict(),
]);
export type Schedule = z.infer<typeof schedule>;

const keepCount = (what: string) =>
  z
    .number()
    .int(`Keep ${what}: a whole number.`)
    .min(0, `Keep ${what}: 0 or more.`)
    .max(100_000, `Keep ${what}: at most 100000.`)
    .optional();
export const retention = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('keep-all') }).strict(),
  z
    .object({
      mode: z.literal('policy'),
      keepLast: keepCount('last'),
      keepHourly: keepCount('hourly'),
      keepDaily: keepCount('daily'),
      keepWeekly: keepCount('weekly'),
      keepMonthly: keepCount('monthly'),
      keepYearly: keepCount('yearly'),
    })
    .strict()
    .refine(
      (p) =>
        [p.keepLast, p.keepHourly, p.keepDaily, p.keepWeekly, p.keepMonthly, p.keepYearly].some(
          (n) => n !== undefined && n > 0,
        ),
      'A retention policy must keep at least one backup (or choose "Keep everything").',
    ),
]);
export type Retention = z.infer<typeof retention>;

export const runConditions = z
  .object({
    /** Run a missed scheduled backup (asleep, switched off, locked out) as soon as possible. */
    catchUpMissed: z.boolean(),
    skipOnBattery: z.boolean(),
  })
  .strict();
export type RunConditions = z.infer<typeof runConditions>;

export const protectedItem = z
  .object({
    id: configId,
    name: name('protected item'),
    paths: z
      .array(absolutePath)
      .min(1, 'Choose at least one folder or file.')
      .max(1000)
      .refine((p) => new Set(p).size === p.length, 'Each folder or file once.'),
    /** Exclude patterns (engine syntax); presets are added to these at run time. */
    excludes: z
      .array(
        z
          .string()
          .trim()
          .min(1, 'An exclusion pattern cannot be empty.')
          .max(1024)
          .refine((p) => !p.includes('\0'), 'A pattern cannot contain a NUL character.'),
      )
      .max(1000),
    excludePresets: z.array(z.enum(EXCLUDE_PRESETS)).refine((p) => new Set(p).size === p.length),
    vaultId: configId,
    schedule,
    retention,
    conditions: runConditions,
    createdAt: isoTime,
  })
  .strict();
export type ProtectedItem = z.infer<typeof protectedItem>;

// ---- Preferences ------------------------------------------------------------------------------

export const backupPreferences = z
  .object({
    notifyOnSuccess: z.boolean(),
    /** Warn when an item has had no successful backup for this many days; 0 turns it off. */
    staleWarningDays: z.number().int().min(0).max(365),
    /** null: the default, on once any schedule exists. */
    startAtLogin: z.boolean().nullable(),
  })
  .strict();
export type BackupPreferences = z.infer<typeof backupPreferences>;
export const DEFAULT_BACKUP_PREFERENCES: BackupPreferences = {
  notifyOnSuccess: false,
  staleWarningDays: 3,
  startAtLogin: null,
};

// ---- The whole file -------------------------------------------------------------------------

export const backupConfig = z
  .object({
    version: z.literal(BACKUP_CONFIG_VERSION),
    vaults: z.array(vault).max(100),
    items: z.array(protectedItem).max(500),
    preferences: backupPreferences,
  })
  .strict()
  .superRefine((c, ctx) => {
    const vaultIds = new Set<string>();
    c.vaults.forEach((v, i) => {
      if (vaultIds.has(v.id))
        ctx.addIssue({ code: 'custom', path: ['vaults', i, 'id'], message: 'Duplicate vault id.' });
      vaultIds.add(v.id);
    });
    const itemIds = new Set<string>();
    c.items.forEach((item, i) => {
      if (itemIds.has(item.id))
        ctx.addIssue({ code: 'custom', path: ['items', i, 'id'], message: 'Duplicate item id.' });
      itemIds.add(item.id);
      if (!vaultIds.has(item.vaultId))
        ctx.addIssue({
          code: 'custom',
          path: ['items', i, 'vaultId'],
          message: 'No storage vault has this id.',
        });
    });
  });
export type BackupConfig = z.infer<typeof backupConfig>;
export const EMPTY_BACKUP_CONFIG: BackupConfig = {
  version: BACKUP_CONFIG_VERSION,
  vaults: [],
  items: [],
  preferences: DEFAULT_BACKUP_PREFERENCES,
};

/** "items[2].schedule.at: Use a time such as 02:30 (24-hour clock)." for the first problem found. */
export function describeConfigIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'The backup configuration is not valid.';
  const where = issue.path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
  return where ? `${where}: ${issue.message}` : issue.message;
}

export type ConfigParse = { ok: true; config: BackupConfig } | { ok: false; message: string };
export function parseBackupConfig(raw: unknown): ConfigParse {
  const parsed = backupConfig.safeParse(raw);
  return parsed.success
    ? { ok: true, config: parsed.data }
    : { ok: false, message: describeConfigIssue(parsed.error) };
}
