import { useId, useState } from 'react';
import type { IpcError } from '../../../src-shared/ipc-contract';
import { ErrorMessage } from '../../components/error-message';
import { PasswordField } from '../../components/password-field';
import { useAccountKey } from '../account/account-key-store';
import { useSecondFactor } from '../account/use-second-factor';
import { request } from '../request';
import { useDesktop } from '../store';
import { accountErrorText } from '../wording';
import { useBackups } from './backups-store';

/**
 * "This account's server moved": this unlock, at a new address, opened the same account key this
 * computer knows from the old one. Moving takes the account's vaults and account storage to the
 * new address; keeping them changes nothing (the question comes back at the next unlock there).
 * Moving asks the password (and a code) again, so a click alone moves nothing.
 */
export function ServerMovedOffer() {
  const move = useAccountKey((s) => s.status?.serverMoved ?? null);
  const loadKey = useAccountKey((s) => s.load);
  const loadBackups = useBackups((s) => s.load);
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const totpEnabled = useDesktop((s) =>
    s.screen.kind === 'unlocked' ? s.screen.account.totpEnabled : false,
  );
  const passwordId = useId();
  const errorId = useId();
  const [password, setPassword] = useState('');
  const second = useSecondFactor(totpEnabled);

  if (!move && !notice) return null;

  const answer = async (accept: boolean) => {
    if (!move) return;
    if (accept) {
      const problem = !password ? 'Enter your password to move your vaults.' : second.problem();
      if (problem) {
        setError({ code: 'bad_request', message: problem });
        return;
      }
    }
    setBusy(true);
    setError(null);
    const result = await request((api) =>
      api.accountAnswerServerMove(accept ? { accept, password, ...second.input() } : { accept }),
    );
    setBusy(false);
    // A code is good once; the password is not kept once answered.
    second.clear();
    if (!result.ok) {
      setError(result.error);
      return;
    }
    setPassword('');
    if (accept) setNotice(`Your vaults and account storage now use ${move.to}.`);
    await Promise.all([loadKey(), loadBackups()]);
  };

  return (
    <section className="notice" aria-labelledby={titleId}>
      <h2 id={titleId}>This account’s server moved</h2>
      {move && (
        <>
          <PasswordField
            id={passwordId}
            label="Your password (to move)"
            autoComplete="current-password"
            value={password}
            onChange={(v) => {
              setPassword(v);
              setError(null);
            }}
          />
          {second.field({ errorId, invalid: Boolean(error), onEdit: () => setError(null) })}
          <ServerMovedChoice move={move} busy={busy} onAnswer={(accept) => void answer(accept)} />
        </>
      )}
      <ErrorMessage id={errorId} error={error} message={error ? accountErrorText(error) : undefined} />
      {notice && (
        <p className="sr-success" role="status">
          {notice}
        </p>
      )}
    </section>
  );
}

/** The question itself: both addresses, and the two answers. */
export function ServerMovedChoice({
  move,
  busy,
  onAnswer,
}: {
  move: { from: string; to: string };
  busy: boolean;
  onAnswer: (accept: boolean) => void;
}) {
  return (
    <>
      <p>
        {`You signed in at ${move.to} and it opened the same account key this computer knows from ${move.from}. ` +
          'If your account server moved, move your vaults and account storage with it. If you do not know this address, keep them where they are.'}
      </p>
      <div className="actions">
        <button type="button" className="primary" disabled={busy} onClick={() => onAnswer(true)}>
          {busy ? 'Moving…' : `Move to ${move.to}`}
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={() => onAnswer(false)}>
          {`Keep them at ${move.from}`}
        </button>
      </div>
    </>
  );
}
