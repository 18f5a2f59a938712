import { useEffect, useId, useRef } from 'react';
import {
  JOB_STATUSES,
  type BackupPhase,
  type JobLogEntry,
  type JobRecord,
  type JobStatus,
} from '../../../src-shared/backup-jobs';
import { ErrorMessage } from '../../components/error-message';
import { useBackups } from '../backups/backups-store';
import {
  formatBytes,
  formatDateTime,
  formatDuration,
  formatFiles,
  formatFullDateTime,
  JOB_KIND_LABELS,
  JOB_STATUS_LABELS,
  jobDurationSeconds,
} from '../backups/format';
import { useNow } from '../backups/backups-page';
import { useFocusOnMount } from '../use-focus-on-mount';
import { useHistory } from './history-store';

/** "Did my backup run?": every job, newest first, filterable, each opening to its details and log. */
export function HistoryPage() {
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const { filter, jobs, more, loading, error, open } = useHistory();
  const setFilter = useHistory((s) => s.setFilter);
  const load = useHistory((s) => s.load);
  const loadOlder = useHistory((s) => s.loadOlder);
  const openJob = useHistory((s) => s.openJob);
  const overview = useBackups((s) => s.overview);
  const loadOverview = useBackups((s) => s.load);
  const ids = { item: useId(), status: useId() };
  const now = useNow();

  useEffect(() => {
    void load();
    if (!useBackups.getState().overview) void loadOverview();
  }, [load, loadOverview]);

  if (open) return <JobDetails />;

  // Items by name for the filter, including removed ones still named in the history.
  const itemChoices = new Map<string, string>();
  for (const v of overview?.items ?? []) itemChoices.set(v.item.id, v.item.name);
  for (const j of jobs)
    if (j.itemId && j.itemName && !itemChoices.has(j.itemId)) itemChoices.set(j.itemId, j.itemName);

  return (
    <section className="page wide-page" aria-labelledby="history-title">
      <h1 id="history-title" ref={heading} tabIndex={-1}>
        History
      </h1>
      <div className="filters" role="search" aria-label="Filter the history">
        <div className="field">
          <label htmlFor={ids.item}>Protected item</label>
          <select
            id={ids.item}
            value={filter.itemId ?? ''}
            onChange={(e) => void setFilter({ itemId: e.target.value || null })}
          >
            <option value="">All items and vaults</option>
            {[...itemChoices].map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.status}>Result</label>
          <select
            id={ids.status}
            value={filter.status ?? ''}
            onChange={(e) => void setFilter({ status: (e.target.value || null) as JobStatus | null })}
          >
            <option value="">All results</option>
            {JOB_STATUSES.map((s) => (
              <option key={s} value={s}>
                {JOB_STATUS_LABELS[s]}
              </option>
            ))}
          </select>
        </div>
      </div>

      {error && (
        <div className="load-problem">
          <ErrorMessage error={error} />
          <button type="button" className="secondary" onClick={() => void load()}>
            Retry
          </button>
        </div>
      )}
      {!error && jobs.length === 0 && (
        <p className="quiet">{loading ? 'Loading the history…' : 'No jobs yet.'}</p>
      )}
      {jobs.length > 0 && <HistoryTable jobs={jobs} now={now} onOpen={(id) => void openJob(id)} />}
      {more && (
        <button type="button" className="secondary" disabled={loading} onClick={() => void loadOlder()}>
          Show older jobs
        </button>
      )}
    </section>
  );
}

/** What a job went between, in the direction it went: an item to its vault, a vault back to an item. */
/** The jobs, newest first: one row each, opening to its details. */
export function HistoryTable({
  jobs,
  now,
  onOpen,
}: {
  jobs: JobRecord[];
  now: Date;
  onOpen: (jobId: string) => void;
}) {
  return (
    <div className="table-wrap">
      <table className="jobs">
        <caption className="visually-hidden">Jobs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Job</th>
            <th scope="col">Result</th>
            <th scope="col">Files</th>
            <th scope="col">Size</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.id}>
              <td>
                <button
                  type="button"
                  className="row-link"
                  onClick={() => onOpen(job.id)}
                  aria-label={`${JOB_KIND_LABELS[job.kind]} ${jobSubject(job)}, ${formatFullDateTime(job.startedAt ?? job.queuedAt)}: ${JOB_STATUS_LABELS[job.status]}`}
                >
                  {formatDateTime(job.startedAt ?? job.queuedAt, now)}
                </button>
              </td>
              <td>
                {JOB_KIND_LABELS[job.kind]} <span className="quiet">{jobSubject(job)}</span>
              </td>
              <td>
                <span className={`status ${job.status}`}>{JOB_STATUS_LABELS[job.status]}</span>
                {phasesNotDone(job).map((p) => (
                  <span key={p.phase} className="quiet phase-note">
                    {PHASE_LABELS[p.phase]} {p.status}
                  </span>
                ))}
              </td>
              <td className="num">
                {job.filesDone.toLocaleString('en-US')}
                {changeCounts(job) && <span className="quiet change-counts">{changeCounts(job)}</span>}
              </td>
              <td className="num">{formatBytes(job.bytesDone)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** What a job went between, in the direction it went: an item to its vault, a vault back to an item. */
export function jobSubject(job: JobRecord): string {
  if (!job.itemName) return job.vaultName;
  return job.kind === 'restore' ? `${job.vaultName} → ${job.itemName}` : `${job.itemName} → ${job.vaultName}`;
}

/** The phases a backup runs after saving its snapshot, as a person knows them. */
export const PHASE_LABELS: Record<BackupPhase['phase'], string> = {
  retention: 'Clean-up of old backups',
  catalogue: 'Search index update',
};

function phasesNotDone(job: JobRecord): BackupPhase[] {
  return job.phases.filter((p) => p.status !== 'success');
}

/** "2 new, 1 changed, 40 unchanged" for a backup that counted them; null otherwise. */
export function changeCounts(job: JobRecord): string | null {
  if (job.filesNew === null || job.filesChanged === null || job.filesUnmodified === null) return null;
  const n = (v: number) => v.toLocaleString('en-US');
  return `${n(job.filesNew)} new, ${n(job.filesChanged)} changed, ${n(job.filesUnmodified)} unchanged`;
}

const TRIGGER_WORDS: Record<JobRecord['trigger'], string> = {
  manual: 'Started by you',
  schedule: 'On schedule',
  'catch-up': 'Catching up a missed run',
};

/** The job opened in the store. */
function JobDetails() {
  const open = useHistory((s) => s.open)!;
  const closeJob = useHistory((s) => s.closeJob);
  return <JobDetailsView job={open.job} log={open.log} onClose={closeJob} />;
}

/** One job: when, what, how it ended, counts, its phases, and its log (each problem with its path). */
export function JobDetailsView({
  job,
  log,
  onClose: closeJob,
}: {
  job: JobRecord;
  log: JobLogEntry[];
  onClose: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  const duration = jobDurationSeconds(job.startedAt, job.endedAt);

  useEffect(() => {
    heading.current?.focus();
  }, [job.id]);

  return (
    <section className="page wide-page" aria-labelledby="job-title">
      <p className="breadcrumb">
        <button type="button" className="sr-link-button" onClick={closeJob}>
          History
        </button>
        <span aria-hidden="true"> › </span>
        {JOB_KIND_LABELS[job.kind]}
      </p>
      <h1 id="job-title" ref={heading} tabIndex={-1}>
        {JOB_KIND_LABELS[job.kind]}: {jobSubject(job)}
      </h1>
      <dl className="facts" aria-label="Job details">
        <div>
          <dt>Result</dt>
          <dd>
            <span className={`status ${job.status}`}>{JOB_STATUS_LABELS[job.status]}</span>
            {job.message && <span className="quiet wrap">{job.message}</span>}
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>
            {job.startedAt ? formatFullDateTime(job.startedAt) : <span className="quiet">Not started</span>}
          </dd>
        </div>
        <div>
          <dt>Took</dt>
          <dd>{duration !== null ? formatDuration(duration) : '—'}</dd>
        </div>
        <div>
          <dt>How</dt>
          <dd>{TRIGGER_WORDS[job.trigger]}</dd>
        </div>
        <div>
          <dt>Files</dt>
          <dd>
            {formatFiles(job.filesDone)}
            {job.filesFailed > 0 && (
              <span className="status warning">
                {job.filesFailed.toLocaleString('en-US')} could not be read or written
              </span>
            )}
          </dd>
        </div>
        {changeCounts(job) && (
          <div>
            <dt>Since the last backup</dt>
            <dd>{changeCounts(job)}</dd>
          </div>
        )}
        {job.phases.map((p) => (
          <div key={p.phase}>
            <dt>{PHASE_LABELS[p.phase]}</dt>
            <dd>
              <span
                className={`status ${p.status === 'success' ? 'success' : p.status === 'failed' ? 'warning' : 'cancelled'}`}
              >
                {p.status === 'success' ? 'Done' : p.status === 'failed' ? 'Failed' : 'Cancelled'}
              </span>
              <span className="quiet wrap">{p.message}</span>
            </dd>
          </div>
        ))}
        <div>
          <dt>{job.kind === 'restore' ? 'Written' : 'Read'}</dt>
          <dd>{formatBytes(job.bytesDone)}</dd>
        </div>
        {job.kind === 'backup' && (
          <div>
            <dt>Added to the vault</dt>
            <dd>
              {formatBytes(job.bytesAdded)}
              <span className="quiet">(new data after deduplication and compression)</span>
            </dd>
          </div>
        )}
        {job.snapshotId && (
          <div>
            <dt>Backup id</dt>
            <dd className="mono">{job.snapshotId.slice(0, 8)}</dd>
          </div>
        )}
      </dl>
      <h2>Log</h2>
      {log.length === 0 ? (
        <p className="quiet">Nothing was logged.</p>
      ) : (
        <ol className="job-log" aria-label="Log">
          {log.map((entry, i) => (
            <li key={i} className={`log-${entry.level}`}>
              <span className="log-time">{formatFullDateTime(entry.at)}</span>
              <span className="log-level">
                {entry.level === 'info' ? 'Info' : entry.level === 'warning' ? 'Warning' : 'Error'}
              </span>
              <span className="log-message">
                {entry.path && <span className="mono path-text">{entry.path}: </span>}
                {entry.message}
              </span>
            </li>
          ))}
        </ol>
      )}
      <div className="actions">
        <button type="button" className="secondary" onClick={closeJob}>
          Back to History
        </button>
      </div>
    </section>
  );
}
