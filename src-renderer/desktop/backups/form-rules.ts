/**
 * Checks the desktop forms make before sending, with the same words as the shared schemas (the
 * schemas themselves are not imported: they would pull zod into the window's bundle). The unit
 * tests compare these with src-shared's schemas, so the two cannot drift apart unnoticed.
 */
import type { ExcludePreset, Retention, Schedule } from '../../../src-shared/backup-config';

/** As src-shared/http-api/fields.ts: USERNAME_PATTERN, PASSWORD_MIN, PASSWORD_MAX. */
const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,63}$/;
export const ACCOUNT_PASSWORD_MIN = 8;
const ACCOUNT_PASSWORD_MAX = 1024;

/** The panel's "Create account" rules and words; null when the input is fine. */
export function createAccountProblem(username: string, password: string, repeat: string): string | null {
  if (!USERNAME_PATTERN.test(username.trim().toLowerCase()))
    return 'Username: 2 to 64 characters, letters, digits, dot, dash or underscore, starting with a letter or digit.';
  if (password.length < ACCOUNT_PASSWORD_MIN) return `Password: at least ${ACCOUNT_PASSWORD_MIN} characters.`;
  if (password.length > ACCOUNT_PASSWORD_MAX) return `Password: at most ${ACCOUNT_PASSWORD_MAX} characters.`;
  if (password !== repeat) return 'The two passwords are not the same. Type the password again.';
  return null;
}

/** A new account password typed twice (password change, forgotten or temporary password). */
export function newPasswordProblem(password: string, repeat: string): string | null {
  if (password.length < ACCOUNT_PASSWORD_MIN)
    return `New password: at least ${ACCOUNT_PASSWORD_MIN} characters.`;
  if (password.length > ACCOUNT_PASSWORD_MAX)
    return `New password: at most ${ACCOUNT_PASSWORD_MAX} characters.`;
  if (password !== repeat) return 'The two new passwords are not the same. Type the new password again.';
  return null;
}

/** As src-shared/backup-config.ts isAbsolutePath: POSIX, Windows drive or UNC paths. */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

/** A typed path: null when it can be sent, else what to fix. */
export function pathProblem(p: string): string | null {
  if (!p.trim()) return 'Choose a folder.';
  if (p.includes('\0')) return 'A path cannot contain a NUL character.';
  if (p.length > 4096) return 'That path is too long.';
  if (!isAbsolutePath(p.trim())) return 'Use a full path (for example /home/me/Documents).';
  return null;
}

/** As src-shared/http-api/storage.ts repositoryName: an account-storage repository's name on the server. */
const REPOSITORY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function repositoryNameProblem(name: string): string | null {
  return REPOSITORY_NAME_PATTERN.test(name)
    ? null
    : 'Repository name: 1 to 64 letters, digits, dot, dash or underscore, starting with a letter or digit.';
}

/** As backup-config.ts EXCLUDE_PRESETS, with the words a person reads. */
export const EXCLUDE_PRESET_CHOICES: { id: ExcludePreset; label: string; hint: string }[] = [
  { id: 'caches', label: 'Caches', hint: 'Application and browser caches (.cache, Caches, __pycache__…)' },
  { id: 'temporary-files', label: 'Temporary files', hint: '*.tmp, *.swp, partial downloads, lock files' },
  { id: 'node-modules', label: 'node_modules', hint: 'JavaScript dependencies that can be downloaded again' },
  { id: 'trash', label: 'Trash', hint: 'The Trash or Recycle Bin' },
];
// Fails to compile if the schema gains a preset this list does not offer.
type Unlisted = Exclude<ExcludePreset, (typeof EXCLUDE_PRESET_CHOICES)[number]['id']>;
const _everyPresetListed: [Unlisted] extends [never] ? true : never = true;

/** One pattern per line, blank lines and surrounding spaces dropped, each once. */
export function parsePatterns(text: string): string[] {
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    const p = line.trim();
    if (p) seen.add(p);
  }
  return [...seen];
}

/** "HH:MM", 24-hour, as the schema's timeOfDay. */
export function timeProblem(at: string): string | null {
  return /^([01]\d|2[0-3]):[0-5]\d$/.test(at) ? null : 'Use a time such as 02:30 (24-hour clock).';
}

export interface ItemDraft {
  name: string;
  paths: string[];
  excludesText: string;
  vaultId: string;
  schedule: Schedule;
  retention: Retention;
}
export type ItemField = 'name' | 'paths' | 'excludes' | 'vault' | 'schedule' | 'retention';

/** The first thing to fix in a protected item's form, with the field it belongs to. */
export function itemProblem(draft: ItemDraft): { field: ItemField; text: string } | null {
  const name = draft.name.trim();
  if (!name) return { field: 'name', text: 'Give the protected item a name.' };
  if (name.length > 80) return { field: 'name', text: "The protected item's name is at most 80 characters." };
  if (draft.paths.length === 0) return { field: 'paths', text: 'Choose at least one folder or file.' };
  for (const p of draft.paths) {
    const wrong = pathProblem(p);
    if (wrong) return { field: 'paths', text: `${p}: ${wrong}` };
  }
  if (parsePatterns(draft.excludesText).some((p) => p.length > 1024))
    return { field: 'excludes', text: 'An exclusion pattern is at most 1024 characters.' };
  if (!draft.vaultId) return { field: 'vault', text: 'Choose the storage vault to back up to.' };
  const s = draft.schedule;
  if (s.kind === 'hourly' && !(Number.isInteger(s.everyHours) && s.everyHours >= 1 && s.everyHours <= 24))
    return { field: 'schedule', text: 'Every N hours: a whole number from 1 to 24.' };
  if (s.kind === 'weekly' && s.days.length === 0)
    return { field: 'schedule', text: 'Choose at least one weekday.' };
  if ((s.kind === 'daily' || s.kind === 'weekly') && timeProblem(s.at))
    return { field: 'schedule', text: timeProblem(s.at)! };
  const r = draft.retention;
  if (r.mode === 'policy') {
    const counts = [r.keepLast, r.keepHourly, r.keepDaily, r.keepWeekly, r.keepMonthly, r.keepYearly];
    if (counts.some((n) => n !== undefined && !(Number.isInteger(n) && n >= 0 && n <= 100_000)))
      return { field: 'retention', text: 'Each number of backups to keep: a whole number from 0 to 100000.' };
    if (!counts.some((n) => n !== undefined && n > 0))
      return {
        field: 'retention',
        text: 'A retention policy must keep at least one backup (or choose "Keep everything").',
      };
  }
  return null;
}
