/**
 * Turns what the engine throws into an outcome a person can read: a sentence in plain words and a
 * machine-readable errorCode. Engine messages are written for the command line; the common failures
 * (wrong password, no vault there, folder not empty, locked) get the desktop's own words here, and so
 * do account storage's own: the device token refused (401), the quota full (507), the server
 * unreachable. Those are told apart by the engine's code and HTTP status (src-engine/storage/http.ts).
 */
import { EngineError } from '../../src-engine/index';
import type { JobOutcome, JobRequest } from '../../src-shared/job-protocol';
import type { EngineErrorCode } from '../services/backup/engine-runner';
import { emptyOutcome } from '../services/backup/engine-runner';
import { accountRepositoryParts, repoPlace } from '../services/backup/repo-location';

const CODES: Record<EngineError['code'], EngineErrorCode | 'cancelled'> = {
  WRONG_PASSWORD: 'wrong_password',
  NO_REPOSITORY: 'not_a_repository',
  REPOSITORY_EXISTS: 'already_exists',
  LOCKED: 'locked',
  NOT_FOUND: 'not_found',
  DISK_FULL: 'disk_full',
  QUOTA: 'storage_full',
  UNAUTHORIZED: 'unauthorized',
  UNREACHABLE: 'unreachable',
  CORRUPT: 'corrupt',
  INVALID_ARGUMENT: 'invalid_argument',
  IO: 'io',
  CANCELLED: 'cancelled',
};

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

function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const first = t[0]!.toUpperCase() + t.slice(1);
  return /[.!?)]$/.test(first) ? first : `${first}.`;
}

export interface Failure {
  status: 'failed' | 'cancelled';
  errorCode: EngineErrorCode | null;
  message: string;
}

/** Account storage's own failures, in words that name the server; null for the others. */
function accountFailure(
  err: EngineError,
  repo: Extract<JobRequest['repo'], { kind: 'account' }>,
): Failure | null {
  const { origin } = accountRepositoryParts(repo.url);
  if (err.code === 'QUOTA') {
    return {
      status: 'failed',
      errorCode: 'storage_full',
      message:
        `Your account storage on ${origin} is full: the server refused more data (the account's quota, or ` +
        "the server's disk). Nothing already stored was lost. Keep fewer backups (a retention policy), " +
        "or ask the server's administrator for more space.",
    };
  }
  if (err.code === 'UNAUTHORIZED' && err.status === 401) {
    return {
      status: 'failed',
      errorCode: 'unauthorized',
      message:
        `The account server ${origin} refused this computer's device token: it was revoked (in the web ` +
        "panel's devices) or the account's password was changed. Unlock Strongroom to sign in again; " +
        'backups to account storage run again after that.',
    };
  }
  if (err.code === 'UNREACHABLE') {
    const cause = err.cause instanceof Error ? err.cause.message : undefined;
    return {
      status: 'failed',
      errorCode: 'unreachable',
      message:
        `Cannot reach the account server ${origin}${cause ? ` (${cause})` : ''}. Check the connection ` +
        'and that the server is running; the next scheduled run tries again.',
    };
  }
  return null;
}

/** What went wrong, in words that name the vault's location; never contains the password or token. */
export function describeFailure(err: unknown, request: JobRequest): Failure {
  const at = repoPlace(request.repo);
  if (err instanceof EngineError && request.repo.kind === 'account') {
    const own = accountFailure(err, request.repo);
    if (own) return own;
  }
  if (err instanceof EngineError) {
    const code = CODES[err.code];
    switch (code) {
      case 'cancelled':
        return { status: 'cancelled', errorCode: null, message: CANCELLED[request.op] ?? 'Cancelled.' };
      case 'wrong_password':
        return {
          status: 'failed',
          errorCode: code,
          message: `Wrong password: it does not open the vault ${at}.`,
        };
      case 'not_a_repository':
        return {
          status: 'failed',
          errorCode: code,
          message:
            request.repo.kind === 'local'
              ? `There is no Strongroom vault ${at} (the folder is missing or holds something else).`
              : `There is no Strongroom vault ${at} (it was never created there, or holds something else).`,
        };
      case 'already_exists':
        return {
          status: 'failed',
          errorCode: code,
          message:
            request.repo.kind === 'local'
              ? `${request.repo.path} is not empty: choose an empty folder for a new vault, or open the vault that is there.`
              : `There is already a vault ${at}: choose another repository name for a new vault, or open the one that is there.`,
        };
      case 'locked':
        return {
          status: 'failed',
          errorCode: code,
          message: `The vault ${at} is in use by another job or computer (${err.message.replace(/^repository is locked:?\s*/, '')}). Try again when it has finished.`,
        };
      default:
        return { status: 'failed', errorCode: code, message: sentence(err.message) };
    }
  }
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  if (errno && ERRNO_WORDS[errno]) {
    const p = (err as NodeJS.ErrnoException).path;
    return {
      status: 'failed',
      errorCode: errno === 'ENOSPC' || errno === 'EDQUOT' ? 'disk_full' : 'io',
      message: sentence(`${p ? `${p}: ` : ''}${ERRNO_WORDS[errno]}`),
    };
  }
  const msg = err instanceof Error ? err.message : String(err);
  return {
    status: 'failed',
    errorCode: 'internal',
    message: sentence(`Unexpected error in the job: ${msg}`),
  };
}

export function failureOutcome(f: Failure, counts: Partial<JobOutcome> = {}): JobOutcome {
  return { ...emptyOutcome(f.status, f.message, f.errorCode), ...counts };
}
