/**
 * Messages between main and its catalogue worker thread (worker-entry.ts), which holds the CatalogueReaders
 * so that no catalogue query runs on main's event loop. One request, one answer, matched by id;
 * errors cross as data and keep their kind, because the service treats them differently: a missing
 * or damaged catalogue (CatalogueUnusableError), a person's mistake (ServiceError), anything else
 * (an SQLite error while reading: the file is damaged).
 */
import type { IpcErrorCode } from '../../src-shared/ipc-contract';
import { CatalogueUnusableError } from './catalogue-file';
import type { CatalogueReader } from './catalogue-reader';
import type { SearchPattern } from './search-pattern';
import { ServiceError } from '../services/service-error';

/** A question about one catalogue file; the op names the CatalogueReader method that answers it. */
export type CatalogueQuery =
  | { op: 'search'; pattern: SearchPattern; limit: number }
  | { op: 'versions'; itemId: string | null; path: string }
  | { op: 'diff'; fromSnapshotId: string; toSnapshotId: string; limit: number }
  | { op: 'info' };

export type CatalogueAnswer<Q extends CatalogueQuery> = ReturnType<CatalogueReader[Q['op']]>;

/** The query answered by the reader's method of that name. */
export function answerQuery(reader: CatalogueReader, query: CatalogueQuery): unknown {
  switch (query.op) {
    case 'search':
      return reader.search(query.pattern, query.limit);
    case 'versions':
      return reader.versions(query.itemId, query.path);
    case 'diff':
      return reader.diff(query.fromSnapshotId, query.toSnapshotId, query.limit);
    case 'info':
      return reader.info();
  }
}

export type ToCatalogueWorker =
  | { t: 'query'; id: number; file: string; query: CatalogueQuery }
  /** Forget the reader of this file (the job process replaced it, or the vault is gone). */
  | { t: 'close'; file: string };

export type FromCatalogueWorker =
  { t: 'answer'; id: number; value: unknown } | { t: 'failed'; id: number; error: WireError };

export type WireError =
  | { kind: 'unusable'; reason: CatalogueUnusableError['reason']; message: string }
  | { kind: 'service'; code: IpcErrorCode; message: string }
  | { kind: 'other'; message: string };

/** The worker's start data. */
export interface CatalogueWorkerData {
  /**
   * Tests only: an Int32Array's memory. While element 0 is 0, each query waits (blocking the
   * worker's thread, as a long query does) before it runs; element 1 counts the queries waiting.
   */
  gate?: SharedArrayBuffer;
}

export function toWireError(error: unknown): WireError {
  if (error instanceof CatalogueUnusableError) {
    return { kind: 'unusable', reason: error.reason, message: error.message };
  }
  if (error instanceof ServiceError) return { kind: 'service', code: error.code, message: error.message };
  return { kind: 'other', message: error instanceof Error ? error.message : String(error) };
}

export function fromWireError(wire: WireError): Error {
  switch (wire.kind) {
    case 'unusable':
      return new CatalogueUnusableError(wire.reason, wire.message);
    case 'service':
      return new ServiceError(wire.code, wire.message);
    default:
      return new Error(wire.message);
  }
}
