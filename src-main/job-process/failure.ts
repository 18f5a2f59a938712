/**
 * Turns what the engine throws into an outcome a person can read: the engine's code (or the job
 * process's own: INTERNAL) and a sentence in plain words. Engine messages are written for the command
 * line; WORDS below is the one table that gives each code the desktop's words, naming the vault's
 * place, and for account storage the server (its token refused, its quota full in its own words, the
 * server unreachable). Nothing here reads an engine message to find out what went wrong.
 */
import { EngineError } from '../../src-engine/index';
import type { EngineErrorCode } from '../../src-shared/engine-records';
import {
  emptyOutcome,
  type JobErrorCode,
  type JobOutcome,
  type JobRequest,
} from '../../src-shared/job-protocol';
import { accountRepositoryParts, repoPlace } from '../../src-shared/repo-location';

const CANCELLED: Partial<Record<JobRequest['op'], string>> = {
  backup: 'Backup cancelled; no new backup was saved (what was already stored is reused next time).',
  restore: 'Restore cancelled; the files restored so far were kept.',
  verify: 'Verify cancelled.',
  retention: 'Retention cancelled; nothing more was removed.',
};

const ERRNO_WORDS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'it does not exist',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the drive is read-only',
  ENOTDIR: 'a part of the path is not a folder',
  EIO: 'the drive reported an input/output error',
};

/** A storage server's own words are shown, but never at length. */
const MAX_SERVER_WORDS = 300;

function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const first = t[0]!.toUpperCase() + t.slice(1);
  return /[.!?)]$/.test(first) ? first : `${first}.`;
}

/** The server's origin, for an account repository. */
function serverOf(repo: JobRequest['repo']): string | null {
  return repo.kind === 'account' ? accountRepositoryParts(repo.url).origin : null;
}

type Words = (err: EngineError, request: JobRequest) => string;

/** The engine's message as a sentence: for codes whose engine words already name the file and the cause. */
const engineWords: Words = (err) => sentence(err.message);

/** What each code means to a person. CANCELLED is not a failure (see describeFailure). */
const WORDS: Record<Exclude<EngineErrorCode, 'CANCELLED'>, Words> = {
  WRONG_PASSWORD: (_err, r) => `Wrong password: it does not open the vault ${repoPlace(r.repo)}.`,
  NO_REPOSITORY: (_err, r) =>
    r.repo.kind === 'local'
      ? `There is no Strongroom vault ${repoPlace(r.repo)} (the folder is missing or holds something else).`
      : `There is no Strongroom vault ${repoPlace(r.repo)} (it was never created there, or holds something else).`,
  REPOSITORY_EXISTS: (_err, r) =>
    r.repo.kind === 'local'
      ? `${r.repo.path} is not empty: choose an empty folder for a new vault, or open the vault that is there.`
      : `There is already a vault ${repoPlace(r.repo)}: choose another repository name for a new vault, or open the one that is there.`,
  LOCKED: (_err, r) =>
    `The vault ${repoPlace(r.repo)} is in use by another job or computer. Try again when it has finished.`,
  QUOTA: (err, r) => {
    const said = err.serverWords?.slice(0, MAX_SERVER_WORDS);
    return (
      `Your account storage on ${serverOf(r.repo) ?? 'the server'} is full: the server refused more data` +
      `${said ? ` ("${said}")` : ''}. Nothing already stored was lost. Keep fewer backups (a retention ` +
      "policy), or ask the server's administrator for more space."
    );
  },
  UNAUTHORIZED: (err, r) =>
    err.status === 403
      ? sentence(err.message)
      : `The account server ${serverOf(r.repo) ?? ''} refused this computer's device token: it was revoked (in the web ` +
        "panel's devices) or the account's password was changed. Unlock Strongroom to sign in again; " +
        'backups to account storage run again after that.',
  UNREACHABLE: (err, r) => {
    const cause = err.cause instanceof Error ? err.cause.message : undefined;
    return (
      `Cannot reach the account server ${serverOf(r.repo) ?? ''}${cause ? ` (${cause})` : ''}. Check the connection ` +
      'and that the server is running; the next scheduled run tries again.'
    );
  },
  NOT_FOUND: engineWords,
  DISK_FULL: engineWords,
  CORRUPT: engineWords,
  INVALID_ARGUMENT: engineWords,
  IO: engineWords,
};

export interface Failure {
  status: 'failed' | 'cancelled';
  errorCode: JobErrorCode | null;
  message: string;
}

/** What went wrong, in words that name the vault's location; never contains the password or token. */
export function describeFailure(err: unknown, request: JobRequest): Failure {
  if (err instanceof EngineError) {
    if (err.code === 'CANCELLED') {
      return { status: 'cancelled', errorCode: null, message: CANCELLED[request.op] ?? 'Cancelled.' };
    }
    return { status: 'failed', errorCode: err.code, message: WORDS[err.code](err, request) };
  }
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  if (errno && ERRNO_WORDS[errno]) {
    const p = (err as NodeJS.ErrnoException).path;
    return {
      status: 'failed',
      errorCode: errno === 'ENOSPC' || errno === 'EDQUOT' ? 'DISK_FULL' : 'IO',
      message: sentence(`${p ? `${p}: ` : ''}${ERRNO_WORDS[errno]}`),
    };
  }
  const msg = err instanceof Error ? err.message : String(err);
  return {
    status: 'failed',
    errorCode: 'INTERNAL',
    message: sentence(`Unexpected error in the job: ${msg}`),
  };
}

export function failureOutcome(f: Failure, counts: Partial<JobOutcome> = {}): JobOutcome {
  return { ...emptyOutcome(f.status, f.message, f.errorCode), ...counts };
}
