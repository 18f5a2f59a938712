/**
 * The message protocol between main and the job process (Electron's utilityProcess in the app, a
 * forked Node process in the harness and tests), which runs the engine so that no backup ever runs
 * in main's event loop. Every message is validated with these schemas on arrival, both ways.
 *
 * One job process runs one request at a time and exits when told to (or when its parent goes): a
 * job's process gets one request, a repository session's process many, one after another. Main
 * sends `run`; the process answers with `progress` and `log` messages and exactly one `done` (or
 * dies: main then marks the job Failed). `cancel` asks it to stop cleanly (the engine's AbortSignal).
 * The repository password crosses this boundary (main -> job process only) because the engine
 * needs it; it never appears in any message from the job process and never in a log. So does, for
 * `accountSlot` only, the account's vault slot key (derived from the account master key, which
 * itself never leaves main).
 */
import { z } from 'zod';
import { base64urlOf, keyId, vaultRecord } from './account-keys';
import { ENGINE_ERROR_CODES, engineProblem } from './engine-records';
import { engineEnvelope } from './repository-key-files';

export const JOB_PROTOCOL_VERSION = 1;

/**
 * Where a repository lives: a local folder, or account storage on the account server (restic's REST
 * protocol; `url` is the repository's base, http(s)://host/storage/<username>/<repository>/, and
 * `token` the device token, sent as a Bearer header and never logged).
 */
export const repoLocation = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local'), path: z.string().min(1).max(4096) }).strict(),
  z
    .object({
      kind: z.literal('account'),
      url: z
        .string()
        .url()
        .max(4096)
        .refine((u) => /^https?:\/\//.test(u), 'http or https only'),
      token: z.string().min(1).max(4096),
    })
    .strict(),
]);
export type RepoLocation = z.infer<typeof repoLocation>;

const secret = z.string().min(1).max(4096);
const snapshotId = z.string().regex(/^[0-9a-f]{8,64}$/);

export const keepPolicy = z
  .object({
    last: z.number().int().min(0).optional(),
    hourly: z.number().int().min(0).optional(),
    daily: z.number().int().min(0).optional(),
    weekly: z.number().int().min(0).optional(),
    monthly: z.number().int().min(0).optional(),
    yearly: z.number().int().min(0).optional(),
  })
  .strict();

export type KeepPolicy = z.infer<typeof keepPolicy>;

/** What a job process can be asked to do. Long jobs and short queries share one shape. */
export const jobRequest = z.discriminatedUnion('op', [
  /** Create a new repository (vault "new") and answer its id. */
  z.object({ op: z.literal('init'), repo: repoLocation, password: secret }).strict(),
  /** Open an existing repository (vault "existing", or a password check) and answer its id. */
  z.object({ op: z.literal('open'), repo: repoLocation, password: secret }).strict(),
  z
    .object({
      op: z.literal('backup'),
      repo: repoLocation,
      password: secret,
      paths: z.array(z.string().min(1)).min(1),
      excludes: z.array(z.string()),
      /** "item:<item id>", so a vault shared by several items keeps their snapshots apart. */
      tags: z.array(z.string()),
      host: z.string().min(1),
      /**
       * Phases run in the same process right after a backup that saved a snapshot, with the
       * repository already open: the item's retention policy (forget, then prune), then the vault's
       * file catalogue brought up to date. A phase that fails leaves the backup saved (a warning).
       */
      retention: z.object({ tag: z.string(), policy: keepPolicy, prune: z.boolean() }).strict().optional(),
      catalogueFile: z.string().min(1).max(4096).optional(),
    })
    .strict(),
  z
    .object({
      op: z.literal('restore'),
      repo: repoLocation,
      password: secret,
      snapshotId,
      /** Snapshot paths to restore with everything under them; empty: everything. */
      include: z.array(z.string()),
      /** Absolute folder; "/" with original paths restores to the original location. */
      target: z.string().min(1),
      /**
       * A folder of the snapshot whose contents go straight into `target` (absolute). The job widens
       * it to a folder holding every one of the snapshot's paths, so nothing is left out.
       */
      stripPrefix: z
        .string()
        .min(1)
        .max(4096)
        .refine((p) => p.startsWith('/') && !p.split('/').includes('..'), 'an absolute path')
        .optional(),
      conflict: z.enum(['overwrite', 'skip', 'keep-both']),
      /**
       * "Save a copy as…": `include` is exactly one file, written to this absolute file path (not
       * under its snapshot path); `target` is then the file's folder. Conflict rules apply to it.
       */
      saveAs: z.string().min(1).max(4096).optional(),
      /**
       * A restore into a folder first checks that the selection fits there: `stop` (the default) ends
       * the job before anything is written when it does not; `restore-what-fits` restores what fits
       * and names each file that did not (the person chose it).
       */
      whenTooLittleSpace: z.enum(['stop', 'restore-what-fits']).optional(),
    })
    .strict(),
  z.object({ op: z.literal('verify'), repo: repoLocation, password: secret, readData: z.boolean() }).strict(),
  z
    .object({
      op: z.literal('retention'),
      repo: repoLocation,
      password: secret,
      /** Only snapshots with this tag are considered ("item:<id>"). */
      tag: z.string(),
      policy: keepPolicy,
      prune: z.boolean(),
    })
    .strict(),
  /**
   * Snapshots in the repository, newest first, optionally only those with a tag. Totals of snapshots
   * whose summary lacks them are walked once and kept in `totalsCacheDir` (one file per repository).
   */
  z
    .object({
      op: z.literal('snapshots'),
      repo: repoLocation,
      password: secret,
      tag: z.string().optional(),
      totalsCacheDir: z.string().min(1).max(4096).optional(),
    })
    .strict(),
  /**
   * Brings the vault's local file catalogue (issue 9; a SQLite file in the app's data directory) up
   * to date with the repository: catalogues snapshots it lacks (oldest first), drops those no
   * longer in the repository; `rebuild` empties it first (the "Rebuild catalogue" action, or a
   * catalogue found damaged). The job process writes the file; main only reads it.
   */
  z
    .object({
      op: z.literal('catalogue'),
      repo: repoLocation,
      password: secret,
      catalogueFile: z.string().min(1).max(4096),
      rebuild: z.boolean(),
    })
    .strict(),
  /**
   * The vault's entry in its own repository: an account slot (the master key wrapped with the AMK's
   * vault slot key, the directory record sealed beside it), written unless a slot of this key already
   * holds this very record (an older record's slot is replaced); and, for a folder vault, the drive
   * envelope, written only over a lower generation or one whose check does not verify. Carries the
   * vault slot key and, with an envelope, the envelope MAC key (both HKDF of the AMK), never the AMK,
   * so the job process can seal slots and envelopes of this account and nothing else.
   */
  z
    .object({
      op: z.literal('accountSlot'),
      repo: repoLocation,
      password: secret,
      slotKey: base64urlOf(32),
      keyId,
      record: vaultRecord,
      envelope: engineEnvelope.nullable(),
      envelopeMacKey: base64urlOf(32).nullable(),
    })
    .strict(),
  /**
   * Re-key: a password slot for `newPassword` is added, then the slot `password` opened is removed
   * (other slots stay). Answers the repository id.
   */
  z
    .object({
      op: z.literal('rekey'),
      repo: repoLocation,
      password: secret,
      newPassword: secret,
      /**
       * One half only: `add` adds the slot for `newPassword` and keeps the old one; `remove` removes
       * the slot `password` opens, and only once `newPassword` opens the repository through another.
       */
      step: z.enum(['add', 'remove']).optional(),
    })
    .strict(),
  /**
   * A folder vault opened with its account's recovery key (text, as typed) or, where its drive
   * envelope carries the password wrap, that account's password: the envelope gives the AMK, which
   * opens the account slot and its vault record; then a password slot for `newPassword` (made by
   * main) is added, so this computer opens it like any vault. Answers the record's public part.
   */
  z
    .object({
      op: z.literal('openDrive'),
      repo: repoLocation,
      recoveryKey: secret.optional(),
      accountPassword: secret.optional(),
      newPassword: secret,
      /** The unlocked account's key id: a drive whose envelope is that key's adds nothing (`refused`). */
      unlockedKeyId: z.string().max(128).optional(),
      /** The repository ids of the vaults already here: such a drive adds nothing (`refused`). */
      repositoryIdsHere: z.array(z.string().max(128)).max(10_000).optional(),
    })
    .strict(),
  /** One folder level of a snapshot (lazy browsing). */
  z
    .object({
      op: z.literal('ls'),
      repo: repoLocation,
      password: secret,
      snapshotId,
      path: z.string().min(1),
    })
    .strict(),
]);
export type JobRequest = z.infer<typeof jobRequest>;
export type JobOp = JobRequest['op'];

export const toJobProcess = z.discriminatedUnion('type', [
  z.object({ type: z.literal('run'), requestId: z.string().min(1), request: jobRequest }).strict(),
  z.object({ type: z.literal('cancel'), requestId: z.string().min(1) }).strict(),
  /** Finish nothing more and exit. */
  z.object({ type: z.literal('exit') }).strict(),
]);
export type ToJobProcess = z.infer<typeof toJobProcess>;

export const progressMessage = z
  .object({
    phase: z.enum(['scan', 'backup', 'restore', 'verify', 'retention', 'catalogue', 'finish']),
    filesDone: z.number().nonnegative(),
    filesTotal: z.number().nonnegative(),
    bytesDone: z.number().nonnegative(),
    bytesTotal: z.number().nonnegative(),
    currentFile: z.string().nullable(),
    rate: z.number().nonnegative(),
    eta: z.number().nonnegative().nullable(),
  })
  .strict();

export const snapshotInfo = z
  .object({
    id: snapshotId,
    time: z.string(),
    host: z.string(),
    paths: z.array(z.string()),
    tags: z.array(z.string()),
    /** Files in the snapshot and the sum of their sizes (from its summary, or its trees when it has none). */
    files: z.number().nonnegative(),
    bytes: z.number().nonnegative(),
    partial: z.boolean(),
  })
  .strict();
export type SnapshotInfo = z.infer<typeof snapshotInfo>;

export const lsEntry = z
  .object({
    name: z.string(),
    path: z.string(),
    type: z.enum(['file', 'dir', 'symlink', 'other']),
    size: z.number().nonnegative().nullable(),
    mtime: z.string().nullable(),
  })
  .strict();
export type LsEntry = z.infer<typeof lsEntry>;

/**
 * Why a job failed: the engine's error codes (src-shared/engine-records.ts), and the two that only
 * the job process or main can give: the process died before it answered, or a bug.
 */
export const JOB_ERROR_CODES = [...ENGINE_ERROR_CODES, 'PROCESS_CRASHED', 'INTERNAL'] as const;
export const jobErrorCode = z.enum(JOB_ERROR_CODES);
export type JobErrorCode = z.infer<typeof jobErrorCode>;

const repositoryIdValue = { repositoryId: z.string() };

/** A phase run inside a backup job after the snapshot was saved (its log lines are in the job's log). */
export const backupPhase = z
  .object({
    phase: z.enum(['retention', 'catalogue']),
    status: z.enum(['success', 'failed', 'cancelled']),
    /** What it did, or why it failed, in words a person reads. */
    message: z.string(),
  })
  .strict();
export type BackupPhase = z.infer<typeof backupPhase>;

/** How many keep-both renames a restore's answer names (it counts them all). */
export const KEPT_BOTH_SHOWN = 5;

/** A file restored beside the one that was there: where it was to go, and the path it got. */
export const keptBothEntry = z.object({ path: z.string(), restoredAs: z.string() }).strict();

/** A restore into a folder that stopped before writing anything: what the selection needs, and the room. */
export const restoreSpace = z
  .object({ neededBytes: z.number().nonnegative(), freeBytes: z.number().nonnegative() })
  .strict();

/** A request's own answer, keyed by its op, so a caller reads exactly the shape its op gives. */
export const jobValue = z.discriminatedUnion('op', [
  z.object({ op: z.literal('init'), ...repositoryIdValue }).strict(),
  z.object({ op: z.literal('open'), ...repositoryIdValue }).strict(),
  z.object({ op: z.literal('rekey'), ...repositoryIdValue }).strict(),
  z
    .object({
      op: z.literal('backup'),
      filesNew: z.number().nonnegative(),
      filesChanged: z.number().nonnegative(),
      filesUnmodified: z.number().nonnegative(),
      phases: z.array(backupPhase),
    })
    .strict(),
  /** Where the files went, and the first few of those a keep-both restore wrote under a new name. */
  z
    .object({
      op: z.literal('restore'),
      target: z.string(),
      keptBoth: z.array(keptBothEntry).max(KEPT_BOTH_SHOWN),
      keptBothCount: z.number().int().nonnegative(),
      tooLittleSpace: restoreSpace.optional(),
    })
    .strict(),
  z.object({ op: z.literal('snapshots'), snapshots: z.array(snapshotInfo) }).strict(),
  z.object({ op: z.literal('ls'), entries: z.array(lsEntry) }).strict(),
  z
    .object({ op: z.literal('retention'), forgotten: z.number(), kept: z.number(), prunedBytes: z.number() })
    .strict(),
  /** What was written (`kept`: it was there already; `none`: no envelope asked). */
  z
    .object({
      op: z.literal('accountSlot'),
      ...repositoryIdValue,
      accountSlot: z.enum(['written', 'kept']),
      envelope: z.enum(['written', 'kept', 'none']),
    })
    .strict(),
  /** Snapshots added and dropped, and how many the catalogue now holds. */
  z
    .object({ op: z.literal('catalogue'), added: z.number(), dropped: z.number(), catalogued: z.number() })
    .strict(),
  /** The vault record's public part (never its password). */
  z
    .object({
      op: z.literal('openDrive'),
      ...repositoryIdValue,
      vaultId: z.string(),
      name: z.string(),
      createdAt: z.string(),
      /** The key id of the account key the drive opened with. */
      keyId: z.string().optional(),
      /** Nothing was added: the drive is the unlocked account's own, or its vault is already here. */
      refused: z.enum(['own-account', 'already-here']).optional(),
    })
    .strict(),
]);
export type JobValue = z.infer<typeof jobValue>;

/** The outcome of a request. Counts are those of JobRecord; `value` carries the op's own answer. */
export const jobOutcome = z
  .object({
    status: z.enum(['success', 'warning', 'failed', 'cancelled']),
    message: z.string(),
    /** Why it failed; null when it did not. */
    errorCode: jobErrorCode.nullable(),
    snapshotId: z.string().nullable(),
    filesTotal: z.number().nonnegative(),
    filesDone: z.number().nonnegative(),
    filesFailed: z.number().nonnegative(),
    bytesTotal: z.number().nonnegative(),
    bytesDone: z.number().nonnegative(),
    bytesAdded: z.number().nonnegative(),
    /** Backup: files new and changed since the parent snapshot (for the server's job report). */
    filesNew: z.number().nonnegative().optional(),
    filesChanged: z.number().nonnegative().optional(),
    value: jobValue.nullable(),
  })
  .strict();
export type JobOutcome = z.infer<typeof jobOutcome>;

/** An outcome with no counts: the base of failed and cancelled outcomes made outside the engine. */
export function emptyOutcome(
  status: JobOutcome['status'],
  message: string,
  errorCode: JobErrorCode | null,
): JobOutcome {
  return {
    status,
    message,
    errorCode,
    snapshotId: null,
    filesTotal: 0,
    filesDone: 0,
    filesFailed: 0,
    bytesTotal: 0,
    bytesDone: 0,
    bytesAdded: 0,
    value: null,
  };
}

/**
 * The answer of a successful request of `op`; throws when the outcome carries another op's answer
 * or none, which is a bug between main and the job process, never an empty answer.
 */
export function outcomeValue<Op extends JobValue['op']>(
  outcome: JobOutcome,
  op: Op,
): Extract<JobValue, { op: Op }> {
  const value = outcome.value;
  if (value?.op !== op) {
    throw new Error(`The job process answered ${value ? `a ${value.op}` : 'nothing'} to a ${op} request.`);
  }
  return value as Extract<JobValue, { op: Op }>;
}

export const fromJobProcess = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), protocol: z.literal(JOB_PROTOCOL_VERSION) }).strict(),
  z.object({ type: z.literal('progress'), requestId: z.string(), progress: progressMessage }).strict(),
  z
    .object({
      type: z.literal('log'),
      requestId: z.string(),
      level: z.enum(['info', 'warning', 'error']),
      path: z.string().nullable(),
      message: z.string().max(8192),
    })
    .strict(),
  /** One of the engine's problem records (a file not stored or not restored, metadata not set, a note). */
  z.object({ type: z.literal('problem'), requestId: z.string(), problem: engineProblem }).strict(),
  z.object({ type: z.literal('done'), requestId: z.string(), outcome: jobOutcome }).strict(),
]);
export type FromJobProcess = z.infer<typeof fromJobProcess>;
