import type { ErrorCode } from '../../src-shared/http-api';

/** A refusal a client can act on; the HTTP layer maps `code` to a status and ApiError body. */
export class ServiceError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}
