import { useState, type FormEvent } from 'react';
import { password as passwordSchema } from '../../src-shared/http-api';
import type { Problem } from '../components/action-result';
import { ErrorMessage } from '../components/error-message';
import { PasswordField } from '../components/password-field';
import { useRetryCountdown } from '../components/use-retry-countdown';
import { navigate } from './hash-route';
import { newPasswordCredentials } from './key-derivation';
import { useClient, usePanel, useSignOut } from './panel-context';

/**
 * The first sign-in after the administrator set the password (`user add`, `user reset-password`):
 * nothing else is open until the account has a password of its own. The panel sets it only while
 * the account has no key yet; an account with one re-wraps it with the new password, which only
 * the Strongroom app does.
 */
export function NewPasswordPage() {
  const client = useClient();
  const keys = usePanel((s) => s.keys);
  const setKeys = usePanel((s) => s.setKeys);
  const refreshAccount = usePanel((s) => s.refreshAccount);
  const signOut = useSignOut();
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const wait = useRetryCountdown(error);
  if (!keys) return null;

  if (keys.keyId !== null) {
    return (
      <main className="panel-card" aria-labelledby="page-title">
        <h1 id="page-title" tabIndex={-1}>
          Finish in the Strongroom app
        </h1>
        <p>
          Your administrator set a new password for this account. Sign in to the Strongroom app with it: the
          app asks for a password of your own and keeps your backups’ keys. The web panel cannot do this for
          you.
        </p>
        <div className="sr-actions">
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </main>
    );
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const parsed = passwordSchema.safeParse(next);
    if (!parsed.success) {
      setError({ code: 'bad_request', message: parsed.error.issues[0]?.message ?? 'Check the password.' });
      return;
    }
    if (next !== repeat) {
      setError({
        code: 'bad_request',
        message: 'The two passwords are not the same. Type the new password again.',
      });
      return;
    }
    setBusy(true);
    setError(null);
    let derived: Awaited<ReturnType<typeof newPasswordCredentials>>;
    try {
      derived = await newPasswordCredentials(parsed.data);
    } catch (err) {
      setBusy(false);
      setError({ code: 'bad_request', message: (err as Error).message });
      return;
    }
    const r = await client.replaceTemporaryPassword({ generation: keys.generation, ...derived });
    setBusy(false);
    if (!r.ok) {
      setError(r.error);
      return;
    }
    setNext('');
    setRepeat('');
    setKeys(r.value);
    await refreshAccount();
    // Where a sign-in lands; an account held at two-factor set-up is shown that instead.
    navigate('home');
  };

  return (
    <main className="panel-card" aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Choose your password
      </h1>
      <p>
        Your administrator set the password you signed in with. Choose one of your own to continue: from now
        on, only you know it.
      </p>
      <form onSubmit={(e) => void submit(e)} noValidate aria-label="Choose your password">
        <PasswordField
          id="new-password"
          label="New password"
          autoComplete="new-password"
          value={next}
          onChange={setNext}
          hint="At least 8 characters; a long phrase is easier to remember and harder to guess."
          disabled={busy}
          required
          autoFocus
        />
        <PasswordField
          id="new-password-repeat"
          label="Repeat new password"
          autoComplete="new-password"
          value={repeat}
          onChange={setRepeat}
          disabled={busy}
          required
        />
        <ErrorMessage error={error} secondsLeft={wait} />
        <div className="sr-actions">
          <button type="submit" className="sr-primary" disabled={busy || wait > 0}>
            {busy ? 'Saving…' : 'Save password'}
          </button>
          <button type="button" onClick={() => void signOut()} disabled={busy}>
            Sign out
          </button>
        </div>
      </form>
    </main>
  );
}
