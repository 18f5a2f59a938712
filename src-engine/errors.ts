/** Errors the engine raises on purpose: each names what is wrong, and the CLI maps `code` to its message. */
import type { EngineErrorCode } from '../src-shared/engine-records';

export type { EngineErrorCode } from '../src-shared/engine-records';

export class EngineError extends Error {
  /** The HTTP status behind a storage server's refusal (401, 404, 507, ...), where there is one. */
  readonly status: number | undefined;
  /** What the storage server said with its refusal (its reply's text), where it said something. */
  readonly serverWords: string | undefined;

  constructor(
    readonly code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number; serverWords?: string },
  ) {
    super(message, options);
    this.name = 'EngineError';
    this.status = options?.status;
    this.serverWords = options?.serverWords;
  }
}

/** Authenticated decryption or a hash check failed: the bytes were changed or damaged. */
export class IntegrityError extends EngineError {
  constructor(
    readonly where: string,
    message: string,
  ) {
    super('CORRUPT', message);
    this.name = 'IntegrityError';
  }
}

/** Maps low-level I/O errors to messages a person can act on, keeping the path. */
export function describeIoError(err: unknown, action: string, path: string): EngineError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new EngineError(
      'DISK_FULL',
      `disk full while ${action} ${path}; nothing already stored was lost`,
      {
        cause: err,
      },
    );
  }
  if (code === 'ENOENT')
    return new EngineError('NOT_FOUND', `${path} does not exist (${action})`, { cause: err });
  if (code === 'EROFS')
    return new EngineError('IO', `${path} is on a read-only file system (${action})`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM') {
    return new EngineError('IO', `permission denied while ${action} ${path}`, { cause: err });
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new EngineError('IO', `${action} ${path} failed: ${msg}`, { cause: err });
}

/** The errno code of a file-system error (EACCES, ENOSPC), if it has one. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}
