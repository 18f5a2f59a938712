import type { IpcError, IpcErrorCode } from '../../src-shared/ipc-contract';

/**
 * An error a person can act on, carried as data to the renderer. Messages never contain secrets:
 * they are written here or come from the account server's own words.
 */
export class ServiceError extends Error {
  constructor(
    readonly code: IpcErrorCode,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ServiceError';
  }

  toIpcError(): IpcError {
    return this.retryAfterSeconds === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, retryAfterSeconds: this.retryAfterSeconds };
  }
}

export const lockedError = () => new ServiceError('locked', 'Strongroom is locked. Unlock it first.');
