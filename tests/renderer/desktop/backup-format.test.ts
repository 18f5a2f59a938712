import { describe, expect, it } from 'vitest';
import {
  describeRetention,
  describeSchedule,
  filesPerSecond,
  formatBytes,
  formatDateTime,
  formatFullDateTime,
  formatDuration,
  formatEta,
  nextFilesRate,
  percent,
} from '../../../src-renderer/desktop/backups/format';

describe('sizes', () => {
  it('uses decimal units with one decimal below ten', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1000)).toBe('1.0 KB');
    expect(formatBytes(1_500_000)).toBe('1.5 MB');
    expect(formatBytes(9_960_000)).toBe('10 MB');
    expect(formatBytes(123_456_789)).toBe('123 MB');
    expect(formatBytes(2_000_000_000_000)).toBe('2.0 TB');
  });
  it('shows a dash for nonsense rather than NaN', () => {
    expect(formatBytes(Number.NaN)).toBe('—');
    expect(formatBytes(-1)).toBe('—');
  });
});

describe('progress', () => {
  it('never shows 100 % before the end, and 0 % without a total', () => {
    expect(percent(999, 1000)).toBe(99);
    expect(percent(1000, 1000)).toBe(100);
    expect(percent(5, 0)).toBe(0);
    expect(percent(250, 1000)).toBe(25);
  });
  it('words the time left as a person says it', () => {
    expect(formatEta(null)).toBe('Working out the time left…');
    expect(formatEta(4)).toBe('A few seconds left');
    expect(formatEta(42)).toBe('About 40 seconds left');
    expect(formatEta(61)).toBe('About 1 minute left');
    expect(formatEta(20 * 60)).toBe('About 20 minutes left');
    expect(formatEta(3600)).toBe('About 1 hour left');
    expect(formatEta(2 * 3600 + 15 * 60)).toBe('About 2 hours 15 min left');
  });
  it('measures files per second from the first sample, once a second has passed', () => {
    const first = nextFilesRate(undefined, 100, 0);
    expect(first.perSecond).toBeNull();
    expect(nextFilesRate(first, 150, 500).perSecond).toBeNull();
    expect(nextFilesRate(first, 400, 2000).perSecond).toBe(150);
    expect(filesPerSecond({ at: 0, files: 10 }, { at: 4000, files: 10 })).toBe(0);
    // A new job's counts start again from zero: a fresh first sample.
    expect(nextFilesRate(nextFilesRate(first, 400, 2000), 3, 2500).first).toEqual({ at: 2500, files: 3 });
  });
  it('says how long a job took', () => {
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(120)).toBe('2 min');
    expect(formatDuration(3780)).toBe('1 h 3 min');
  });
});

describe('dates', () => {
  const now = new Date(2026, 10, 29, 18, 0);
  it('says Today, Yesterday and Tomorrow, else the full date', () => {
    const on24 = (d: Date) => formatDateTime(d.toISOString(), now, 'en-GB');
    expect(on24(new Date(2026, 10, 29, 2, 30))).toBe('Today 02:30');
    expect(on24(new Date(2026, 10, 28, 14, 5))).toBe('Yesterday 14:05');
    expect(on24(new Date(2026, 10, 30, 2, 30))).toBe('Tomorrow 02:30');
    expect(on24(new Date(2026, 10, 23, 9, 0))).toBe('Mon 23 Nov 2026 09:00');
  });
  it('writes the time as the locale does: a 12-hour clock in en-US, a 24-hour one in de-DE', () => {
    const at = new Date(2026, 10, 28, 14, 5).toISOString();
    expect(formatDateTime(at, now, 'en-US')).toMatch(/^Yesterday 2:05\sPM$/);
    expect(formatDateTime(at, now, 'de-DE')).toBe('Yesterday 14:05');
    expect(formatFullDateTime(at, 'en-US')).toMatch(/^Sat 28 Nov 2026, 2:05:00\sPM$/);
    expect(formatFullDateTime(at, 'en-GB')).toBe('Sat 28 Nov 2026, 14:05:00');
    expect(describeSchedule({ kind: 'daily', at: '19:00' }, 'en-US')).toMatch(/^Every day at 7:00\sPM$/);
    expect(describeSchedule({ kind: 'daily', at: '19:00' }, 'de-DE')).toBe('Every day at 19:00');
  });
});

describe('schedules in words', () => {
  it('describes each kind', () => {
    expect(describeSchedule({ kind: 'manual' })).toBe('Only when you choose Back up now');
    expect(describeSchedule({ kind: 'hourly', everyHours: 1 })).toBe('Every hour');
    expect(describeSchedule({ kind: 'hourly', everyHours: 6 })).toBe('Every 6 hours');
    expect(describeSchedule({ kind: 'daily', at: '02:30' }, 'en-GB')).toBe('Every day at 02:30');
  });
  it('names weekdays Monday first, and says "every day" or "every weekday" when that is what it is', () => {
    expect(describeSchedule({ kind: 'weekly', days: [4, 1], at: '19:00' }, 'en-GB')).toBe(
      'Every Monday and Thursday at 19:00',
    );
    expect(describeSchedule({ kind: 'weekly', days: [0, 6, 3], at: '08:00' }, 'en-GB')).toBe(
      'Every Wednesday, Saturday and Sunday at 08:00',
    );
    expect(describeSchedule({ kind: 'weekly', days: [5, 4, 3, 2, 1], at: '12:00' }, 'en-GB')).toBe(
      'Every weekday (Monday to Friday) at 12:00',
    );
    expect(describeSchedule({ kind: 'weekly', days: [0, 1, 2, 3, 4, 5, 6], at: '12:00' }, 'en-GB')).toBe(
      'Every day at 12:00',
    );
  });
  it('describes retention', () => {
    expect(describeRetention({ mode: 'keep-all' })).toBe('Keep everything');
    expect(
      describeRetention({ mode: 'policy', keepLast: 10, keepDaily: 7, keepWeekly: 4, keepMonthly: 12 }),
    ).toBe('Keep the last 10, 7 daily, 4 weekly and 12 monthly backups');
    expect(describeRetention({ mode: 'policy', keepLast: 1 })).toBe('Keep the last backup');
    expect(describeRetention({ mode: 'policy', keepDaily: 1 })).toBe('Keep 1 daily backup');
    expect(describeRetention({ mode: 'policy', keepLast: 2 })).toBe('Keep the last 2 backups');
  });
});
