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

  it('still fires on real time without a skip', async () => {
    const clock = new SkippableClock();
    const fired = await new Promise<boolean>((resolve) => {
      clock.setTimeout(() => resolve(true), 5);
    });
    expect(fired).toBe(true);
  });

  it('refuses to go backwards', () => {
    expect(() => new SkippableClock().skip(-1)).toThrow(RangeError);
  });
});
