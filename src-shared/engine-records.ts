/**
 * What the engine tells its callers, as data: the codes of its errors and the problem records of a
 * backup or restore. One definition for the engine, its CLI, the job process and main, so nothing
 * between them is parsed out of text (restic's ErrorFunc / CompleteItem callbacks are the model).
 */
import { z } from 'zod';

/**
 * Why an engine operation failed. UNAUTHORIZED: the storage refused the token (401/403);
 * UNREACHABLE: the storage did not answer (after retries); QUOTA: the account's storage quota is
 * used up (507 from the account server), distinct from DISK_FULL, a local or server disk out of space.
 */
export const ENGINE_ERROR_CODES = [
  'WRONG_PASSWORD',
  'NO_REPOSITORY',
  'REPOSITORY_EXISTS',
  'CORRUPT',
  'LOCKED',
  'NOT_FOUND',
  'DISK_FULL',
  'QUOTA',
  'UNAUTHORIZED',
  'UNREACHABLE',
  'INVALID_ARGUMENT',
  'CANCELLED',
  'IO',
] as const;
export const engineErrorCode = z.enum(ENGINE_ERROR_CODES);
export type EngineErrorCode = z.infer<typeof engineErrorCode>;

/**
 * One thing that did not go as asked, about one path:
 * - `not-stored`: a backup left this file or folder out (unreadable, vanished, refused);
 * - `changed`: a backup stored it, but it kept changing while it was read (the stored version may
 *   never have existed as such);
 * - `not-restored`: a restore did not write this file or folder;
 * - `metadata`: restored, but its owner, mode, times or extended attributes could not be set;
 * - `note`: nothing is missing (a socket skipped by design, a file excluded by a rule): said, not counted.
 */
export const PROBLEM_KINDS = ['not-stored', 'changed', 'not-restored', 'metadata', 'note'] as const;
export const problemKind = z.enum(PROBLEM_KINDS);
export type ProblemKind = z.infer<typeof problemKind>;

export const engineProblem = z
  .object({
    kind: problemKind,
    /** The path as the person knows it (absolute, as backed up; or as restored). */
    path: z.string(),
    /** Words a person can read: "permission denied", "changed while it was backed up". */
    reason: z.string(),
    /** The errno code behind it, where there is one (EACCES, ENOSPC). */
    errno: z.string().optional(),
  })
  .strict();
export type EngineProblem = z.infer<typeof engineProblem>;

/** A run that only had metadata problems and notes is a success; anything else is not complete. */
export function problemsLeaveRunIncomplete(problems: readonly Pick<EngineProblem, 'kind'>[]): boolean {
  return problems.some((p) => p.kind === 'not-stored' || p.kind === 'not-restored' || p.kind === 'changed');
}
