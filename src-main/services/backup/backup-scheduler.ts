/**
 * Starts scheduled backups on time, locked or not. Decisions come from the pure arithmetic in
 * schedule-slots.ts, the configuration, the last slot handled per item (persisted in the job
 * history file) and the Clock, never from counting timer firings: a timer only says "look again".
 * So a late timer, a sleep, a restart or a clock jump neither skips nor doubles a run.
 *
 * After the computer resumes, nothing runs for RESUME_DELAY_MS, so the network and drives are back
 * before missed runs are caught up (one run per item, however many were missed).
 *
 * A run due while on battery, for an item that skips on battery, is recorded as skipped; if the
 * item catches up missed runs, it runs (once) as soon as the computer is plugged in again.
 */
import type { JobTrigger } from '../../../src-shared/backup-jobs';
import type { ProtectedItem } from '../../../src-shared/backup-config';
import type { Clock, PowerEvents, PowerSource, TimerHandle } from '../ports';
import type { BackupConfigStore } from './backup-config-store';
import type { JobHistoryStore } from './job-history-store';
import { decide, nextSlotAfter } from './schedule-slots';

export const RESUME_DELAY_MS = 2 * 60_000;
/** The longest a timer waits before looking again (clock jumps, sleeps the OS did not report). */
export const RECHECK_MS = 60_000;

export interface ScheduleTarget {
  /** Queue a backup of `item` now. */
  run(item: ProtectedItem, trigger: Extract<JobTrigger, 'schedule' | 'catch-up'>): void;
  /** Record a scheduled run that did not happen, and why (history and a notification). */
  skip(item: ProtectedItem, trigger: Extract<JobTrigger, 'schedule' | 'catch-up'>, message: string): void;
}

export interface BackupSchedulerOptions {
  config: BackupConfigStore;
  history: Pick<JobHistoryStore, 'lastSlot' | 'setLastSlot' | 'forgetSchedule'>;
  clock: Clock;
  target: ScheduleTarget;
  power?: PowerEvents;
  powerSource?: PowerSource;
  log?: (message: string) => void;
}

export class BackupScheduler {
  private timer: TimerHandle | null = null;
  private holdUntil = 0;
  /** Items whose run was put off on battery, to run once on AC (in memory: a restart forgets them). */
  private readonly deferredOnBattery = new Set<string>();
  private running = false;
  private readonly disposers: (() => void)[] = [];

  constructor(private readonly o: BackupSchedulerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.o.power) {
      this.disposers.push(this.o.power.on('resume', () => this.resumed()));
      this.disposers.push(this.o.power.on('on-ac', () => this.evaluate()));
    }
    this.disposers.push(this.o.config.onChange(() => this.evaluate()));
    this.evaluate();
  }

  stop(): void {
    this.running = false;
    this.clearTimer();
    for (const d of this.disposers.splice(0)) d();
  }

  /** A schedule was set or changed: it counts from now (no catch-up for slots before it existed). */
  scheduleChanged(itemId: string): void {
    this.o.history.setLastSlot(itemId, this.o.clock.now());
  }

  itemRemoved(itemId: string): void {
    this.o.history.forgetSchedule(itemId);
  }

  /** The next run, for the item card; null for a manual schedule. A due run shows as now. */
  nextRunAt(item: ProtectedItem): number | null {
    if (item.schedule.kind === 'manual') return null;
    const now = this.o.clock.now();
    const decision = decide(item.schedule, this.lastSlot(item), now, item.conditions.catchUpMissed);
    if (decision.action === 'wait') return decision.at;
    if (decision.action === 'missed') return nextSlotAfter(item.schedule, decision.slot);
    return Math.max(now, this.holdUntil);
  }

  /** Looks at every item now (also called by timers). */
  evaluate(): void {
    if (!this.running) return;
    this.clearTimer();
    const now = this.o.clock.now();
    if (now < this.holdUntil) {
      this.arm(this.holdUntil - now);
      return;
    }
    let items: ProtectedItem[];
    try {
      items = this.o.config.get().items;
    } catch {
      // An invalid configuration runs nothing; the app shows why. Look again later.
      this.arm(RECHECK_MS);
      return;
    }
    let earliest = now + RECHECK_MS;
    this.runDeferred(items);
    for (const item of items) {
      if (item.schedule.kind === 'manual') continue;
      const decision = decide(item.schedule, this.lastSlot(item), now, item.conditions.catchUpMissed);
      if (decision.action === 'wait') {
        if (decision.at !== null) earliest = Math.min(earliest, decision.at);
        continue;
      }
      // Recorded first: whatever happens next, this slot is handled exactly once.
      this.o.history.setLastSlot(item.id, decision.slot);
      const trigger = decision.action === 'run' ? 'schedule' : 'catch-up';
      if (decision.action === 'missed') {
        this.o.target.skip(
          item,
          'schedule',
          `Missed the run of ${new Date(decision.slot).toLocaleString()}: Strongroom was not running, and catching up missed runs is off.`,
        );
      } else if (item.conditions.skipOnBattery && this.onBattery()) {
        const later = item.conditions.catchUpMissed;
        this.o.target.skip(
          item,
          trigger,
          later
            ? 'Put off: this computer is running on battery. It runs when the computer is plugged in.'
            : 'Skipped: this computer was running on battery.',
        );
        if (later) this.deferredOnBattery.add(item.id);
      } else {
        this.deferredOnBattery.delete(item.id);
        this.o.target.run(item, trigger);
      }
      const next = nextSlotAfter(item.schedule, decision.slot);
      if (next !== null) earliest = Math.min(earliest, next);
    }
    this.arm(Math.max(0, earliest - now));
  }

  /** Runs put off on battery, now that the computer is plugged in (one run each, however many were put off). */
  private runDeferred(items: ProtectedItem[]): void {
    if (this.deferredOnBattery.size === 0 || this.onBattery()) return;
    for (const id of [...this.deferredOnBattery]) {
      this.deferredOnBattery.delete(id);
      const item = items.find((i) => i.id === id);
      // Removed, made manual, or no longer catching up since: nothing to make up for.
      if (!item || item.schedule.kind === 'manual' || !item.conditions.catchUpMissed) continue;
      this.o.target.run(item, 'catch-up');
    }
  }

  private resumed(): void {
    this.holdUntil = this.o.clock.now() + RESUME_DELAY_MS;
    this.evaluate();
  }

  private lastSlot(item: ProtectedItem): number {
    const stored = this.o.history.lastSlot(item.id);
    if (stored !== null) return stored;
    // Never handled: the schedule counts from the item's creation.
    return Date.parse(item.createdAt);
  }

  private onBattery(): boolean {
    try {
      return this.o.powerSource?.onBattery() ?? false;
    } catch {
      return false;
    }
  }

  private arm(ms: number): void {
    this.clearTimer();
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = null;
      this.evaluate();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
