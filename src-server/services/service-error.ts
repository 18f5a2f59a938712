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

/** Parses with a contract schema; a refusal is a bad_request carrying the schema's own words. */
export function parseOrThrow<T>(
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: Array<{ message: string }> } };
  },
  value: unknown,
): T {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new ServiceError('bad_request', result.error.issues[0]?.message ?? 'Invalid input.');
  return result.data;
}
