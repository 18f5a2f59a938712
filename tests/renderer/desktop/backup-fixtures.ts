/** Records as main sends them, for the renderer's store tests. */
import { vi } from 'vitest';
import type { JobProgress, JobRecord } from '../../../src-shared/backup-jobs';
import type { BackupOverview, ProtectedItemView } from '../../../src-shared/ipc-contract';

export function job(patch: Partial<JobRecord> = {}): JobRecord {
  return {
    id: 'job-000001',
    kind: 'backup',
    itemId: 'item-000001',
    vaultId: 'vault-000001',
    itemName: 'Documents',
    vaultName: 'USB drive',
    trigger: 'manual',
    status: 'running',
    queuedAt: '2026-11-29T10:00:00.000Z',
    startedAt: '2026-11-29T10:00:01.000Z',
    endedAt: null,
    message: null,
    snapshotId: null,
    filesTotal: 10,
    filesDone: 0,
    filesFailed: 0,
    bytesTotal: 1000,
    bytesDone: 0,
    bytesAdded: 0,
    filesNew: null,
    filesChanged: null,
    filesUnmodified: null,
    phases: [],
    restored: null,
    ...patch,
  };
}

export function progress(patch: Partial<JobProgress> = {}): JobProgress {
  return {
    jobId: 'job-000001',
    phase: 'backup',
    filesDone: 3,
    filesTotal: 10,
    bytesDone: 300,
    bytesTotal: 1000,
    currentFile: '/home/me/Documents/a.txt',
    rate: 100,
    eta: 7,
    ...patch,
  };
}

export function itemView(patch: Partial<ProtectedItemView> = {}): ProtectedItemView {
  return {
    item: {
      id: 'item-000001',
      name: 'Documents',
      paths: ['/home/me/Documents'],
      excludes: [],
      excludePresets: [],
      vaultId: 'vault-000001',
      schedule: { kind: 'daily', at: '02:30' },
      retention: { mode: 'keep-all' },
      conditions: { catchUpMissed: true, skipOnBattery: false },
      createdAt: '2026-11-28T10:00:00.000Z',
    },
    vaultName: 'USB drive',
    lastJob: null,
    lastSuccessAt: null,
    nextRunAt: '2026-11-30T02:30:00.000Z',
    activeJob: null,
    progress: null,
    blockedReason: null,
    stale: true,
    ...patch,
  };
}

export function overview(items: ProtectedItemView[] = [itemView()]): BackupOverview {
  return {
    vaults: [
      {
        id: 'vault-000001',
        name: 'USB drive',
        type: 'local',
        location: '/media/usb/backups',
        repositoryId: 'abcdef0123456789',
        passwordStored: true,
        passwordAvailable: true,
        itemCount: items.length,
        createdAt: '2026-11-28T10:00:00.000Z',
      },
    ],
    items,
    preferences: { notifyOnSuccess: false, staleWarningDays: 3, startAtLogin: null },
  };
}

/** Stands in for window.api: each method answers from `answers` and is recorded in `calls`. */
export function scriptBridge(answers: Record<string, (input?: unknown) => unknown>) {
  const calls: { method: string; input: unknown }[] = [];
  const api = Object.fromEntries(
    Object.entries(answers).map(([method, answer]) => [
      method,
      async (input?: unknown) => {
        calls.push({ method, input });
        return answer(input);
      },
    ]),
  );
  vi.stubGlobal('window', { api });
  return calls;
}

export const ok = <T>(value: T) => ({ ok: true as const, value });
