import { useEffect, useState } from 'react';
import type { AuditEvent, AuditEventKind } from '../../src-shared/http-api';
import type { Problem } from '../components/action-result';
import { ErrorMessage } from '../components/error-message';
import { formatTime, visibleText } from './format';
import { useClient } from './panel-context';

const KIND_WORDS: Record<AuditEventKind, string> = {
  sign_in_success: 'Signed in',
  sign_in_failure: 'Failed sign-in',
  totp_enabled: 'Two-factor authentication turned on',
  totp_disabled: 'Two-factor authentication turned off',
  recovery_code_used: 'Recovery code used',
  recovery_codes_regenerated: 'New recovery codes made',
  device_revoked: 'Device revoked',
  device_signed_out: 'Signed out on this device',
  device_replaced: 'Signed in again on this device (its earlier sign-in ended)',
  device_renamed: 'Device renamed',
  password_changed: 'Password changed',
  storage_deletion_burst: 'Many backup files deleted in a day',
  storage_purged: 'Deleted backup files removed for good',
  storage_token_created: 'Storage token created',
  storage_token_revoked: 'Storage token revoked',
  storage_file_removed: 'Key or lock file removed from a storage vault',
  storage_repository_deleted: 'Storage vault deleted (restorable for the grace period)',
  storage_purge_requested: 'Deleted backup files set to be removed for good in a day',
  storage_purge_cancelled: 'Removal of deleted backup files cancelled',
  account_migrated: 'Sign-in upgraded: the server no longer keeps a hash of the password',
  password_reset: 'Password reset by the administrator (temporary)',
  temporary_password_replaced: 'Temporary password replaced',
  password_recovery_begun: 'Forgotten password: recovery key accepted',
  password_recovered: 'Forgotten password: new password set',
  account_key_created: 'Account key made',
  account_key_replaced: 'Account key replaced (started fresh)',
  account_key_rewrapped: 'Account key wrapped with the new password',
  recovery_key_changed: 'New account recovery key',
  device_key_added: 'Computer remembered',
  device_key_removed: 'Computer forgotten',
};

const CLIENT_WORDS: Record<AuditEvent['client'], string> = {
  panel: 'Web control panel',
  desktop: 'Desktop app',
  admin: 'Administrator (command line)',
};

/**
 * The account's audit log, newest first: sign-ins that worked and that did not, and changes.
 * `changedAt` is any value that changes when the account does (its summary), to reload then.
 */
export function HistorySection({ changedAt }: { changedAt?: unknown }) {
  const client = useClient();
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [error, setError] = useState<Problem | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    void client.audit().then((r) => {
      if (!live) return;
      if (r.ok) {
        setEvents(r.value.events);
        setError(null);
      } else setError(r.error);
    });
    return () => {
      live = false;
    };
  }, [client, reload, changedAt]);

  return (
    <section className="panel-section" aria-labelledby="history-title">
      <h2 id="history-title">Sign-in history</h2>
      <ErrorMessage error={error} />
      <div className="sr-actions">
        <button type="button" onClick={() => setReload((n) => n + 1)}>
          Refresh history
        </button>
      </div>
      {events === null && !error && <p>Loading history…</p>}
      {events && events.length === 0 && <p>Nothing recorded yet.</p>}
      {events && events.length > 0 && (
        <div className="panel-table-wrap">
          {/* Explicit roles: the narrow-screen layout (panel.css) changes the display of the table's
              parts, which would otherwise drop their table semantics in some browsers. */}
          <table className="panel-table panel-table-stack" role="table">
            <caption>Sign-ins and account changes, newest first</caption>
            <thead role="rowgroup">
              <tr role="row">
                {['Time', 'Event', 'Address', 'From', 'Device'].map((h) => (
                  <th key={h} scope="col" role="columnheader">
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody role="rowgroup">
              {events.map((ev, i) => (
                <tr
                  key={`${ev.at}-${i}`}
                  role="row"
                  className={ev.kind === 'sign_in_failure' ? 'panel-row-warn' : undefined}
                >
                  <td role="cell" data-label="Time">
                    {formatTime(ev.at)}
                  </td>
                  <td role="cell" data-label="Event">
                    {KIND_WORDS[ev.kind] ?? ev.kind}
                  </td>
                  <td role="cell" data-label="Address">
                    {ev.address}
                  </td>
                  <td role="cell" data-label="From">
                    {CLIENT_WORDS[ev.client] ?? ev.client}
                  </td>
                  <td role="cell" data-label="Device">
                    {ev.device === null ? '—' : visibleText(ev.device)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
