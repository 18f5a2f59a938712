/** Retention: which snapshots a keep-policy keeps, as in restic (buckets in local time, newest first). */
import type { Snapshot } from '../repository/repository';

export interface KeepPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  /** Snapshots with any of these tags are always kept. */
  tags?: string[];
}

type Snap = Snapshot & { id: string };

export function policyIsEmpty(p: KeepPolicy): boolean {
  return (
    !p.last && !p.hourly && !p.daily && !p.weekly && !p.monthly && !p.yearly && !(p.tags && p.tags.length)
  );
}

const pad = (n: number) => String(n).padStart(2, '0');

function isoWeek(d: Date): string {
  const t = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const day = (t.getDay() + 6) % 7;
  t.setDate(t.getDate() - day + 3);
  const firstThursday = new Date(t.getFullYear(), 0, 4);
  const week =
    1 +
    Math.round(
      ((t.getTime() - firstThursday.getTime()) / 86400000 - 3 + ((firstThursday.getDay() + 6) % 7)) / 7,
    );
  return `${t.getFullYear()}-W${pad(week)}`;
}

const buckets: [keyof KeepPolicy, (d: Date) => string][] = [
  ['hourly', (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}`],
  ['daily', (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`],
  ['weekly', isoWeek],
  ['monthly', (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}`],
  ['yearly', (d) => `${d.getFullYear()}`],
];

/** Splits one group of snapshots into keep and remove, each with the reasons it was kept. */
export function applyPolicy(
  snaps: Snap[],
  policy: KeepPolicy,
): { keep: (Snap & { reasons: string[] })[]; remove: Snap[] } {
  const sorted = [...snaps].sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
  const counters = new Map<string, number>(buckets.map(([k]) => [k, (policy[k] as number | undefined) ?? 0]));
  const lastBucket = new Map<string, string>();
  let lastLeft = policy.last ?? 0;
  const keep: (Snap & { reasons: string[] })[] = [];
  const remove: Snap[] = [];
  for (const s of sorted) {
    const reasons: string[] = [];
    if (lastLeft > 0) {
      lastLeft--;
      reasons.push('last');
    }
    if (policy.tags?.some((t) => s.tags.includes(t))) reasons.push('tag');
    const d = new Date(s.time);
    for (const [k, fn] of buckets) {
      const left = counters.get(k)!;
      if (left <= 0) continue;
      const b = fn(d);
      if (lastBucket.get(k) !== b) {
        lastBucket.set(k, b);
        counters.set(k, left - 1);
        reasons.push(k);
      }
    }
    if (reasons.length > 0) keep.push({ ...s, reasons });
    else remove.push(s);
  }
  return { keep, remove };
}

/** Groups by host and paths, so one machine's policy never removes another's snapshots. */
export function groupSnapshots(snaps: Snap[]): Map<string, Snap[]> {
  const groups = new Map<string, Snap[]>();
  for (const s of snaps) {
    const k = `${s.host}\u0000${[...s.paths].sort().join('\u0000')}`;
    const g = groups.get(k);
    if (g) g.push(s);
    else groups.set(k, [s]);
  }
  return groups;
}
