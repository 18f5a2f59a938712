import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { IpcError } from '../../src-shared/ipc-contract';
import { ErrorMessage } from '../components/error-message';
import { PasswordField } from '../components/password-field';
import { useRetryCountdown } from '../components/use-retry-countdown';
import { USERNAME_RULE, UsernameField } from '../components/username-field';
import { call, desktopApi, failure } from './api';
import { createAccountProblem } from './backups/form-rules';
import { useDesktop } from './store';

/**
 * First run on the embedded local server: the account is made here, in the app (the same rules
 * and words as the control panel's Create account), and unlocks the app; the guide comes next.
 */
export function CreateAccountForm({ onBack }: { onBack(): void }) {
  const unlocked = useDesktop((s) => s.unlocked);
  const ids = {
    username: useId(),
    password: useId(),
    repeat: useId(),
    error: useId(),
  };
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const wait = useRetryCountdown(error);
  const usernameRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    usernameRef.current?.focus();
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy || wait > 0) return;
    const wrong = createAccountProblem(username, password, repeat);
    if (wrong) {
      setError({ code: 'bad_request', message: wrong });
      const field = wrong.startsWith('Username')
        ? ids.username
        : wrong.startsWith('The two')
          ? ids.repeat
          : ids.password;
      document.getElementById(field)?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    const bridge = desktopApi();
    const result = bridge
      ? await call(() => bridge.authCreateAccount({ username: username.trim().toLowerCase(), password }))
      : failure('internal', 'The app is not connected.');
    setBusy(false);
    if (result.ok) {
      setPassword('');
      setRepeat('');
      unlocked(result.value, { firstRun: true });
      return;
    }
    setError(result.error);
  };

  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-label="Create account">
      <p className="hint">
        The account and its account storage live on the account server on this computer, not off-site. You
        unlock Strongroom with it; keep the password safe.
      </p>
      <div className="field">
        <UsernameField
          id={ids.username}
          inputRef={usernameRef}
          value={username}
          onChange={setUsername}
          hint={USERNAME_RULE}
          disabled={busy}
        />
      </div>
      <div className="field">
        <PasswordField
          id={ids.password}
          label="Password"
          autoComplete="new-password"
          value={password}
          onChange={setPassword}
          hint="At least 8 characters; a long phrase is easier to remember and harder to guess."
          disabled={busy}
        />
        <PasswordField
          id={ids.repeat}
          label="Repeat password"
          autoComplete="new-password"
          value={repeat}
          onChange={setRepeat}
          disabled={busy}
        />
      </div>
      <ErrorMessage id={ids.error} error={error} secondsLeft={wait} />
      <button type="submit" className="primary wide" disabled={busy || wait > 0}>
        {busy ? 'Creating…' : 'Create account'}
      </button>
      <button type="button" className="sr-link-button back-link" onClick={onBack} disabled={busy}>
        I have an account: unlock
      </button>
    </form>
  );
}
