/** The harness's --test-clock: skipping time fires due timers, in order, and only those. */
import { describe, expect, it } from 'vitest';
import { SkippableClock } from '../../src-harness/skippable-clock';

describe('SkippableClock', () => {
  it('moves now() forward and fires only the timers a skip passes, earliest first', () => {
    const clock = new SkippableClock();
    const fired: string[] = [];
    const start = clock.now();
    clock.setTimeout(() => fired.push('two minutes'), 120_000);
    clock.setTimeout(() => fired.push('one minute'), 60_000);
    const cleared = clock.setTimeout(() => fired.push('cleared'), 30_000);
    clock.clearTimeout(cleared);

    clock.skip(59_000);
    expect(fired).toEqual([]);
    expect(clock.now() - start).toBeGreaterThanOrEqual(59_000);
    clock.skip(70_000);
    expect(fired).toEqual(['one minute', 'two minutes']);
    clock.skip(500_000);
    expect(fired).toHaveLength(2);
  });

  it('still fires on real time without a skip, in order, each timer once', async () => {
    const clock = new SkippableClock();
    const fired: string[] = [];
    const cleared = clock.setTimeout(() => fired.push('cleared'), 1);
    clock.clearTimeout(cleared);
    clock.setTimeout(() => fired.push('5 ms'), 5);
    await new Promise<void>((resolve) => {
      clock.setTimeout(() => {
        fired.push('20 ms');
        resolve();
      }, 20);
    });
    expect(fired).toEqual(['5 ms', '20 ms']);
    // Real time, not an offset: the clock's own time has not moved ahead of the wall clock.
    expect(clock.now() - Date.now()).toBeLessThanOrEqual(0);
    // A timer that fired on real time is done: a later skip does not run it again.
    clock.skip(60_000);
    expect(fired).toEqual(['5 ms', '20 ms']);
  });

  it('refuses to go backwards', () => {
    expect(() => new SkippableClock().skip(-1)).toThrow(RangeError);
  });
});
