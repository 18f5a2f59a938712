import { useEffect, useState, type FormEvent } from 'react';
import type {
  CreatedStorageToken,
  JobReportList,
  StorageOverview,
  StorageRepositoryDetail,
  StorageToken,
} from '../../src-shared/http-api';
import type { Problem } from '../components/action-result';
import { ErrorMessage } from '../components/error-message';
import { PasswordField } from '../components/password-field';
import { formatTime } from './format';
import { passwordAgain } from './key-derivation';
import { useClient, usePanel } from './panel-context';

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/**
 * The account storage: repositories with their figures, snapshots as the server received them,
 * recently deleted files (restore, or delete for good with password and code), storage tokens
 * for restic, and the job reports of each device.
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
    <main className="panel-card">
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
              <p>Many backup files were deleted within a day:</p>
              <ul>
                {overview.deletionAlerts.map((a) => (
                  <li key={`${a.repository}-${a.at}`}>
                    {a.repository}: {formatBytes(a.deletedBytes)} of {formatBytes(a.repositoryBytes)} on{' '}
                    {formatTime(a.at)}
                    {a.device ? ` by ${a.device}` : ''}. Check the recently deleted files below.
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

function RepositorySection({ name, onChange }: { name: string; onChange: () => void }) {
  const client = useClient();
  const [detail, setDetail] = useState<StorageRepositoryDetail | null>(null);
  const [error, setError] = useState<Problem | null>(null);
  const [status, setStatus] = useState('');
  const [reload, setReload] = useState(0);
  const [purging, setPurging] = useState(false);

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

  const restore = async () => {
    const r = await client.restoreDeleted(name);
    if (r.ok) {
      setStatus(`${r.value.count} file${r.value.count === 1 ? '' : 's'} restored.`);
      setError(null);
    } else setError(r.error);
    setReload((n) => n + 1);
    onChange();
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
          <dl className="panel-facts">
            <dt>Size</dt>
            <dd>{formatBytes(detail.sizeBytes)}</dd>
            <dt>Files</dt>
            <dd>{detail.fileCount}</dd>
            <dt>Last write</dt>
            <dd>
              {detail.lastWriteAt
                ? `${formatTime(detail.lastWriteAt)}${detail.lastWriteBy ? ` by ${detail.lastWriteBy}` : ''}`
                : 'Never'}
            </dd>
          </dl>
          <table className="panel-table" role="table">
            <caption>Snapshots received</caption>
            <thead role="rowgroup">
              <tr role="row">
                <th scope="col">Snapshot</th>
                <th scope="col">Received</th>
                <th scope="col">From</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody role="rowgroup">
              {detail.snapshots.map((s) => (
                <tr key={s.id} role="row">
                  <th scope="row">{s.id.slice(0, 8)}</th>
                  <td>{formatTime(s.receivedAt)}</td>
                  <td>{s.writtenBy ?? 'unknown'}</td>
                  <td>{s.deletedAt ? `Deleted ${formatTime(s.deletedAt)}` : 'Kept'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h4>Recently deleted</h4>
          {detail.recentlyDeleted.length === 0 ? (
            <p>Nothing was deleted recently.</p>
          ) : (
            <>
              <table className="panel-table" role="table">
                <caption>Recently deleted files of {name}</caption>
                <thead role="rowgroup">
                  <tr role="row">
                    <th scope="col">File</th>
                    <th scope="col">Size</th>
                    <th scope="col">Deleted</th>
                    <th scope="col">By</th>
                    <th scope="col">Removed for good</th>
                  </tr>
                </thead>
                <tbody role="rowgroup">
                  {detail.recentlyDeleted.map((d) => (
                    <tr key={`${d.type}/${d.name}`} role="row">
                      <th scope="row">
                        {d.type === 'config' ? 'config' : `${d.type}/${d.name.slice(0, 8)}`}
                      </th>
                      <td>{formatBytes(d.sizeBytes)}</td>
                      <td>{formatTime(d.deletedAt)}</td>
                      <td>{d.deletedBy ?? 'unknown'}</td>
                      <td>{formatTime(d.purgeAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <div className="sr-actions">
                <button type="button" className="sr-primary" onClick={() => void restore()}>
                  Restore deleted files
                </button>
                <button type="button" onClick={() => setPurging(!purging)} aria-expanded={purging}>
                  Delete permanently now
                </button>
              </div>
              {purging && (
                <PurgeForm
                  name={name}
                  onDone={(count) => {
                    setStatus(`${count} file${count === 1 ? '' : 's'} deleted for good.`);
                    setPurging(false);
                    setReload((n) => n + 1);
                    onChange();
                  }}
                />
              )}
            </>
          )}
        </>
      )}
    </section>
  );
}

function PurgeForm({ name, onDone }: { name: string; onDone: (count: number) => void }) {
  const client = useClient();
  const username = usePanel((s) => s.account?.username ?? '');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const trimmed = code.replace(/\s+/g, '');
    const authKey = await passwordAgain(client, username, password);
    if (!authKey.ok) {
      setBusy(false);
      setError(authKey.error);
      return;
    }
    const r = await client.purgeDeleted(
      name,
      /^\d{6}$/.test(trimmed)
        ? { authKey: authKey.value, code: trimmed }
        : { authKey: authKey.value, recoveryCode: code },
    );
    setBusy(false);
    if (r.ok) onDone(r.value.count);
    else setError(r.error);
  };

  return (
    <form
      onSubmit={(e) => void submit(e)}
      aria-label={`Delete the recently deleted files of ${name} for good`}
    >
      <p>
        These files cannot be restored afterwards. Confirm with your password and a current two-factor code
        (or a recovery code).
      </p>
      <ErrorMessage error={error} />
      <PasswordField
        id={`purge-password-${name}`}
        label="Password"
        value={password}
        onChange={setPassword}
        autoComplete="current-password"
        required
      />
      <label>
        Two-factor code or recovery code
        <input value={code} onChange={(e) => setCode(e.target.value)} autoComplete="one-time-code" required />
      </label>
      <div className="sr-actions">
        <button type="submit" className="sr-danger" disabled={busy}>
          Delete for good
        </button>
      </div>
    </form>
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
    <section className="panel-section" aria-labelledby="tokens-title">
      <h2 id="tokens-title">Storage tokens</h2>
      <p>For restic or scripts: a token can read and add backups and never erase them at once.</p>
      <p>
        Making one needs a sign-in from the last 15 minutes
        {totpEnabled ? ' and a current two-factor code (or a recovery code)' : ''}.
      </p>
      <ErrorMessage error={error} />
      {created && (
        <div role="status" className="sr-success">
          <p>Token “{created.name}” (shown only now; copy it):</p>
          <code aria-label="New storage token">{created.token}</code>
        </div>
      )}
      <form onSubmit={(e) => void create(e)}>
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
              {t.name} (created {formatTime(t.createdAt)}, last used{' '}
              {t.lastUsedAt ? formatTime(t.lastUsedAt) : 'never'}){' '}
              <button type="button" onClick={() => void revoke(t.id)} aria-label={`Revoke ${t.name}`}>
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
        <table key={d.deviceId} className="panel-table" role="table">
          <caption>
            {d.deviceName}
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
                <th scope="row">{r.item}</th>
                <td>{r.kind}</td>
                <td>
                  {r.status}
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
      ))}
    </section>
  );
}
