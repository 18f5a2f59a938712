import { useEffect, useId, useState } from 'react';
import type { IpcError, LockedVaultView } from '../../../src-shared/ipc-contract';
import { ErrorMessage } from '../../components/error-message';
import { call, desktopApi } from '../api';
import { request } from '../request';

/**
 * Storage vaults, after the account started fresh: the vaults made before are listed as locked
 * (kept on the server, never deleted), with the way back: the earlier account recovery kit adds
 * their account-storage vaults here; drive vaults open with "Open a drive with a recovery key".
 */
export function LockedVaults({ onAdded }: { onAdded(): void }) {
  const ids = { title: useId(), key: useId(), error: useId() };
  const [vaults, setVaults] = useState<LockedVaultView[]>([]);
  const [round, setRound] = useState(0);
  const [recoveryKey, setRecoveryKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const [done, setDone] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    // Not available (no account key open, or the sign-in is no longer fresh): nothing is shown,
    // and the page does not ask for the password just to find out.
    const bridge = desktopApi();
    if (!bridge) return;
    void call(() => bridge.accountLockedVaults()).then((r) => {
      if (current) setVaults(r.ok ? r.value.vaults : []);
    });
    return () => {
      current = false;
    };
  }, [round]);

  if (vaults.length === 0 && !done) return null;

  const submit = async () => {
    if (!recoveryKey.trim())
      return setError({ code: 'bad_request', message: 'Enter the earlier recovery key.' });
    setBusy(true);
    setError(null);
    const result = await request((api) => api.accountOpenLockedVaults({ recoveryKey }));
    setBusy(false);
    setRecoveryKey('');
    if (!result.ok) return setError(result.error);
    const { added, drives, failed = [] } = result.value;
    const words = [
      added.length === 0
        ? 'No account-storage vault was added.'
        : `Added: ${added.map((v) => `“${v.name}”`).join(', ')}.`,
      ...failed.map(
        (f) => `${lockedVaultName(vaults.find((v) => v.vaultId === f.vaultId))} did not open: ${f.reason}.`,
      ),
      drives.length === 0
        ? ''
        : `Drive vaults (${drives.map((d) => `“${d}”`).join(', ')}) open with “Open a drive with a recovery key” and the same kit.`,
    ];
    setDone(words.filter(Boolean).join(' '));
    setRound((n) => n + 1);
    onAdded();
  };

  return (
    <section className="notice" aria-labelledby={ids.title}>
      <h2 id={ids.title}>Locked vaults</h2>
      {vaults.length > 0 && (
        <>
          <p>
            These vaults were made with the key your account had before it started fresh. They are kept on the
            account server and never deleted; the account recovery kit of that earlier key opens them.
          </p>
          <ul aria-label="Locked vaults">
            {vaults.map((v) => (
              <li key={v.vaultId}>{lockedVaultName(v)}</li>
            ))}
          </ul>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void submit();
            }}
          >
            <div className="field">
              <label htmlFor={ids.key}>Earlier account recovery key</label>
              <input
                id={ids.key}
                className="mono"
                autoComplete="off"
                spellCheck={false}
                value={recoveryKey}
                onChange={(e) => {
                  setRecoveryKey(e.target.value);
                  setError(null);
                }}
              />
            </div>
            <ErrorMessage id={ids.error} error={error} />
            <button type="submit" className="secondary" disabled={busy}>
              {busy ? 'Opening…' : 'Open them with this kit'}
            </button>
          </form>
        </>
      )}
      {done && (
        <p className="saved" role="status">
          {done}
        </p>
      )}
    </section>
  );
}

/** Its name where this computer has it, else when it last changed (the name is sealed with the old key). */
function lockedVaultName(v: LockedVaultView | undefined): string {
  if (!v) return 'A vault';
  return v.name !== null
    ? `“${v.name}”`
    : `A vault last changed ${new Date(v.updatedAt).toLocaleDateString()}`;
}
