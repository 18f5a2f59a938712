/**
 * The engine reports each problem with a file as one line, "<path>: <reason>" (backup: a file that
 * could not be read; restore: a file that could not be written). The job log wants the path and the
 * reason apart, and the outcome wants to know whether the problem left a file out.
 */

export interface FileProblem {
  path: string | null;
  reason: string;
  /** The file (or folder) is missing from the snapshot or the restore; false for notes such as a
   * skipped socket or metadata that could not be set. */
  fileMissing: boolean;
}

// The reasons the engine writes after "<path>: " (src-engine/backup/backup.ts, restore/restore.ts).
const REASON = /^(.*?): ((?:cannot |not restored|special file|skipping ).*)$/s;
const NOT_MISSING = /^(special file skipped|cannot set metadata)/;

export function parseEngineWarning(line: string): FileProblem {
  const m = REASON.exec(line);
  if (!m) return { path: null, reason: line, fileMissing: true };
  return { path: m[1]!, reason: m[2]!, fileMissing: !NOT_MISSING.test(m[2]!) };
}
