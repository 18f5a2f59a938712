import { useEffect, useState } from 'react';
import type { StorageKeyFile, StorageRepositoryFiles } from '../../src-shared/http-api';
import type { Problem } from '../components/action-result';
import { ErrorMessage } from '../components/error-message';
import { formatTime, visibleText } from './format';
import { OwnerConfirmForm } from './owner-confirm-form';
import { useClient, usePanel } from './panel-context';

const KIND_WORDS: Record<StorageKeyFile['kind'], string> = {
  restic: 'restic key',
  password: 'Strongroom password',
  account: 'Strongroom account',
  envelope: 'Strongroom recovery envelope',
  unreadable: 'Not a key file',
};

interface Removal {
  type: 'keys' | 'locks';
  name: string;
}

/**
 * A repository's key and lock files behind a "Details" disclosure, read only when opened. Each
 * can be removed: a key file that keeps clients out (one a stolen token added), a stale lock.
 * Host, user and creation time are what the client wrote in the key file, shown as text with any
 * control or text-direction character made visible.
 */
export function RepositoryFiles({ name, onChange }: { name: string; onChange: () => void }) {
  const client = useClient();
  const totpEnabled = usePanel((s) => s.account?.totpEnabled ?? false);
  const [open, setOpen] = useState(false);
  const [files, setFiles] = useState<StorageRepositoryFiles | null>(null);
  const [error, setError] = useState<Problem | null>(null);
  const [status, setStatus] = useState('');
  const [removing, setRemoving] = useState<Removal | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    if (!open) return;
    let live = true;
    void client.storageRepositoryFiles(name).then((r) => {
      if (!live) return;
      if (r.ok) {
        setFiles(r.value);
        setError(null);
      } else setError(r.error);
    });
    return () => {
      live = false;
    };
  }, [client, name, open, reload]);

  const short = (n: string) => n.slice(0, 8);
  const removeButton = (type: Removal['type'], fileName: string) => (
    <button
      type="button"
      onClick={() => {
        setRemoving({ type, name: fileName });
        setStatus('');
      }}
      aria-label={`Remove ${type === 'keys' ? 'key' : 'lock'} file ${short(fileName)}`}
    >
      Remove
    </button>
  );

  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Details</summary>
      <ErrorMessage error={error} />
      {status && (
        <p role="status" className="sr-success">
          {status}
        </p>
      )}
      {open && files === null && !error && <p>Loading…</p>}
      {files && (
        <>
          <table className="panel-table" role="table">
            <caption>Key files of {name}</caption>
            <thead role="rowgroup">
              <tr role="row">
                <th scope="col">Key file</th>
                <th scope="col">Kind</th>
                <th scope="col">Host</th>
                <th scope="col">User</th>
                <th scope="col">Created (as written in it)</th>
                <th scope="col">Uploaded by</th>
                <th scope="col">
                  <span className="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody role="rowgroup">
              {files.keys.map((k) => (
                <tr key={k.name} role="row">
                  <th scope="row">{short(k.name)}</th>
                  <td>
                    {KIND_WORDS[k.kind]}
                    {k.problem ? ` (${visibleText(k.problem)})` : ''}
                  </td>
                  <td>{k.host === null ? '—' : visibleText(k.host)}</td>
                  <td>{k.username === null ? '—' : visibleText(k.username)}</td>
                  <td>{k.created === null ? '—' : visibleText(k.created)}</td>
                  <td>
                    {k.writtenBy === null ? 'unknown' : visibleText(k.writtenBy)}, {formatTime(k.receivedAt)}
                  </td>
                  <td>{removeButton('keys', k.name)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {files.keyFilesTotal > files.keys.length && (
            <p>
              Showing {files.keys.length} of {files.keyFilesTotal} key files (the first ones by name).
            </p>
          )}
          {files.locks.length === 0 ? (
            <p>No lock files: no client is working on this repository.</p>
          ) : (
            <table className="panel-table" role="table">
              <caption>Lock files of {name}</caption>
              <thead role="rowgroup">
                <tr role="row">
                  <th scope="col">Lock file</th>
                  <th scope="col">Uploaded by</th>
                  <th scope="col">
                    <span className="visually-hidden">Action</span>
                  </th>
                </tr>
              </thead>
              <tbody role="rowgroup">
                {files.locks.map((l) => (
                  <tr key={l.name} role="row">
                    <th scope="row">{short(l.name)}</th>
                    <td>
                      {l.writtenBy === null ? 'unknown' : visibleText(l.writtenBy)},{' '}
                      {formatTime(l.receivedAt)}
                    </td>
                    <td>{removeButton('locks', l.name)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {files.lockFilesTotal > files.locks.length && (
            <p>
              Showing {files.locks.length} of {files.lockFilesTotal} lock files.
            </p>
          )}
          {removing && (
            <OwnerConfirmForm
              label={`Remove ${removing.type === 'keys' ? 'key' : 'lock'} file ${short(removing.name)}`}
              password={false}
              code={totpEnabled}
              submitLabel="Remove"
              onCancel={() => setRemoving(null)}
              onSubmit={async (c) => {
                const r = await client.removeStorageFile(name, { ...removing, ...c });
                if (!r.ok) return r.error;
                setStatus(
                  removing.type === 'keys'
                    ? `Key file ${short(removing.name)} removed: it is among the recently deleted files until the grace period ends.`
                    : `Lock file ${short(removing.name)} removed.`,
                );
                setRemoving(null);
                setReload((n) => n + 1);
                onChange();
                return null;
              }}
            >
              <p>
                {removing.type === 'keys'
                  ? 'Whoever opens the repository with this key file can no longer do so. You can restore it from the recently deleted files.'
                  : 'Remove a lock only when no backup or clean-up is running on this repository.'}
                {totpEnabled ? ' Confirm with a current two-factor code (or a recovery code).' : ''}
              </p>
            </OwnerConfirmForm>
          )}
        </>
      )}
    </details>
  );
}
