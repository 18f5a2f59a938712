/**
 * The History page rendered to markup: a backup is one row with its new / changed / unchanged counts
 * and, when one of its phases did not finish, which; a restore reads from the vault to the item; a
 * job's details list its phases with their words.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { HistoryTable, JobDetailsView } from '../../../src-renderer/desktop/history/history-page';
import { job } from './backup-fixtures';

const text = (element: ReturnType<typeof createElement>) =>
  renderToStaticMarkup(element)
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');
const NOW = new Date('2026-11-29T12:00:00.000Z');

describe('the History page', () => {
  it('shows a backup as one row with its counts, a failed phase named on it, and a restore vault → item', () => {
    const backup = job({
      id: 'job-backup1',
      status: 'warning',
      filesDone: 43,
      filesNew: 2,
      filesChanged: 1,
      filesUnmodified: 40,
      endedAt: '2026-11-29T10:05:00.000Z',
      phases: [
        { phase: 'retention', status: 'success', message: 'Retention: removed 1 backup, kept 3.' },
        { phase: 'catalogue', status: 'failed', message: 'The search index update failed: disk full.' },
      ],
    });
    const restore = job({ id: 'job-restor1', kind: 'restore', status: 'success', filesDone: 5 });
    const shown = text(createElement(HistoryTable, { jobs: [restore, backup], now: NOW, onOpen: () => {} }));
    expect(shown).toContain(
      'Backup Documents → USB drive Warning Search index update failed 43 2 new, 1 changed, 40 unchanged',
    );
    expect(shown).not.toContain('Clean-up of old backups');
    expect(shown).toContain('Restore USB drive → Documents Success 5');
    // No counts where none were counted (a restore, or a backup from before counts were kept).
    expect(shown).not.toMatch(/5 \d+ new/);
  });

  it("opens a backup's details with its phases and counts", () => {
    const shown = text(
      createElement(JobDetailsView, {
        job: job({
          status: 'success',
          filesNew: 0,
          filesChanged: 3,
          filesUnmodified: 7,
          phases: [
            {
              phase: 'retention',
              status: 'success',
              message: 'Retention: nothing to remove; 2 backups kept.',
            },
            { phase: 'catalogue', status: 'success', message: 'Search index updated: 1 backup added.' },
          ],
        }),
        log: [],
        onClose: () => {},
      }),
    );
    expect(shown).toContain('Since the last backup 0 new, 3 changed, 7 unchanged');
    expect(shown).toContain('Clean-up of old backups Done Retention: nothing to remove; 2 backups kept.');
    expect(shown).toContain('Search index update Done Search index updated: 1 backup added.');
  });
});
