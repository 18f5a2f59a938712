import { useState, type FormEvent } from 'react';
import { z } from 'zod';
import { password as passwordSchema, username as usernameSchema } from '../../src-shared/http-api';
import type { Problem } from '../components/action-result';
import { ErrorMessage } from '../components/error-message';
import { PasswordField } from '../components/password-field';
import { useRetryCountdown } from '../components/use-retry-countdown';
import { USERNAME_RULE, UsernameField } from '../components/username-field';
import { navigate, routePaths } from './hash-route';
import { newPasswordCredentials } from './key-derivation';
import { useClient, usePanel } from './panel-context';

/** The contract's own rules, so the words match what the app would say; checked here, never sent. */
const newAccount = z.object({ username: usernameSchema, password: passwordSchema });

/**
 * Shown only when GET /api/server-info says signup is on (by default: the server is on loopback).
 * The password's auth key is derived here (a Web Worker) with new parameters; only that is sent.
 */
export function CreateAccountPage() {
  const client = useClient();
  const accountCreated = usePanel((s) => s.accountCreated);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const wait = useRetryCountdown(error);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const parsed = newAccount.safeParse({ username, password });
    if (!parsed.success) {
      setError({ code: 'bad_request', message: parsed.error.issues[0]?.message ?? 'Check the form.' });
      return;
    }
    if (password !== repeat) {
      setError({
        code: 'bad_request',
        message: 'The two passwords are not the same. Type the password again.',
      });
      return;
    }
    setBusy(true);
    setError(null);
    let derived: Awaited<ReturnType<typeof newPasswordCredentials>>;
    try {
      derived = await newPasswordCredentials(parsed.data.password);
    } catch (err) {
      setBusy(false);
      setError({ code: 'bad_request', message: (err as Error).message });
      return;
    }
    const r = await client.signUp({ username: parsed.data.username, ...derived });
    setBusy(false);
    if (!r.ok) {
      setError(r.error);
      return;
    }
    setPassword('');
    setRepeat('');
    accountCreated(r.value.username);
    navigate('sign-in');
  };

  return (
    <main className="panel-card" aria-labelledby="create-title">
      <h1 id="create-title" tabIndex={-1}>
        Create account
      </h1>
      <form onSubmit={(e) => void submit(e)} noValidate aria-label="Create account">
        <UsernameField
          id="create-username"
          value={username}
          onChange={setUsername}
          hint={USERNAME_RULE}
          disabled={busy}
          required
          autoFocus
        />
        <PasswordField
          id="create-password"
          label="Password"
          autoComplete="new-password"
          value={password}
          onChange={setPassword}
          hint="At least 8 characters; a long phrase is easier to remember and harder to guess."
          disabled={busy}
          required
        />
        <PasswordField
          id="create-repeat"
          label="Repeat password"
          autoComplete="new-password"
          value={repeat}
          onChange={setRepeat}
          disabled={busy}
          required
        />
        <ErrorMessage error={error} secondsLeft={wait} />
        <div className="sr-actions">
          <button type="submit" className="sr-primary" disabled={busy || wait > 0}>
            {busy ? 'Creating…' : 'Create account'}
          </button>
        </div>
      </form>
      <p>
        Have an account already? <a href={routePaths['sign-in']}>Sign in</a>
      </p>
    </main>
  );
}
