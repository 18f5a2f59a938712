/**
 * Pure schedule arithmetic: when are a schedule's runs ("slots"), and what to do at a given time
 * given the last slot already handled. No timers, no state: the scheduler feeds it the persisted
 * last slot and the Clock's time, so a restart, a sleep or a clock jump gives the same answer.
 *
 * Local wall-clock times ("daily at 02:00") use the process's time zone. Across daylight-saving
 * changes: a time that does not exist that day (02:30 when clocks jump 02:00 -> 03:00) runs at the
 * time the Date API maps it to (03:30); a time that happens twice (clocks go back) runs once, at
 * its first occurrence. "Every N hours" counts real hours, unaffected by daylight saving.
 */
import type { Schedule } from '../../../src-shared/backup-config';

const HOUR = 3_600_000;
/** A slot found up to this late still counts as on time (the timer fired late, the queue was busy). */
export const ON_TIME_GRACE_MS = 10 * 60_000;

/** The first slot strictly after `after`; null for a manual schedule. */
export function nextSlotAfter(schedule: Schedule, after: number): number | null {
  switch (schedule.kind) {
    case 'manual':
      return null;
    case 'hourly':
      return after + schedule.everyHours * HOUR;
    case 'daily':
      return nextLocalTime(after, schedule.at, () => true);
    case 'weekly':
      return nextLocalTime(after, schedule.at, (day) => schedule.days.includes(day));
  }
}

/** The latest slot in (after, now], or null when there is none (nothing due yet). */
export function latestSlotUpTo(schedule: Schedule, after: number, now: number): number | null {
  const first = nextSlotAfter(schedule, after);
  if (first === null || first > now) return null;
  if (schedule.kind === 'hourly') {
    // Keeps the grid of the last slot: 6-hourly from 00:00 stays at 00, 06, 12, 18.
    const period = schedule.everyHours * HOUR;
    return first + Math.floor((now - first) / period) * period;
  }
  // Wall-clock schedules: jump near `now` first, so months of sleep cost a few steps, not hundreds.
  let slot = first;
  const nearNow = nextSlotAfter(schedule, now - 8 * 24 * HOUR);
  if (nearNow !== null && nearNow > slot && nearNow <= now) slot = nearNow;
  for (;;) {
    const next = nextSlotAfter(schedule, slot);
    if (next === null || next > now) return slot;
    slot = next;
  }
}

export type SlotDecision =
  /** Nothing due; `at` is the next slot (null: manual). */
  | { action: 'wait'; at: number | null }
  /** Run now for `slot`: 'schedule' when on time, 'catch-up' for a missed slot; 'missed' when catching up is off. */
  | { action: 'run' | 'catch-up' | 'missed'; slot: number };

/**
 * What to do at `now` for an item whose last handled slot is `lastSlot`. However many slots were
 * missed (asleep, switched off, clock jumped forward), at most ONE run results, for the latest
 * slot; after it, `slot` becomes the new last slot. A clock set back leaves `lastSlot` in the
 * future: nothing runs until time passes it again, so no slot runs twice.
 */
export function decide(
  schedule: Schedule,
  lastSlot: number,
  now: number,
  catchUpMissed: boolean,
): SlotDecision {
  const slot = latestSlotUpTo(schedule, lastSlot, now);
  if (slot === null) return { action: 'wait', at: nextSlotAfter(schedule, lastSlot) };
  if (now - slot <= ON_TIME_GRACE_MS) return { action: 'run', slot };
  return { action: catchUpMissed ? 'catch-up' : 'missed', slot };
}

/** The first local "HH:MM" strictly after `after` on a day that `dayOk` accepts. */
function nextLocalTime(after: number, at: string, dayOk: (weekday: number) => boolean): number {
  const [hh, mm] = at.split(':').map(Number) as [number, number];
  const start = new Date(after);
  for (let offset = 0; offset <= 8; offset++) {
    const candidate = new Date(start.getFullYear(), start.getMonth(), start.getDate() + offset, hh, mm, 0, 0);
    if (candidate.getTime() > after && dayOk(candidate.getDay())) return candidate.getTime();
  }
  // Unreachable for a valid schedule (at least one weekday): a week from now, never a busy loop.
  return after + 7 * 24 * HOUR;
}
