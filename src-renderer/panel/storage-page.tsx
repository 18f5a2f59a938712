import { useEffect, useState, type FormEvent } from 'react';
import type {
  CreatedStorageToken,
  JobReportList,
  RestoreDeletedInput,
  StorageOverview,
  StorageRepositoryDetail,
  StorageToken,
} from '../../src-shared/http-api';
import type { Problem } from '../components/action-result';
import { ErrorMessage } from '../components/error-message';
import { formatBytes } from '../../src-shared/units';
import { DeletionList } from './deletions';
import { ALERT_WORDS } from './storage-words';
import { JOB_KIND_WORDS, JOB_STATUS_WORDS, formatTime, visibleText } from './format';
import { OwnerConfirmForm } from './owner-confirm-form';
import { useClient, usePanel } from './panel-context';
import { RepositoryFiles } from './repository-files';

/**
 * The account storage: repositories with their figures, snapshots as the server received them,
 * key and lock files behind Details, recently deleted files (restore, or delete for good: at once
 * with password and code, or a day later with the password alone when two-factor is off), the
 * whole repository deleted into recently deleted, storage tokens for restic, and the job reports
 * of each device.
 */
export function StoragePage() {
  const client = useClient();
  const [overview, setOverview] = useState<StorageOverview | null>(null);
  const [error, setError] = useState<Problem | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    void client.storageOverview().then((r) => {
      if (!live) return;
      if (r.ok) {
        setOverview(r.value);
        setError(null);
      } else setError(r.error);
    });
    return () => {
      live = false;
    };
  }, [client, reload]);

  return (
    <main className="panel-main panel-wide" aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Storage
      </h1>
      <ErrorMessage error={error} />
      {overview === null && !error && <p>Loading…</p>}
      {overview && (
        <>
          <p>
            Used: {formatBytes(overview.usedBytes)}
            {overview.quotaBytes === null ? ' (no quota)' : ` of ${formatBytes(overview.quotaBytes)}`}. Files
            a device deletes stay restorable for {overview.graceDays} days.
          </p>
          {overview.deletionAlerts.length > 0 && (
            <div role="alert" className="sr-error">
              <p>Backup files that matter were deleted:</p>
              <ul>
                {overview.deletionAlerts.map((a) => (
                  <li key={`${a.repository}-${a.kind}-${a.at}`}>
                    {a.repository}: {ALERT_WORDS[a.kind](a)} on {formatTime(a.at)}
                    {a.device ? ` by ${visibleText(a.device)}` : ''}. Check the recently deleted files below.
                  </li>
                ))}
              </ul>
            </div>
          )}
          <section className="panel-section" aria-labelledby="repos-title">
            <h2 id="repos-title">Repositories</h2>
            {overview.repositories.length === 0 && <p>No repository yet.</p>}
            {overview.repositories.map((repo) => (
              <RepositorySection key={repo.name} name={repo.name} onChange={() => setReload((n) => n + 1)} />
            ))}
          </section>
        </>
      )}
      <StorageTokensSection />
      <JobReportsSection />
    </main>
  );
}

type RepositoryAction = 'purge-now' | 'purge-later' | 'delete' | null;

function RepositorySection({ name, onChange }: { name: string; onChange: () => void }) {
  const client = useClient();
  const totpEnabled = usePanel((s) => s.account?.totpEnabled ?? false);
  const [detail, setDetail] = useState<StorageRepositoryDetail | null>(null);
  const [error, setError] = useState<Problem | null>(null);
  const [status, setStatus] = useState('');
  const [reload, setReload] = useState(0);
  const [action, setAction] = useState<RepositoryAction>(null);

  useEffect(() => {
    let live = true;
    void client.storageRepository(name).then((r) => {
      if (!live) return;
      if (r.ok) setDetail(r.value);
      else setError(r.error);
    });
    return () => {
      live = false;
    };
  }, [client, name, reload]);

  const changed = () => {
    setReload((n) => n + 1);
    onChange();
  };
  const files = (count: number) => `${count} file${count === 1 ? '' : 's'}`;

  const restore = async (which?: RestoreDeletedInput['files']) => {
    const r = await client.restoreDeleted(name, which ? { files: which } : {});
    if (r.ok) {
      setStatus(`${files(r.value.count)} restored.`);
      setError(null);
    } else setError(r.error);
    changed();
  };

  const cancelPurge = async () => {
    const r = await client.cancelPurge(name);
    if (r.ok) {
      setStatus('The removal for good is cancelled: the deleted files stay restorable.');
      setError(null);
    } else setError(r.error);
    changed();
  };

  const toggle = (next: Exclude<RepositoryAction, null>) => {
    setAction(action === next ? null : next);
    setStatus('');
  };

  const headingId = `repo-${name}`;
  return (
    <section className="panel-section" aria-labelledby={headingId}>
      <h3 id={headingId}>{name}</h3>
      <ErrorMessage error={error} />
      {status && (
        <p role="status" className="sr-success">
          {status}
        </p>
      )}
      {detail && (
        <>
          {detail.deletedAt && (
            <p className="sr-error">
              You deleted this repository on {formatTime(detail.deletedAt)}. No client can reach it; its files
              stay restorable until each one&apos;s grace period ends (below).
            </p>
          )}
          <dl className="panel-facts">
            <dt>Size</dt>
            <dd>{formatBytes(detail.sizeBytes)}</dd>
            <dt>Files</dt>
            <dd>{detail.fileCount}</dd>
            <dt>Last write</dt>
            <dd>
              {detail.lastWriteAt
                ? `${formatTime(detail.lastWriteAt)}${detail.lastWriteBy ? ` by ${visibleText(detail.lastWriteBy)}` : ''}`
                : 'Never'}
            </dd>
          </dl>
          <div className="panel-table-wrap">
            <table className="panel-table" role="table">
              <caption>Backups received</caption>
              <thead role="rowgroup">
                <tr role="row">
                  <th scope="col">Backup</th>
                  <th scope="col">Received</th>
                  <th scope="col">From</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody role="rowgroup">
                {detail.snapshots.map((s) => (
                  <tr key={s.id} role="row">
                    <th scope="row">
                      {s.reported
                        ? `${visibleText(s.reported.item)} on ${visibleText(s.reported.deviceName)}, ${formatTime(s.reported.startedAt)}`
                        : s.id.slice(0, 8)}
                    </th>
                    <td>{formatTime(s.receivedAt)}</td>
                    <td>{s.writtenBy === null ? 'unknown' : visibleText(s.writtenBy)}</td>
                    <td>{s.deletedAt ? `Deleted ${formatTime(s.deletedAt)}` : 'Kept'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {detail.deletedAt === null && <RepositoryFiles name={name} onChange={changed} />}
          <h4>Recently deleted</h4>
          {detail.pendingPurges.map((p) => (
            <div key={p.requestedAt} role="alert" className="sr-error">
              <p>
                The recently deleted files of {name} (those deleted by {formatTime(p.requestedAt)}) will be
                removed for good on {formatTime(p.dueAt)}.
              </p>
              <button type="button" onClick={() => void cancelPurge()}>
                Cancel the removal
              </button>
            </div>
          ))}
          {detail.recentlyDeleted.length === 0 ? (
            <p>Nothing was deleted recently.</p>
          ) : (
            <>
              <DeletionList
                vault={name}
                deletions={detail.deletions}
                files={detail.recentlyDeleted}
                onRestore={(which) => void restore(which)}
              />
              <div className="sr-actions">
                <button type="button" className="sr-primary" onClick={() => void restore()}>
                  Restore deleted files
                </button>
                {totpEnabled ? (
                  <button
                    type="button"
                    onClick={() => toggle('purge-now')}
                    aria-expanded={action === 'purge-now'}
                  >
                    Delete permanently now
                  </button>
                ) : (
                  detail.pendingPurges.length === 0 && (
                    <button
                      type="button"
                      onClick={() => toggle('purge-later')}
                      aria-expanded={action === 'purge-later'}
                    >
                      Delete permanently in 24 hours
                    </button>
                  )
                )}
              </div>
            </>
          )}
          {detail.deletedAt === null && (
            <div className="sr-actions">
              <button type="button" onClick={() => toggle('delete')} aria-expanded={action === 'delete'}>
                Delete repository
              </button>
            </div>
          )}
          {action === 'purge-now' && (
            <OwnerConfirmForm
              label={`Delete the recently deleted files of ${name} for good`}
              password
              code
              submitLabel="Delete for good"
              onCancel={() => setAction(null)}
              onSubmit={async (c) => {
                const r = await client.purgeDeleted(name, { authKey: c.authKey!, ...c });
                if (!r.ok) return r.error;
                setStatus(`${files(r.value.count)} deleted for good.`);
                setAction(null);
                changed();
                return null;
              }}
            >
              <p>
                These files cannot be restored afterwards. Confirm with your password and a current two-factor
                code (or a recovery code).
              </p>
            </OwnerConfirmForm>
          )}
          {action === 'purge-later' && (
            <OwnerConfirmForm
              label={`Delete the recently deleted files of ${name} for good in 24 hours`}
              password
              code={false}
              submitLabel="Delete in 24 hours"
              onCancel={() => setAction(null)}
              onSubmit={async (c) => {
                const r = await client.requestPurge(name, { authKey: c.authKey! });
                if (!r.ok) return r.error;
                setStatus(
                  `The recently deleted files will be removed for good on ${formatTime(r.value.dueAt)}.`,
                );
                setAction(null);
                changed();
                return null;
              }}
            >
              <p>
                Without two-factor authentication, only your password confirms this, so it waits 24 hours:
                until then the files stay restorable and you can cancel it here. Turn on two-factor
                authentication to delete for good at once.
              </p>
            </OwnerConfirmForm>
          )}
          {action === 'delete' && (
            <OwnerConfirmForm
              label={`Delete the repository ${name}`}
              password
              code={totpEnabled}
              submitLabel="Delete repository"
              onCancel={() => setAction(null)}
              onSubmit={async (c) => {
                const r = await client.deleteRepository(name, { authKey: c.authKey!, ...c });
                if (!r.ok) return r.error;
                setStatus(
                  `${name} is deleted: ${files(r.value.count)} moved to recently deleted, restorable until the grace period ends.`,
                );
                setAction(null);
                changed();
                return null;
              }}
            >
              <p>
                Every file of {name} moves to the recently deleted files: no client can reach the repository,
                and you can restore it until the grace period ends. Confirm with your password
                {totpEnabled ? ' and a current two-factor code (or a recovery code)' : ''}.
              </p>
            </OwnerConfirmForm>
          )}
        </>
      )}
    </section>
  );
}

function StorageTokensSection() {
  const client = useClient();
  const totpEnabled = usePanel((s) => s.account?.totpEnabled ?? false);
  const [tokens, setTokens] = useState<StorageToken[] | null>(null);
  const [created, setCreated] = useState<CreatedStorageToken | null>(null);
  const [name, setName] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<Problem | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    void client.storageTokens().then((r) => {
      if (!live) return;
      if (r.ok) setTokens(r.value.tokens);
      else setError(r.error);
    });
    return () => {
      live = false;
    };
  }, [client, reload]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    const trimmed = code.replace(/\s+/g, '');
    const secondFactor = !totpEnabled
      ? {}
      : /^\d{6}$/.test(trimmed)
        ? { code: trimmed }
        : { recoveryCode: code };
    const r = await client.createStorageToken({ name, ...secondFactor });
    setCode('');
    if (r.ok) {
      setCreated(r.value);
      setName('');
      setError(null);
    } else setError(r.error);
    setReload((n) => n + 1);
  };

  const revoke = async (id: string) => {
    const r = await client.revokeStorageToken(id);
    if (!r.ok) setError(r.error);
    setReload((n) => n + 1);
  };

  return (
    <section className="panel-section panel-tokens" aria-labelledby="tokens-title">
      <h2 id="tokens-title">Storage tokens</h2>
      <p>For restic or scripts: a token can read and add backups and never erase them at once.</p>
      <p>
        Making one needs a sign-in from the last 15 minutes
        {totpEnabled ? ' and a current two-factor code (or a recovery code)' : ''}.
      </p>
      <ErrorMessage error={error} />
      {created && (
        <div role="status" className="sr-success">
          <p>Token “{visibleText(created.name)}” (shown only now; copy it):</p>
          <code aria-label="New storage token">{created.token}</code>
        </div>
      )}
      <form className="panel-inline-form" onSubmit={(e) => void create(e)}>
        <label>
          Token name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
        </label>
        {totpEnabled && (
          <label>
            Two-factor code or recovery code
            <input
              value={code}
              onChange={(e) => setCode(e.target.value)}
              autoComplete="one-time-code"
              required
            />
          </label>
        )}
        <button type="submit">Create token</button>
      </form>
      {tokens && tokens.length > 0 && (
        <ul>
          {tokens.map((t) => (
            <li key={t.id}>
              {visibleText(t.name)} (created {formatTime(t.createdAt)}, last used{' '}
              {t.lastUsedAt ? formatTime(t.lastUsedAt) : 'never'}){' '}
              <button
                type="button"
                onClick={() => void revoke(t.id)}
                aria-label={`Revoke ${visibleText(t.name)}`}
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function JobReportsSection() {
  const client = useClient();
  const [reports, setReports] = useState<JobReportList | null>(null);
  const [error, setError] = useState<Problem | null>(null);

  useEffect(() => {
    let live = true;
    void client.jobReports().then((r) => {
      if (!live) return;
      if (r.ok) setReports(r.value);
      else setError(r.error);
    });
    return () => {
      live = false;
    };
  }, [client]);

  return (
    <section className="panel-section" aria-labelledby="jobs-title">
      <h2 id="jobs-title">Backup jobs reported by devices</h2>
      <ErrorMessage error={error} />
      {reports && reports.devices.length === 0 && <p>No device has reported a job yet.</p>}
      {reports?.devices.map((d) => (
        <div key={d.deviceId} className="panel-table-wrap">
          <table className="panel-table" role="table">
            <caption>
              {visibleText(d.deviceName)}
              {d.revoked ? ' (revoked)' : ''}
            </caption>
            <thead role="rowgroup">
              <tr role="row">
                <th scope="col">Item</th>
                <th scope="col">Job</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
                <th scope="col">Duration</th>
                <th scope="col">Files</th>
                <th scope="col">Bytes</th>
              </tr>
            </thead>
            <tbody role="rowgroup">
              {d.reports.map((r) => (
                <tr key={`${r.receivedAt}-${r.item}`} role="row">
                  <th scope="row">{visibleText(r.item)}</th>
                  <td>{JOB_KIND_WORDS[r.kind]}</td>
                  <td>
                    {JOB_STATUS_WORDS[r.status]}
                    {r.errors > 0 ? ` (${r.errors} errors)` : ''}
                  </td>
                  <td>{formatTime(r.startedAt)}</td>
                  <td>{Math.round(r.durationMs / 1000)} s</td>
                  <td>
                    {r.filesProcessed} ({r.filesNew} new, {r.filesChanged} changed)
                  </td>
                  <td>
                    {formatBytes(r.bytesProcessed)} ({formatBytes(r.bytesAdded)} added)
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}
