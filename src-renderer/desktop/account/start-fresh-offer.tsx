import { useId, useState } from 'react';
import type { IpcError, LockedVaultView } from '../../../src-shared/ipc-contract';
import { ErrorMessage } from '../../components/error-message';
import { PasswordField } from '../../components/password-field';
import { useRetryCountdown } from '../../components/use-retry-countdown';
import { request } from '../request';
import { accountErrorText } from '../wording';
import { useAccountKey } from './account-key-store';
import { useSecondFactor } from './use-second-factor';

/**
 * "Start fresh": after the administrator reset the password, nothing on this computer opened the
 * account's key. The person may recover it with the account recovery kit ("Forgot password?"), or
 * make a new key here: it says plainly what is lost (the vaults made before, until the old kit is
 * found) and what is kept (those vaults, locked on the server, never deleted). The password and a
 * new code again; main makes the key and the new kit, which opens at once.
 */
export function StartFreshOffer({ totpEnabled }: { totpEnabled: boolean }) {
  const canStartFresh = useAccountKey(
    (s) => s.status?.state === 'unavailable' && s.status.canStartFresh === true,
  );
  const begin = useAccountKey((s) => s.begin);
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState('');
  const second = useSecondFactor(totpEnabled);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const [locked, setLocked] = useState<LockedVaultView[] | null>(null);
  const wait = useRetryCountdown(error);
  const ids = { title: useId(), password: useId(), error: useId() };

  if (!canStartFresh && locked === null) return null;

  const submit = async () => {
    if (wait > 0) return;
    if (!password) return setError({ code: 'bad_request', message: 'Enter your password.' });
    const wrongCode = second.problem();
    if (wrongCode) return setError({ code: 'bad_request', message: wrongCode });
    setBusy(true);
    setError(null);
    const input = { password, ...second.input() };
    const result = await request((api) => api.accountStartFresh(input));
    setPassword('');
    second.clear();
    if (!result.ok) {
      setBusy(false);
      setError(result.error);
      return;
    }
    const vaults = await request((api) => api.accountLockedVaults());
    setLocked(vaults.ok ? vaults.value.vaults : []);
    setBusy(false);
    setOpen(false);
    // Opens the new account recovery kit at once, as at the first unlock.
    await begin(result.value);
  };

  if (locked !== null) {
    return (
      <section className="notice" aria-labelledby={ids.title}>
        <h2 id={ids.title}>Your account has a new key</h2>
        <p className="sr-success" role="status">
          {locked.length === 0
            ? 'Your account started fresh with a new key. Save its new recovery kit.'
            : `Your account started fresh with a new key. ${lockedWords(locked.length)} stay locked on the account server, never deleted: your previous account recovery kit opens them again.`}
        </p>
        {locked.length > 0 && (
          <ul aria-label="Locked vaults">
            {locked.map((v) => (
              <li key={v.vaultId}>
                {v.name === null
                  ? `A vault last changed ${new Date(v.updatedAt).toLocaleDateString()} (locked)`
                  : `${v.name} (locked)`}
              </li>
            ))}
          </ul>
        )}
      </section>
    );
  }

  return (
    <section className="notice warning" aria-labelledby={ids.title}>
      <h2 id={ids.title}>Start fresh with a new account key?</h2>
      <p>
        If you have your account recovery kit, do not start fresh: lock Strongroom and choose “Forgot
        password?” with it, and everything comes back.
      </p>
      {!open ? (
        <div className="actions">
          <button type="button" className="secondary" onClick={() => setOpen(true)}>
            Start fresh…
          </button>
        </div>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <p>
            What you lose: the vaults and backups your account kept until now that this computer does not hold
            the password of cannot be opened with the new key, from this computer or any other, and other
            computers that remember the old key stop opening it.
          </p>
          <p>
            What is kept: those vaults stay on the account server, locked, and are never deleted. If you find
            your previous account recovery kit later, it still opens them. Vaults on this computer whose
            password it holds keep backing up here and are kept by your new key too; one whose password you
            type joins once you enter it. Your new key gets a new account recovery kit: save it.
          </p>
          <PasswordField
            id={ids.password}
            label="Password"
            autoComplete="current-password"
            value={password}
            onChange={(v) => {
              setPassword(v);
              setError(null);
            }}
          />
          {totpEnabled && <p className="quiet">Use a new code: the one you unlocked with is spent.</p>}
          {second.field({ errorId: ids.error, invalid: Boolean(error), onEdit: () => setError(null) })}
          <ErrorMessage
            id={ids.error}
            error={error}
            secondsLeft={wait}
            message={error ? accountErrorText(error) : undefined}
          />
          <div className="actions">
            <button type="submit" className="sr-danger" disabled={busy}>
              {busy ? 'Making a new key…' : 'Start fresh with a new key'}
            </button>
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() => {
                setOpen(false);
                setPassword('');
                second.clear();
                setError(null);
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

function lockedWords(count: number): string {
  return count === 1 ? 'The vault made before' : `The ${count} vaults made before`;
}
