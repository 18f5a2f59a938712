import { useId, useState } from 'react';
import type { JobRecord } from '../../src-shared/backup-jobs';
import type { AccountView, IpcError } from '../../src-shared/ipc-contract';
import { ConfirmDialog } from '../components/confirm-dialog';
import { AccountKeySettings } from './account/account-key-settings';
import { useBackups } from './backups/backups-store';
import { isEnded } from './backups/format';
import { useDesktop } from './store';
import { accountErrorText, keepsRunningText } from './wording';

/** Account tab: the username (read-only) with "Lock…" to its right, the server, the password and the account recovery kit. */
export function AccountTab({ account, serverIsLocal }: { account: AccountView; serverIsLocal: boolean }) {
  const lockAndClose = useDesktop((s) => s.lockAndClose);
  const usernameId = useId();
  const serverId = useId();
  const lockHintId = useId();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const running = useRunningJobs();

  const confirm = async () => {
    setBusy(true);
    setError(null);
    const failed = await lockAndClose();
    setBusy(false);
    if (failed) setError(failed);
    else setConfirming(false);
  };

  return (
    <div className="form-grid">
      <div className="field">
        <label htmlFor={usernameId}>Username</label>
        <div className="inline">
          <input id={usernameId} value={account.username} readOnly aria-describedby={lockHintId} />
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setError(null);
              setConfirming(true);
            }}
          >
            Lock…
          </button>
        </div>
        <p className="hint" id={lockHintId}>
          Lock… locks Strongroom and closes it at once. It also locks by itself every time it is closed.
        </p>
      </div>
      <div className="field">
        <label htmlFor={serverId}>Server</label>
        <input
          id={serverId}
          value={serverIsLocal ? `${account.serverUrl} (this computer)` : account.serverUrl}
          readOnly
        />
      </div>
      <AccountKeySettings account={account} />

      <ConfirmDialog
        open={confirming}
        title="Lock Strongroom and close it?"
        confirmLabel={busy ? 'Locking…' : 'Lock and close'}
        busy={busy}
        onConfirm={() => void confirm()}
        onCancel={() => {
          if (!busy) setConfirming(false);
        }}
      >
        <p>Strongroom will lock and close now.</p>
        {running && <p>{running}</p>}
        <p>
          {account.totpEnabled
            ? 'To open it again you will need your password and a two-factor code (TOTP) from your authenticator app.'
            : 'To open it again you will need your password.'}
        </p>
        {error && (
          <p className="error" role="alert">
            {accountErrorText(error)}
          </p>
        )}
      </ConfirmDialog>
    </div>
  );
}

/** The jobs this window knows are waiting or running (the items' current backups and any other job heard of), as one line. */
function useRunningJobs(): string | null {
  const overview = useBackups((s) => s.overview);
  const jobs = useBackups((s) => s.jobs);
  const byId = new Map<string, JobRecord>();
  for (const view of overview?.items ?? []) if (view.activeJob) byId.set(view.activeJob.id, view.activeJob);
  for (const job of Object.values(jobs)) byId.set(job.id, job);
  return keepsRunningText([...byId.values()].filter((job) => !isEnded(job.status)));
}
