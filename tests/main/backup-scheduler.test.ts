/**
 * Schedule arithmetic and the scheduler, with the injected clock, in Europe/Berlin (daylight
 * saving: 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00). The scheduler's memory (the last
 * slot handled) is in a real job history SQLite file.
 */
process.env.TZ = 'Europe/Berlin';

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_BACKUP_CONFIG, type ProtectedItem, type Schedule } from '../../src-shared/backup-config';
import { BackupConfigStore } from '../../src-main/services/backup/backup-config-store';
import {
  BackupScheduler,
  RECHECK_MS,
  RESUME_DELAY_MS,
  type ScheduleTarget,
} from '../../src-main/services/backup/backup-scheduler';
import { JobHistoryStore } from '../../src-main/services/backup/job-history-store';
import { decide, latestSlotUpTo, nextSlotAfter } from '../../src-main/services/backup/schedule-slots';
import { FakePowerEvents, ManualClock, MemorySettingsStore } from './fakes';

const HOUR = 3_600_000;
/** Local wall-clock time in Berlin -> epoch ms. */
const local = (y: number, mo: number, d: number, h: number, mi = 0) =>
  new Date(y, mo - 1, d, h, mi).getTime();
const iso = (ms: number) => new Date(ms).toISOString();

describe('schedule arithmetic', () => {
  it('runs in the Berlin time zone (the DST cases below depend on it)', () => {
    expect(new Date(Date.UTC(2026, 6, 1, 12)).getHours()).toBe(14); // CEST, UTC+2
    expect(new Date(Date.UTC(2026, 0, 1, 12)).getHours()).toBe(13); // CET, UTC+1
  });

  it('every N hours counts real hours from the last slot', () => {
    const s: Schedule = { kind: 'hourly', everyHours: 6 };
    const t = local(2026, 5, 1, 9);
    expect(nextSlotAfter(s, t)).toBe(t + 6 * HOUR);
    // Across the spring change: still six real hours (the wall clock shows seven).
    const before = local(2026, 3, 29, 0);
    expect(nextSlotAfter(s, before)! - before).toBe(6 * HOUR);
    // Three periods missed: the latest is on the same grid.
    expect(latestSlotUpTo(s, t, t + 20 * HOUR)).toBe(t + 18 * HOUR);
  });

  it('daily at a time: today if still ahead, else tomorrow, in local time', () => {
    const s: Schedule = { kind: 'daily', at: '02:00' };
    expect(nextSlotAfter(s, local(2026, 5, 1, 1, 59))).toBe(local(2026, 5, 1, 2));
    expect(nextSlotAfter(s, local(2026, 5, 1, 2))).toBe(local(2026, 5, 2, 2));
    expect(nextSlotAfter(s, local(2026, 12, 31, 23))).toBe(local(2027, 1, 1, 2));
  });

  it('daily at a time that does not exist on the spring change runs once, an hour later', () => {
    const s: Schedule = { kind: 'daily', at: '02:30' };
    const slot = nextSlotAfter(s, local(2026, 3, 28, 12))!;
    // 2026-03-28 02:30 already passed; 03-29 02:30 does not exist: 03:30 CEST = 01:30 UTC.
    expect(iso(slot)).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(nextSlotAfter(s, slot)!)).toBe('2026-03-30T00:30:00.000Z');
  });

  it('daily at a time that happens twice on the autumn change runs once, at the first', () => {
    const s: Schedule = { kind: 'daily', at: '02:30' };
    const first = nextSlotAfter(s, local(2026, 10, 24, 12))!;
    expect(iso(first)).toBe('2026-10-25T00:30:00.000Z'); // 02:30 CEST
    const next = nextSlotAfter(s, first)!;
    expect(iso(next)).toBe('2026-10-26T01:30:00.000Z'); // the next day, not 02:30 CET the same night
    // Deciding at the second 02:30 after the first ran: nothing to do.
    expect(decide(s, first, first + HOUR, true)).toEqual({ action: 'wait', at: next });
  });

  it('weekdays at a time: the next chosen weekday', () => {
    const s: Schedule = { kind: 'weekly', days: [1, 3, 5], at: '18:15' }; // Mon, Wed, Fri
    // 2026-06-05 is a Friday: after 18:15 -> Monday 06-08.
    expect(nextSlotAfter(s, local(2026, 6, 5, 19))).toBe(local(2026, 6, 8, 18, 15));
    expect(nextSlotAfter(s, local(2026, 6, 5, 18))).toBe(local(2026, 6, 5, 18, 15));
    expect(nextSlotAfter(s, local(2026, 6, 6, 9))).toBe(local(2026, 6, 8, 18, 15));
  });

  it('a manual schedule has no slots', () => {
    expect(nextSlotAfter({ kind: 'manual' }, Date.now())).toBeNull();
    expect(decide({ kind: 'manual' }, 0, Date.now(), true)).toEqual({ action: 'wait', at: null });
  });

  it('many missed slots give one catch-up for the latest; catch-up off gives "missed"', () => {
    const s: Schedule = { kind: 'daily', at: '02:00' };
    const last = local(2026, 5, 1, 2);
    const now = local(2026, 5, 9, 10); // eight slots missed
    expect(decide(s, last, now, true)).toEqual({ action: 'catch-up', slot: local(2026, 5, 9, 2) });
    expect(decide(s, last, now, false)).toEqual({ action: 'missed', slot: local(2026, 5, 9, 2) });
    // A few minutes late is on time.
    expect(decide(s, last, local(2026, 5, 2, 2, 4), true)).toEqual({
      action: 'run',
      slot: local(2026, 5, 2, 2),
    });
  });

  it('a clock set back runs nothing again until time passes the last slot', () => {
    const s: Schedule = { kind: 'daily', at: '02:00' };
    const last = local(2026, 5, 2, 2);
    expect(decide(s, last, last - 5 * HOUR, true)).toEqual({ action: 'wait', at: local(2026, 5, 3, 2) });
  });
});

describe('BackupScheduler', () => {
  let dir: string;
  let history: JobHistoryStore;
  let config: BackupConfigStore;
  let clock: ManualClock;
  let power: FakePowerEvents;
  let runs: { itemId: string; trigger: string; at: number }[];
  let skips: { itemId: string; trigger: string; message: string }[];
  let onBattery: boolean;
  let scheduler: BackupScheduler;

  const target: ScheduleTarget = {
    run: (item, trigger) => runs.push({ itemId: item.id, trigger, at: clock.now() }),
    skip: (item, trigger, message) => skips.push({ itemId: item.id, trigger, message }),
  };

  function item(schedule: Schedule, extra: Partial<ProtectedItem> = {}): ProtectedItem {
    return {
      id: 'item-000001',
      name: 'Documents',
      paths: ['/home/me/Documents'],
      excludes: [],
      excludePresets: [],
      vaultId: 'vault-000001',
      schedule,
      retention: { mode: 'keep-all' },
      conditions: { catchUpMissed: true, skipOnBattery: false },
      createdAt: iso(clock.now()),
      ...extra,
    };
  }

  function configure(items: ProtectedItem[]) {
    config.update((c) => {
      c.vaults = [
        {
          id: 'vault-000001',
          type: 'local',
          name: 'USB',
          path: '/media/usb',
          repositoryId: 'ab'.repeat(16),
          passwordStored: true,
          createdAt: iso(clock.now()),
        },
      ];
      c.items = items;
    });
  }

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-scheduler-'));
    clock = new ManualClock();
    clock.advance(local(2026, 6, 1, 12) - clock.now()); // Monday 2026-06-01 12:00 Berlin
    history = new JobHistoryStore(path.join(dir, 'jobs.sqlite'), () => clock.now());
    const store = new MemorySettingsStore();
    store.write('backup', EMPTY_BACKUP_CONFIG);
    config = new BackupConfigStore(store);
    power = new FakePowerEvents();
    runs = [];
    skips = [];
    onBattery = false;
    scheduler = new BackupScheduler({
      config,
      history,
      clock,
      target,
      power,
      powerSource: { onBattery: () => onBattery },
    });
  });
  afterEach(() => {
    scheduler.stop();
    history.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fires a daily schedule on time, once a day', () => {
    configure([item({ kind: 'daily', at: '02:00' })]);
    scheduler.start();
    clock.advance(3 * 24 * HOUR);
    expect(runs.map((r) => [iso(r.at), r.trigger])).toEqual([
      [iso(local(2026, 6, 2, 2)), 'schedule'],
      [iso(local(2026, 6, 3, 2)), 'schedule'],
      [iso(local(2026, 6, 4, 2)), 'schedule'],
    ]);
    expect(scheduler.nextRunAt(config.get().items[0]!)).toBe(local(2026, 6, 5, 2));
  });

  it('does not run slots from before the item existed', () => {
    configure([item({ kind: 'hourly', everyHours: 1 })]);
    scheduler.start();
    expect(runs).toEqual([]);
    clock.advance(HOUR);
    expect(runs).toHaveLength(1);
  });

  it('after a restart that missed several days: one catch-up run, not one per day', () => {
    configure([item({ kind: 'daily', at: '02:00' })]);
    scheduler.start();
    clock.advance(15 * HOUR); // 03:00 the next day: one on-time run
    expect(runs).toHaveLength(1);
    scheduler.stop();
    clock.advance(4 * 24 * HOUR); // switched off for four days
    const again = new BackupScheduler({ config, history, clock, target });
    again.start();
    expect(runs.map((r) => r.trigger)).toEqual(['schedule', 'catch-up']);
    again.stop();
  });

  it('with catching up off, a missed run is recorded as skipped, saying why', () => {
    configure([
      item({ kind: 'daily', at: '02:00' }, { conditions: { catchUpMissed: false, skipOnBattery: false } }),
    ]);
    scheduler.start();
    scheduler.stop();
    clock.advance(2 * 24 * HOUR);
    scheduler.start();
    expect(runs).toEqual([]);
    expect(skips).toHaveLength(1);
    expect(skips[0]!.message).toContain('catching up missed runs is off');
  });

  it('after resume, waits before catching up, then runs once however many were missed', () => {
    configure([item({ kind: 'daily', at: '02:00' })]);
    scheduler.start();
    clock.jump(2 * 24 * HOUR); // asleep two nights: no timer fired
    power.emit('resume');
    clock.advance(RESUME_DELAY_MS - 1000);
    expect(runs).toEqual([]);
    clock.advance(1000);
    expect(runs.map((r) => r.trigger)).toEqual(['catch-up']);
    clock.advance(HOUR);
    expect(runs).toHaveLength(1);
  });

  it('a clock jump forward gives one run; a jump back neither repeats nor doubles', () => {
    configure([item({ kind: 'daily', at: '02:00' })]);
    scheduler.start();
    clock.advance(15 * HOUR); // 2026-06-02 03:00, ran at 02:00
    expect(runs).toHaveLength(1);
    clock.jump(-3 * HOUR); // set back to 00:00
    clock.advance(4 * HOUR); // passes 02:00 again
    expect(runs).toHaveLength(1);
    clock.advance(23 * HOUR); // 2026-06-03 03:00
    expect(runs).toHaveLength(2);
    clock.jump(3 * 24 * HOUR); // set forward three days
    clock.advance(1000);
    expect(runs.map((r) => r.trigger)).toEqual(['schedule', 'schedule', 'catch-up']);
    clock.advance(HOUR);
    expect(runs).toHaveLength(3);
  });

  it('skips on battery when the item asks for it, and says so (no catch-up: the next slot on AC runs)', () => {
    configure([
      item({ kind: 'hourly', everyHours: 2 }, { conditions: { catchUpMissed: false, skipOnBattery: true } }),
    ]);
    scheduler.start();
    onBattery = true;
    clock.advance(2 * HOUR);
    expect(runs).toEqual([]);
    expect(skips.map((s) => s.message)).toEqual(['Skipped: this computer was running on battery.']);
    onBattery = false;
    power.emit('on-ac');
    expect(runs).toEqual([]);
    clock.advance(2 * HOUR);
    expect(runs).toHaveLength(1);
  });

  it('a run put off on battery runs once, as a catch-up, as soon as the computer is plugged in', () => {
    configure([
      item({ kind: 'hourly', everyHours: 1 }, { conditions: { catchUpMissed: true, skipOnBattery: true } }),
    ]);
    scheduler.start();
    onBattery = true;
    clock.advance(3 * HOUR + 10 * 60_000); // three slots on battery
    expect(runs).toEqual([]);
    expect(skips.map((s) => s.message)).toEqual(
      Array(3).fill('Put off: this computer is running on battery. It runs when the computer is plugged in.'),
    );
    onBattery = false;
    power.emit('on-ac');
    expect(runs.map((r) => r.trigger)).toEqual(['catch-up']); // once, however many were put off
    expect(runs[0]!.at).toBe(local(2026, 6, 1, 15, 10));
    clock.advance(10 * 60_000);
    expect(runs).toHaveLength(1);
  });

  it('without the on-ac event, the next look (at most a minute later) runs what was put off', () => {
    configure([
      item({ kind: 'hourly', everyHours: 2 }, { conditions: { catchUpMissed: true, skipOnBattery: true } }),
    ]);
    scheduler.start();
    onBattery = true;
    clock.advance(2 * HOUR);
    onBattery = false;
    clock.advance(RECHECK_MS);
    expect(runs.map((r) => r.trigger)).toEqual(['catch-up']);
  });

  it('a run put off on battery is forgotten when the item is made manual before the power comes back', () => {
    configure([
      item({ kind: 'hourly', everyHours: 2 }, { conditions: { catchUpMissed: true, skipOnBattery: true } }),
    ]);
    scheduler.start();
    onBattery = true;
    clock.advance(2 * HOUR);
    config.update((c) => {
      c.items[0]!.schedule = { kind: 'manual' };
    });
    onBattery = false;
    power.emit('on-ac');
    clock.advance(4 * HOUR);
    expect(runs).toEqual([]);
  });

  it('a changed schedule counts from the change', () => {
    configure([item({ kind: 'manual' })]);
    scheduler.start();
    clock.advance(48 * HOUR);
    // As ProtectedItemService.save does: the schedule counts from now, then the change is saved.
    scheduler.scheduleChanged('item-000001');
    config.update((c) => {
      c.items[0]!.schedule = { kind: 'daily', at: '02:00' };
    });
    expect(runs).toEqual([]); // no catch-up for days it was manual
    clock.advance(24 * HOUR);
    expect(runs).toHaveLength(1);
  });
});
