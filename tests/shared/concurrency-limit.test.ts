import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from '../../src-shared/concurrency-limit';

/** A task that runs until released, so the test decides when each one ends (no timers). */
function gateTask(i: number, log: { running: number; most: number; order: number[] }) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  let started!: () => void;
  const startedP = new Promise<void>((r) => (started = r));
  const task = async () => {
    log.running++;
    log.most = Math.max(log.most, log.running);
    log.order.push(i);
    started();
    await done;
    log.running--;
    return i;
  };
  return { task, release, startedP };
}

describe('ConcurrencyLimit', () => {
  it('runs at most the allowed number of tasks at once, in arrival order', async () => {
    const limit = new ConcurrencyLimit(2);
    const log = { running: 0, most: 0, order: [] as number[] };
    const tasks = [0, 1, 2, 3, 4, 5].map((i) => gateTask(i, log));
    const results = Promise.all(tasks.map((t) => limit.run(t.task)));
    for (const t of tasks) {
      await t.startedP;
      expect(limit.running).toBeLessThanOrEqual(2);
      t.release();
    }
    expect(await results).toEqual([0, 1, 2, 3, 4, 5]);
    expect(log.most).toBe(2);
    expect(log.order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(limit.running).toBe(0);
  });

  it('frees the slot when a task fails', async () => {
    const limit = new ConcurrencyLimit(1);
    await expect(limit.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limit.run(() => Promise.resolve('next'))).toBe('next');
    expect(limit.running).toBe(0);
  });

  it('refuses a limit below one, naming the value', () => {
    expect(() => new ConcurrencyLimit(0)).toThrow(/at least 1, not 0/);
  });
});
