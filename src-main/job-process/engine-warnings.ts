/**
 * The engine reports each problem with a path as a record (kind, path, reason; src-shared/engine-records.ts).
 * The job log wants the path and a message apart, and the outcome wants to know whether the problem
 * left a file out.
 */
import type { EngineProblem } from '../../src-shared/engine-records';

export interface FileProblem {
  path: string;
  reason: string;
  /** The file (or folder) is missing from the snapshot or the restore; false for notes, metadata that
   * could not be set, and a file stored while it changed. */
  fileMissing: boolean;
  /** Only said: nothing is wrong with the file (a socket skipped by design). */
  note: boolean;
}

export function fileProblem(p: EngineProblem): FileProblem {
  return {
    path: p.path,
    reason: p.kind === 'not-restored' ? `not restored (${p.reason})` : p.reason,
    fileMissing: p.kind === 'not-stored' || p.kind === 'not-restored',
    note: p.kind === 'note',
  };
}
