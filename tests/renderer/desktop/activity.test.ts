import { describe, expect, it } from 'vitest';
import { ActivityReporter } from '../../../src-renderer/desktop/activity';

describe('ActivityReporter', () => {
  it('reports the first input at once and then at most once per interval', () => {
    let now = 1_000_000;
    const reports: number[] = [];
    const reporter = new ActivityReporter(
      () => reports.push(now),
      () => now,
      10_000,
    );

    expect(reporter.noteInput()).toBe(true);
    for (let i = 0; i < 50; i++) {
      now += 100; // a burst of mouse moves over 5 s
      reporter.noteInput();
    }
    expect(reports).toEqual([1_000_000]);

    now = 1_000_000 + 9_999;
    expect(reporter.noteInput()).toBe(false);
    now = 1_000_000 + 10_000;
    expect(reporter.noteInput()).toBe(true);
    expect(reports).toEqual([1_000_000, 1_010_000]);
  });
});
