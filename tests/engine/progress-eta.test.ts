/**
 * Time left as a backup or restore shows it, on made-up transfers with a fake clock: nothing until
 * the rate is steady, then an estimate near the truth that does not leap, and nothing while stalled.
 */
import { describe, expect, it } from 'vitest';
import { EtaEstimator, progressEmitter, type TransferProgress } from '../../src-engine/repository/progress';

const MB = 1_000_000;

/** Feeds `rateAt(second)` bytes per second into the estimator, ten updates a second, for `seconds`. */
function run(total: number, seconds: number, rateAt: (s: number) => number) {
  const est = new EtaEstimator();
  const out: { s: number; done: number; eta: number | undefined }[] = [];
  let done = 0;
  for (let tick = 1; tick <= seconds * 10; tick++) {
    const s = tick / 10;
    done = Math.min(total, done + rateAt(Math.floor(s)) / 10);
    out.push({ s, done, eta: est.update(s * 1000, done, total).eta });
  }
  return out;
}

describe('the time left', () => {
  it('says nothing for the first seconds, then the truth of a steady transfer', () => {
    const r = run(100 * MB, 30, () => MB);
    expect(r.filter((x) => x.s < 5).every((x) => x.eta === undefined)).toBe(true);
    const at20 = r.find((x) => x.s === 20)!;
    expect(at20.eta).toBeGreaterThan(0.9 * 80);
    expect(at20.eta).toBeLessThan(1.1 * 80);
  });

  it('is not fooled by a fast start: after unchanged files it follows the slow part, within 25 %', () => {
    // 60 MB of cached files in the first 2 seconds, then 0.5 MB/s for the rest.
    const r = run(200 * MB, 40, (s) => (s < 2 ? 30 * MB : 0.5 * MB));
    for (const x of r.filter((y) => y.eta !== undefined && y.s >= 20)) {
      const truth = (200 * MB - x.done) / (0.5 * MB);
      expect(Math.abs(x.eta! - truth) / truth).toBeLessThan(0.25);
    }
    expect(r.some((x) => x.s >= 20 && x.eta !== undefined)).toBe(true);
  });

  it('does not leap on a noisy but steady rate: each second within a factor 1.5 of the one before', () => {
    let seed = 7;
    const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 1.0 + 0.5;
    const rates = Array.from({ length: 120 }, () => noise() * MB);
    const r = run(500 * MB, 120, (s) => rates[s]!);
    const perSecond = r.filter((x) => Number.isInteger(x.s) && x.eta !== undefined && x.eta > 30);
    expect(perSecond.length).toBeGreaterThan(60);
    for (let i = 1; i < perSecond.length; i++) {
      const ratio = perSecond[i]!.eta! / perSecond[i - 1]!.eta!;
      expect(ratio).toBeLessThan(1.5);
      expect(ratio).toBeGreaterThan(1 / 1.5);
    }
  });

  it('says nothing while the transfer has stalled, rather than hundreds of hours', () => {
    // Steady for 20 s, then nothing for 30 s (a huge file being read elsewhere, a network pause).
    const r = run(100 * MB, 50, (s) => (s < 20 ? MB : 0));
    expect(r.find((x) => x.s === 19)!.eta).toBeDefined();
    const stalled = r.filter((x) => x.s >= 31);
    expect(stalled.every((x) => x.eta === undefined)).toBe(true);
  });

  it('is what progressEmitter hands out, with the recent rate as the speed', () => {
    let now = 0;
    const progress: TransferProgress = {
      filesDone: 0,
      filesTotal: 10,
      bytesDone: 0,
      bytesTotal: 100 * MB,
      currentFile: '',
      rate: 0,
      eta: undefined,
    };
    const seen: TransferProgress[] = [];
    const emit = progressEmitter(
      progress,
      0,
      (p) => seen.push(p),
      100,
      () => now,
    );
    for (let tick = 1; tick <= 200; tick++) {
      now = tick * 100;
      progress.bytesDone += MB / 10;
      emit();
    }
    const last = seen[seen.length - 1]!;
    expect(last.rate).toBeCloseTo(MB, -4);
    expect(last.eta).toBeGreaterThan(75);
    expect(last.eta).toBeLessThan(85);
    expect(seen[10]!.eta).toBeUndefined();
  });
});
