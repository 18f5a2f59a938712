/**
 * Where the bytes of the account storage live: a flat namespace of keys ('/'-separated paths)
 * over a local disk or an S3-compatible bucket. The protocol layer (routes/storage.ts) and the
 * object table decide what is stored; a store only keeps bytes, create-only and verified.
 */
import type { Readable } from 'node:stream';

export interface PutOptions {
  /** Exact byte count the body must have (the request's Content-Length). */
  size: number;
  /** Lower-case hex SHA-256 the body must have; omitted for files that are not content-addressed. */
  sha256?: string;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

export interface StoredObject {
  key: string;
  size: number;
}

export interface ObjectStore {
  /** For logs and the CLI: the folder or s3://bucket/prefix. */
  readonly description: string;
  /**
   * Writes the body to a temporary object, checks its size and hash, and only then gives it its
   * key, unless the key exists: an existing object is never replaced (ObjectExistsError).
   */
  putIfAbsent(key: string, body: Readable, opts: PutOptions): Promise<void>;
  /** The object's bytes, or the range of them; NotFoundError if there is none. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Size of the object, or null if there is none. */
  stat(key: string): Promise<{ size: number } | null>;
  /** Removes the object; removing a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** Every object under the prefix (for reindexing only: listings come from the object table). */
  list(prefix: string): AsyncIterable<StoredObject>;
  /** At start, before any upload: removes the temporary files a crash left; how many. */
  removeTemporary(): Promise<number>;
  /** At start: cleans what an upload of this key that never committed left in the store. */
  abandon(key: string): Promise<void>;
}

/** The words of a 507 for lack of server space, so nobody mistakes it for the account's quota. */
export const OUT_OF_SPACE =
  'The server is out of disk space (this is not your quota): try again later, or tell the administrator of the server. Reading still works.';

/**
 * The server's own disk is full: SQLite says SQLITE_FULL (a write that needed a new page), the
 * file system ENOSPC or EDQUOT. Told apart from other faults because the person can do something
 * about it (ask the administrator), and it is not their quota.
 */
export function isOutOfSpace(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT';
}

export class ObjectExistsError extends Error {
  /** `verified`: this upload's body was read and matched its size and hash before the name was found taken. */
  constructor(
    key: string,
    readonly verified = false,
  ) {
    super(`${key} already exists`);
    this.name = 'ObjectExistsError';
  }
}

export class ObjectNotFoundError extends Error {
  constructor(key: string) {
    super(`${key} does not exist`);
    this.name = 'ObjectNotFoundError';
  }
}

/** The body's SHA-256 or length is not what the request said: nothing was stored. */
export class BodyMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BodyMismatchError';
  }
}

/** The disk or the bucket refused for lack of space: nothing was stored. */
export class StoreFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreFullError';
  }
}
