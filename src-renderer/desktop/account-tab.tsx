import { useId, useState } from 'react';
import type { AccountView, IpcError } from '../../src-shared/ipc-contract';
import { ConfirmDialog } from '../components/confirm-dialog';
import { AccountKeySettings } from './account/account-key-settings';
import { useDesktop } from './store';
import { accountErrorText } from './wording';

/** Account tab: the username (read-only) with "Lock…" to its right, the server, the password and the account recovery kit. */
export function AccountTab({ account, serverIsLocal }: { account: AccountView; serverIsLocal: boolean }) {
  const lockAndClose = useDesktop((s) => s.lockAndClose);
  const usernameId = useId();
  const serverId = useId();
  const lockHintId = useId();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);

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
