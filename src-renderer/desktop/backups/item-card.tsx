import { useId, useState } from 'react';
import type { IpcError, ProtectedItemView } from '../../../src-shared/ipc-contract';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { ErrorMessage } from '../../components/error-message';
import { useDesktop } from '../store';
import { useBackups } from './backups-store';
import {
  describeRetention,
  describeSchedule,
  formatBytes,
  formatDateTime,
  formatFiles,
  JOB_STATUS_LABELS,
} from './format';
import { JobProgressView } from './job-progress-view';

const SHOWN_PATHS = 3;

/** One protected item: what, where to, when; how the last backup went; Back up now; its live job. */
export function ItemCard({ view, now }: { view: ProtectedItemView; now: Date }) {
  const navigate = useDesktop((s) => s.navigate);
  const backupNow = useBackups((s) => s.backupNow);
  const cancel = useBackups((s) => s.cancel);
  const removeItem = useBackups((s) => s.removeItem);
  const filesRate = useBackups((s) =>
    view.activeJob ? (s.filesRates[view.activeJob.id]?.perSecond ?? null) : null,
  );
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const [removing, setRemoving] = useState(false);
  const [removeError, setRemoveError] = useState<IpcError | null>(null);
  const { item, lastJob, activeJob } = view;

  const start = async () => {
    setBusy(true);
    setError(null);
    const result = await backupNow(item.id);
    setBusy(false);
    if (!result.ok) setError(result.error);
  };

  const remove = async () => {
    setBusy(true);
    setRemoveError(null);
    const result = await removeItem(item.id);
    setBusy(false);
    if (result.ok) setRemoving(false);
    else setRemoveError(result.error);
  };

  const extra = item.paths.length - SHOWN_PATHS;

  return (
    <article className="item-card" aria-labelledby={titleId}>
      <div className="card-head">
        <h2 id={titleId}>{item.name}</h2>
        <div className="card-actions">
          <button
            type="button"
            className="primary"
            disabled={busy || activeJob !== null}
            onClick={() => void start()}
          >
            Back up now
          </button>
          <button
            type="button"
            className="secondary"
            aria-label={`Edit ${item.name}`}
            onClick={() => navigate({ page: 'item-form', itemId: item.id })}
          >
            Edit
          </button>
          <button
            type="button"
            className="secondary"
            aria-label={`Remove ${item.name}`}
            disabled={activeJob !== null}
            onClick={() => {
              setRemoveError(null);
              setRemoving(true);
            }}
          >
            Remove
          </button>
        </div>
      </div>

      {view.blockedReason && (
        <p className="notice warning" role="status">
          {view.blockedReason}
        </p>
      )}
      {view.stale && (
        <p className="notice warning" role="status">
          {view.lastSuccessAt
            ? `No successful backup since ${formatDateTime(view.lastSuccessAt, now)}. Check the last backup's result below.`
            : 'This item has never been backed up successfully.'}
        </p>
      )}

      <dl className="card-facts">
        <div>
          <dt>Folders</dt>
          <dd>
            <ul className="plain-list">
              {item.paths.slice(0, SHOWN_PATHS).map((p) => (
                <li key={p} className="mono path-text">
                  {p}
                </li>
              ))}
              {extra > 0 && <li className="quiet">and {extra} more</li>}
            </ul>
          </dd>
        </div>
        <div>
          <dt>Storage vault</dt>
          <dd>{view.vaultName}</dd>
        </div>
        <div>
          <dt>Schedule</dt>
          <dd>
            {describeSchedule(item.schedule)}
            <span className="quiet">{describeRetention(item.retention)}</span>
          </dd>
        </div>
        <div>
          <dt>Last backup</dt>
          <dd>
            {lastJob ? (
              <>
                <span>{formatDateTime(lastJob.endedAt ?? lastJob.queuedAt, now)}</span>
                <span className={`status ${lastJob.status}`}>{JOB_STATUS_LABELS[lastJob.status]}</span>
                {(lastJob.status === 'success' || lastJob.status === 'warning') && (
                  <span className="quiet">
                    {formatFiles(lastJob.filesDone)}, {formatBytes(lastJob.bytesTotal || lastJob.bytesDone)}
                  </span>
                )}
              </>
            ) : (
              <span className="quiet">Never</span>
            )}
          </dd>
        </div>
        {lastJob?.message && lastJob.status !== 'success' && (
          <div>
            <dt>Result</dt>
            <dd className="wrap">{lastJob.message}</dd>
          </div>
        )}
        <div>
          <dt>Next backup</dt>
          <dd>
            {view.nextRunAt ? (
              formatDateTime(view.nextRunAt, now)
            ) : (
              <span className="quiet">Not scheduled</span>
            )}
          </dd>
        </div>
      </dl>

      {activeJob && (
        <JobProgressView
          job={activeJob}
          progress={view.progress}
          label={`Backup progress of ${item.name}`}
          filesRate={filesRate}
          onCancel={async () => {
            const result = await cancel(activeJob.id);
            return result.ok ? null : result.error;
          }}
        />
      )}
      <ErrorMessage error={error} />

      <ConfirmDialog
        open={removing}
        title={`Remove ${item.name}?`}
        confirmLabel={busy ? 'Removing…' : 'Remove'}
        danger
        busy={busy}
        onConfirm={() => void remove()}
        onCancel={() => {
          if (!busy) setRemoving(false);
        }}
      >
        <p>Strongroom will stop backing up these folders.</p>
        <p>
          The backups already made stay in the vault &quot;{view.vaultName}&quot;: you can still restore them
          from Restore.
        </p>
        <ErrorMessage error={removeError} />
      </ConfirmDialog>
    </article>
  );
}
