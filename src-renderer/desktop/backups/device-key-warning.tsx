import { useState } from 'react';
import type { IpcError } from '../../../src-shared/ipc-contract';
import { ErrorMessage } from '../../components/error-message';
import { request } from '../request';
import { useDesktop } from '../store';

/**
 * Said on Backups when the keychain refused this computer's device key: what stops working while
 * Strongroom is locked, how to fix it, and Try again (main still holds the key for this session).
 */
export function DeviceKeyWarning() {
  const problem = useDesktop((s) =>
    s.screen.kind === 'unlocked' ? s.screen.account.deviceTokenProblem : null,
  );
  const refreshAccount = useDesktop((s) => s.refreshAccount);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  if (!problem) return null;

  const tryAgain = async () => {
    setBusy(true);
    setError(null);
    const result = await request((api) => api.accountKeepDeviceKeyAgain());
    setBusy(false);
    if (!result.ok) return setError(result.error);
    if (result.value.deviceTokenProblem) {
      setError({ code: 'internal', message: 'The keychain still did not accept it.' });
      return;
    }
    await refreshAccount();
  };

  return (
    <div className="notice warning" role="region" aria-label="Backups while locked">
      <p>
        <strong>Backups to account storage will not run while Strongroom is locked.</strong> {problem} Until
        it is fixed, scheduled backups to account storage wait until you unlock Strongroom, and the web panel
        hears of this computer&apos;s backups only while it is unlocked.
      </p>
      <p>Unlock your keychain (your desktop&apos;s Passwords and Keys), then choose Try again.</p>
      <button type="button" className="secondary" disabled={busy} onClick={() => void tryAgain()}>
        {busy ? 'Trying…' : 'Try again'}
      </button>
      <ErrorMessage error={error} />
    </div>
  );
}
