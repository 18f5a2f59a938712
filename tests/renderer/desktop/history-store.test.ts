/** History: newest first, filters sent to main, live rows from onJobChanged, paging, details. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mergeJob, PAGE_SIZE, useHistory } from '../../../src-renderer/desktop/history/history-store';
import { job, ok, scriptBridge } from './backup-fixtures';

beforeEach(() => useHistory.getState().reset());
afterEach(() => vi.unstubAllGlobals());

describe('history rows', () => {
  const all = { itemId: null, status: null };
  it('puts a new job on top and updates a known one in place', () => {
    const a = job({ id: 'job-aaaaaa', status: 'success' });
    const b = job({ id: 'job-bbbbbb', status: 'running' });
    let rows = mergeJob([a], all, b);
    expect(rows.map((j) => j.id)).toEqual(['job-bbbbbb', 'job-aaaaaa']);
    rows = mergeJob(rows, all, { ...b, status: 'success' });
    expect(rows.map((j) => j.status)).toEqual(['success', 'success']);
  });
  it('keeps to the filter: a job that stops matching leaves, one that never matched stays out', () => {
    const failedOnly = { itemId: null, status: 'failed' as const };
    const running = job({ id: 'job-cccccc', status: 'running' });
    expect(mergeJob([], failedOnly, running)).toEqual([]);
    const failed = { ...running, status: 'failed' as const };
    expect(mergeJob([], failedOnly, failed)).toEqual([failed]);
    expect(mergeJob([failed], { itemId: 'item-other1', status: null }, failed)).toEqual([]);
  });
});

describe('the history store', () => {
  it('sends the filters to main and pages with the last job seen', async () => {
    const page = Array.from({ length: PAGE_SIZE }, (_, i) =>
      job({ id: `job-${String(i).padStart(6, '0')}` }),
    );
    const calls = scriptBridge({
      jobList: (input) =>
        ok((input as { beforeJobId?: string }).beforeJobId ? [job({ id: 'job-older1' })] : page),
    });
    await useHistory.getState().setFilter({ itemId: 'item-000001', status: 'success' });
    expect(calls[0]!.input).toEqual({ limit: PAGE_SIZE, itemId: 'item-000001', status: 'success' });
    expect(useHistory.getState().more).toBe(true);
    await useHistory.getState().loadOlder();
    expect(calls[1]!.input).toMatchObject({ beforeJobId: page[PAGE_SIZE - 1]!.id });
    expect(useHistory.getState().jobs).toHaveLength(PAGE_SIZE + 1);
    expect(useHistory.getState().more).toBe(false);
  });

  it('opens a job with its log, and reads the log again when that job ends', async () => {
    let status: 'running' | 'success' = 'running';
    const calls = scriptBridge({
      jobGet: () =>
        ok({
          job: job({ status }),
          log:
            status === 'running'
              ? []
              : [{ at: '2026-11-29T10:05:00.000Z', level: 'info', path: null, message: 'Done.' }],
        }),
    });
    await useHistory.getState().openJob('job-000001');
    expect(useHistory.getState().open?.log).toEqual([]);
    status = 'success';
    useHistory.getState().jobChanged(job({ status: 'success' }));
    await vi.waitFor(() => expect(useHistory.getState().open?.log).toHaveLength(1));
    expect(calls.filter((c) => c.method === 'jobGet')).toHaveLength(2);
  });
});
