import { useEffect, useState } from 'react';
import type { Device } from '../../src-shared/http-api';
import type { Problem } from '../components/action-result';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ErrorMessage } from '../components/error-message';
import { FormDialog } from '../components/form-dialog';
import { formatTime, visibleText } from './format';
import { useClient } from './panel-context';

/**
 * Desktop devices signed in to the account, each revocable (after a confirmation) and renamable
 * (the name stays with that computer when it signs in again).
 */
export function DevicesSection() {
  const client = useClient();
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [error, setError] = useState<Problem | null>(null);
  const [reload, setReload] = useState(0);
  const [pending, setPending] = useState<Device | null>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');
  const [renaming, setRenaming] = useState<Device | null>(null);
  const [newName, setNewName] = useState('');
  const [renameError, setRenameError] = useState<Problem | null>(null);

  useEffect(() => {
    let live = true;
    void client.devices().then((r) => {
      if (!live) return;
      if (r.ok) {
        setDevices(r.value.devices);
        setError(null);
      } else setError(r.error);
    });
    return () => {
      live = false;
    };
  }, [client, reload]);

  const revoke = async () => {
    if (!pending) return;
    setBusy(true);
    const r = await client.revokeDevice(pending.id);
    setBusy(false);
    if (r.ok)
      setStatus(
        `“${visibleText(pending.name)}” is revoked: it is signed out and cannot back up until someone signs in on it again.`,
      );
    else setError(r.error);
    setPending(null);
    setReload((n) => n + 1);
  };

  const rename = async () => {
    if (!renaming) return;
    setBusy(true);
    const r = await client.renameDevice(renaming.id, newName);
    setBusy(false);
    if (!r.ok) {
      setRenameError(r.error);
      return;
    }
    setStatus(`“${visibleText(renaming.name)}” is now called “${visibleText(newName.trim())}”.`);
    setRenaming(null);
    setReload((n) => n + 1);
  };

  return (
    <section className="panel-section" aria-labelledby="devices-title">
      <h2 id="devices-title">Devices</h2>
      <ErrorMessage error={error} />
      {status && (
        <p role="status" className="sr-success">
          {status}
        </p>
      )}
      {devices === null && !error && <p>Loading devices…</p>}
      {devices && devices.length === 0 && <p>No desktop app is signed in to this account.</p>}
      {devices && devices.length > 0 && (
        // Explicit roles: the narrow-screen layout (panel.css) changes the display of the table's
        // parts, which would otherwise drop their table semantics in some browsers.
        <table className="panel-table panel-table-stack" role="table">
          <caption>Desktop apps signed in to this account</caption>
          <thead role="rowgroup">
            <tr role="row">
              <th scope="col" role="columnheader">
                Device
              </th>
              <th scope="col" role="columnheader">
                Added
              </th>
              <th scope="col" role="columnheader">
                Last seen
              </th>
              <th scope="col" role="columnheader">
                <span className="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody role="rowgroup">
            {devices.map((d) => (
              <tr key={d.id} role="row">
                <th scope="row" role="rowheader">
                  {visibleText(d.name)}
                </th>
                <td role="cell" data-label="Added">
                  {formatTime(d.createdAt)}
                </td>
                <td role="cell" data-label="Last seen">
                  {d.lastSeenAt ? formatTime(d.lastSeenAt) : 'Never'}
                </td>
                <td role="cell">
                  <span className="sr-inline">
                    <button
                      type="button"
                      onClick={() => {
                        setRenaming(d);
                        setNewName(d.name);
                        setRenameError(null);
                      }}
                      aria-label={`Rename ${visibleText(d.name)}`}
                    >
                      Rename
                    </button>
                    <button
                      type="button"
                      onClick={() => setPending(d)}
                      aria-label={`Revoke ${visibleText(d.name)}`}
                    >
                      Revoke
                    </button>
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <FormDialog
        open={renaming !== null}
        title={renaming ? `Rename “${visibleText(renaming.name)}”` : 'Rename device'}
        submitLabel="Save name"
        busy={busy}
        onSubmit={() => void rename()}
        onCancel={() => setRenaming(null)}
      >
        <div className="sr-field">
          <label htmlFor="device-new-name">Device name</label>
          <input
            id="device-new-name"
            value={newName}
            onChange={(e) => setNewName(e.target.value)}
            maxLength={100}
            required
          />
        </div>
        <p className="sr-hint">The name stays with this computer when it signs in again.</p>
        <ErrorMessage error={renameError} />
      </FormDialog>
      <ConfirmDialog
        open={pending !== null}
        title={pending ? `Revoke “${visibleText(pending.name)}”?` : 'Revoke device?'}
        confirmLabel="Revoke"
        danger
        busy={busy}
        onConfirm={() => void revoke()}
        onCancel={() => setPending(null)}
      >
        <p>
          The device is signed out at once and its backups stop until someone signs in on it again with the
          password and two-factor code.
        </p>
      </ConfirmDialog>
    </section>
  );
}
