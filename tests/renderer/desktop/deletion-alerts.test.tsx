/**
 * The deletion warning of an account-storage vault, rendered to markup: what was deleted in words
 * of vaults and backups, when and by which device, how long it stays restorable and where.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { StorageDeletionAlert } from '../../../src-shared/http-api';
import type { AccountStorageUsage } from '../../../src-shared/ipc-contract';
import { DeletionAlertWarning } from '../../../src-renderer/desktop/backups/deletion-alerts';

const NOW = new Date('2026-12-07T18:00:00.000Z');
const DAY = 86_400_000;

const alert = (extra: Partial<StorageDeletionAlert>): StorageDeletionAlert => ({
  repository: 'laptop',
  at: new Date(NOW.getTime() - DAY).toISOString(),
  kind: 'snapshots',
  deletedBytes: 3000,
  repositoryBytes: 90_000,
  deletedFiles: 3,
  repositoryFiles: 8,
  device: 'old\u202Ephone',
  ...extra,
});
const usage = (deletionAlerts: StorageDeletionAlert[]): AccountStorageUsage => ({
  serverUrl: 'https://backup.example.com',
  usedBytes: 90_000,
  quotaBytes: null,
  graceDays: 30,
  deletionAlerts,
  panelStorageUrl: 'https://backup.example.com/#/storage',
});
const shown = (u: AccountStorageUsage) =>
  renderToStaticMarkup(createElement(DeletionAlertWarning, { vaultName: 'Cloud', usage: u, now: NOW }))
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');

describe('the deletion warning of an account-storage vault', () => {
  it('says which backups and which key went, by which device, and where to restore them in time', () => {
    const text = shown(
      usage([
        alert({ kind: 'keys', deletedFiles: 1, repositoryFiles: 1, at: NOW.toISOString() }),
        alert({ kind: 'bytes', at: NOW.toISOString() }),
        alert({}),
      ]),
    );
    expect(text).toContain('Files of &quot;Cloud&quot; were deleted on the server:');
    expect(text).toContain('its key, without which none of its backups can be read');
    expect(text).toContain('3 of 8 backups, within a day');
    expect(text).toContain('by the device &quot;old⟨U+202E⟩phone&quot;');
    // The burst of bytes that is the key file itself is not said twice.
    expect(text).not.toContain('3.0 KB of its 90 KB');
    expect(shown(usage([alert({ kind: 'bytes' })]))).toContain('3.0 KB of its 90 KB, within a day');
    // The backups deleted in the burst may be a day older than its alert: 30 days from two days ago.
    expect(text).toContain('restore them in the web panel’s Storage page within 28 days');
    expect(text).toContain('https://backup.example.com/#/storage');
    expect(text).toContain('Until they are back, backups to this vault may fail.');
    expect(text).not.toMatch(/snapshot|pack|index/i);
  });

  it('says nothing without an alert, and no deadline once the grace period is over', () => {
    expect(shown(usage([]))).toBe('');
    const old = shown(usage([alert({ at: new Date(NOW.getTime() - 31 * DAY).toISOString() })]));
    expect(old).toContain('They may no longer be restorable');
    expect(old).not.toContain('backups to this vault may fail');
  });
});
