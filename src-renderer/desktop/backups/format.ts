import type { Retention, Schedule } from '../../../src-shared/backup-config';
import type { JobKind, JobStatus } from '../../../src-shared/backup-jobs';

/**
 * How the backup pages word numbers, times and settings. Pure functions (no zod, no DOM), so the
 * same words are unit-tested and shown everywhere: cards, history, the restore wizard.
 */

export { formatBytes, formatCount, formatRate } from '../../../src-shared/units';
import { formatCount } from '../../../src-shared/units';
import { formatClock, formatScheduleTime } from '../../../src-shared/time-format';

export const formatFiles = (n: number) => formatCount(n, 'file', 'files');

/** 0..100, whole, never 100 before the end (a bar at 100 % that keeps running misleads). */
export function percent(done: number, total: number): number {
  if (total <= 0) return 0;
  const p = Math.floor((done / total) * 100);
  return Math.max(0, Math.min(done >= total ? 100 : 99, p));
}

/** Time remaining, as a person says it: "about 3 minutes left". */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return 'Working out the time left…';
  if (seconds < 10) return 'A few seconds left';
  if (seconds < 60) return `About ${Math.round(seconds / 5) * 5} seconds left`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return minutes === 1 ? 'About 1 minute left' : `About ${minutes} minutes left`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const h = hours === 1 ? '1 hour' : `${hours} hours`;
  return rest === 0 ? `About ${h} left` : `About ${h} ${rest} min left`;
}

/** How long a job took: "45 s", "2 min 5 s", "1 h 3 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return s % 60 === 0 ? `${minutes} min` : `${minutes} min ${s % 60} s`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

export function jobDurationSeconds(startedAt: string | null, endedAt: string | null): number | null {
  if (!startedAt || !endedAt) return null;
  const ms = Date.parse(endedAt) - Date.parse(startedAt);
  return Number.isFinite(ms) ? ms / 1000 : null;
}

const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const sameDay = (a: Date, b: Date) =>
  a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();

/**
 * Local time, relative to `now` where that reads better: "Today 14:05", "Yesterday 02:30",
 * "Tomorrow 02:30", "Mon 23 Nov 2026 14:05" (the time as the locale writes it: "2:05 PM" in en-US).
 */
export function formatDateTime(iso: string, now: Date = new Date(), locale?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const dayMs = 86_400_000;
  if (sameDay(d, now)) return `Today ${formatClock(d, locale)}`;
  if (sameDay(d, new Date(now.getTime() - dayMs))) return `Yesterday ${formatClock(d, locale)}`;
  if (sameDay(d, new Date(now.getTime() + dayMs))) return `Tomorrow ${formatClock(d, locale)}`;
  return `${WEEKDAY_NAMES[d.getDay()]!.slice(0, 3)} ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${formatClock(d, locale)}`;
}

/** Always the full date and time, for a choice where "Today" is ambiguous (a list of backups). */
export function formatFullDateTime(iso: string, locale?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return `${WEEKDAY_NAMES[d.getDay()]!.slice(0, 3)} ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}, ${formatClock(d, locale, true)}`;
}

/** "A, B and C". */
export function listWords(words: string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** Monday first, as calendars in most of our users' places are. */
export const WEEK_ORDER = [1, 2, 3, 4, 5, 6, 0] as const;
export const weekdayName = (day: number) => WEEKDAY_NAMES[day] ?? '?';

/**
 * "Every day at 02:30", "Every 6 hours", "Every Monday and Thursday at 19:00", "Only when you choose
 * Back up now" (the time as the locale writes it).
 */
export function describeSchedule(schedule: Schedule, locale?: string): string {
  const at = (t: string) => formatScheduleTime(t, locale);
  switch (schedule.kind) {
    case 'manual':
      return 'Only when you choose Back up now';
    case 'hourly':
      return schedule.everyHours === 1 ? 'Every hour' : `Every ${schedule.everyHours} hours`;
    case 'daily':
      return `Every day at ${at(schedule.at)}`;
    case 'weekly': {
      const days = new Set(schedule.days);
      if (days.size === 7) return `Every day at ${at(schedule.at)}`;
      if (days.size === 5 && [1, 2, 3, 4, 5].every((d) => days.has(d)))
        return `Every weekday (Monday to Friday) at ${at(schedule.at)}`;
      const names = WEEK_ORDER.filter((d) => days.has(d)).map(weekdayName);
      return `Every ${listWords(names)} at ${at(schedule.at)}`;
    }
  }
}

const POLICY_COUNTS = [
  'keepLast',
  'keepHourly',
  'keepDaily',
  'keepWeekly',
  'keepMonthly',
  'keepYearly',
] as const;

/** "Keep everything", or "Keep the last 10, 7 daily, 4 weekly and 12 monthly backups". */
export function describeRetention(retention: Retention): string {
  if (retention.mode === 'keep-all') return 'Keep everything';
  const parts: string[] = [];
  if (retention.keepLast) parts.push(`the last ${retention.keepLast}`);
  if (retention.keepHourly) parts.push(`${retention.keepHourly} hourly`);
  if (retention.keepDaily) parts.push(`${retention.keepDaily} daily`);
  if (retention.keepWeekly) parts.push(`${retention.keepWeekly} weekly`);
  if (retention.keepMonthly) parts.push(`${retention.keepMonthly} monthly`);
  if (retention.keepYearly) parts.push(`${retention.keepYearly} yearly`);
  if (parts.length === 0) return 'Keep everything';
  // "Keep the last backup", "Keep 1 daily backup": one number of 1 reads in the singular.
  const counts = POLICY_COUNTS.map((k) => retention[k]).filter((n): n is number => !!n);
  if (counts.length === 1 && counts[0] === 1)
    return retention.keepLast ? 'Keep the last backup' : `Keep ${parts[0]} backup`;
  return `Keep ${listWords(parts)} backups`;
}

export const JOB_STATUS_LABELS: Record<JobStatus, string> = {
  waiting: 'Waiting',
  running: 'Running',
  success: 'Success',
  warning: 'Warning',
  failed: 'Failed',
  cancelled: 'Cancelled',
  skipped: 'Skipped',
};

export const JOB_KIND_LABELS: Record<JobKind, string> = {
  backup: 'Backup',
  restore: 'Restore',
  verify: 'Verify',
  retention: 'Clean-up of old backups',
  catalogue: 'Search index update',
};

export function isEnded(status: JobStatus): boolean {
  return status !== 'waiting' && status !== 'running';
}

export interface FileSample {
  /** Milliseconds, from any monotonic clock. */
  at: number;
  files: number;
}
/** Files per second between two samples of a job's progress; null until a second has passed. */
export function filesPerSecond(first: FileSample, latest: FileSample): number | null {
  const seconds = (latest.at - first.at) / 1000;
  if (seconds < 1 || latest.files < first.files) return null;
  return (latest.files - first.files) / seconds;
}

export function formatFilesRate(perSecond: number): string {
  const n = perSecond >= 10 ? Math.round(perSecond) : Math.round(perSecond * 10) / 10;
  return `${n.toLocaleString('en-US')} files/s`;
}

/** The first sample of a job and its files per second since, updated on each progress event. */
export interface FilesRate {
  first: FileSample;
  perSecond: number | null;
}
export function nextFilesRate(previous: FilesRate | undefined, filesDone: number, at: number): FilesRate {
  const sample = { at, files: filesDone };
  if (!previous || filesDone < previous.first.files) return { first: sample, perSecond: null };
  return { first: previous.first, perSecond: filesPerSecond(previous.first, sample) };
}
