/**
 * Calls through the IPC gate as the renderer makes them (from our window), for tests that drive
 * the composed services: `call` answers the value or throws with the whole result, `refused` the
 * error it was refused with, `ended` waits for a job to reach an end state (read from the job
 * history, so it also works while the app is locked).
 */
import { expect, vi } from 'vitest';
import type { Services } from '../../src-main/compose';
import type { JobRecord } from '../../src-shared/backup-jobs';

export function gateCalls(
  services: () => Pick<Services, 'dispatch' | 'history'>,
  opts: { jobTimeoutMs?: number } = {},
) {
  async function call<T>(channel: string, input?: unknown): Promise<T> {
    const result = await services().dispatch(channel, input, true);
    if (!result || !result.ok) throw new Error(`${channel}: ${JSON.stringify(result)}`);
    return result.value as T;
  }
  async function refused(channel: string, input?: unknown) {
    const result = await services().dispatch(channel, input, true);
    if (!result || result.ok) throw new Error(`${channel} was not refused`);
    return result.error;
  }
  async function ended(jobId: string): Promise<JobRecord> {
    let job: JobRecord | null = null;
    await vi.waitFor(
      () => {
        job = services().history.get(jobId);
        expect(job).not.toBeNull();
        expect(['waiting', 'running']).not.toContain(job!.status);
      },
      { timeout: opts.jobTimeoutMs ?? 60_000, interval: 100 },
    );
    return job!;
  }
  return { call, refused, ended };
}

/** item:save's input for a protected item backed up only on demand, keeping every backup. */
export function manualItem(name: string, paths: string[], vaultId: string) {
  return {
    name,
    paths,
    excludes: [],
    excludePresets: [],
    vaultId,
    schedule: { kind: 'manual' },
    retention: { mode: 'keep-all' },
    conditions: { catchUpMissed: true, skipOnBattery: false },
  };
}
