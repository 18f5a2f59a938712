import { useState } from 'react';
import type { JobProgress, JobRecord } from '../../../src-shared/backup-jobs';
import type { IpcError } from '../../../src-shared/ipc-contract';
import { ErrorMessage } from '../../components/error-message';
import { formatBytes, formatCount, formatEta, formatFilesRate, formatRate, percent } from './format';

const PHASE_WORDS: Record<JobProgress['phase'], string> = {
  waiting: 'Waiting',
  scan: 'Counting files…',
  backup: 'Backing up',
  restore: 'Restoring',
  verify: 'Verifying',
  retention: 'Removing old backups',
  catalogue: 'Updating the search index',
  finish: 'Finishing…',
};

/**
 * A running job as a person watches it: a bar of bytes done of the total (the quick scan first
 * measures the total), files and bytes per second, time left, the current file, and Cancel.
 */
export function JobProgressView({
  job,
  progress,
  label,
  filesRate = null,
  onCancel,
}: {
  /** Files per second, measured by the store from successive progress events. */
  filesRate?: number | null;
  job: JobRecord;
  progress: JobProgress | null;
  /** The bar's accessible name, e.g. "Backup progress of Documents". */
  label: string;
  onCancel(): Promise<IpcError | null>;
}) {
  const [cancelling, setCancelling] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);

  const cancel = async () => {
    setCancelling(true);
    setError(null);
    const failed = await onCancel();
    if (failed) {
      setError(failed);
      setCancelling(false);
    }
  };

  const waiting = job.status === 'waiting' || progress?.phase === 'waiting';
  const p = progress;
  const scanning = p?.phase === 'scan';
  const pct = p && !scanning ? percent(p.bytesDone, p.bytesTotal) : 0;

  return (
    <div className="job-progress">
      {waiting ? (
        <p className="quiet" role="status">
          {job.message ?? 'Waiting for another job on the same vault to finish.'}
        </p>
      ) : (
        <>
          <div className="progress-line">
            <span className="progress-phase">{p ? PHASE_WORDS[p.phase] : 'Starting…'}</span>
            {p && !scanning && p.bytesTotal > 0 && <span className="progress-pct">{pct} %</span>}
          </div>
          {p && !scanning && p.bytesTotal > 0 ? (
            <progress aria-label={label} max={100} value={pct} />
          ) : (
            // Indeterminate until the scan has measured the total.
            <progress aria-label={label} />
          )}
          {p && (
            <dl className="progress-facts">
              <div>
                <dt>Done</dt>
                <dd>
                  {scanning
                    ? `${formatCount(p.filesTotal, 'file', 'files')} found, ${formatBytes(p.bytesTotal)}`
                    : `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}, ${p.filesDone.toLocaleString('en-US')} of ${formatCount(p.filesTotal, 'file', 'files')}`}
                </dd>
              </div>
              {!scanning && (
                <div>
                  <dt>Speed</dt>
                  <dd>
                    {formatRate(p.rate)}
                    {filesRate !== null && <span className="quiet">, {formatFilesRate(filesRate)}</span>}
                  </dd>
                </div>
              )}
              {!scanning && (
                <div>
                  <dt>Time left</dt>
                  <dd>{formatEta(p.eta)}</dd>
                </div>
              )}
              {p.currentFile && (
                <div className="current-file">
                  <dt>Current file</dt>
                  <dd className="mono" title={p.currentFile}>
                    {/* Cut at the start, so the file's own name stays in view. */}
                    <span dir="ltr">{p.currentFile}</span>
                  </dd>
                </div>
              )}
            </dl>
          )}
        </>
      )}
      <ErrorMessage error={error} />
      <button type="button" className="secondary" onClick={() => void cancel()} disabled={cancelling}>
        {cancelling ? 'Cancelling…' : 'Cancel'}
      </button>
    </div>
  );
}
