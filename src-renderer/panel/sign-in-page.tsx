import { useRef, useState, type FormEvent } from 'react';
import type { Problem } from '../components/action-result';
import { ErrorMessage } from '../components/error-message';
import { PasswordField } from '../components/password-field';
import { SecondFactorInput, type SecondFactorMode } from '../components/second-factor-input';
import { useRetryCountdown } from '../components/use-retry-countdown';
import { UsernameField } from '../components/username-field';
import { navigate, routePaths } from './hash-route';
import { rememberNewScheme, signInCredentials, type Credentials } from './key-derivation';
import { useClient, usePanel } from './panel-context';

/**
 * Username and password; when the server answers totp_required, a second step asks for the
 * two-factor code (or a recovery code). The password is never sent: its auth key is derived in a
 * Web Worker with the parameters the server answers for the username, and only that key stays in
 * this component's memory between the two steps, because the server checks all three together.
 */
export function SignInPage() {
  const client = useClient();
  const signedIn = usePanel((s) => s.signedIn);
  const notice = usePanel((s) => s.notice);
  const clearNotice = usePanel((s) => s.clearNotice);
  const prefill = usePanel((s) => s.prefillUsername);
  const signup = usePanel((s) => s.serverInfo?.signup ?? false);

  const [step, setStep] = useState<'password' | 'code'>('password');
  const [username, setUsername] = useState(prefill);
  const [password, setPassword] = useState('');
  const [mode, setMode] = useState<SecondFactorMode>('totp');
  const [second, setSecond] = useState('');
  const [error, setError] = useState<Problem | null>(null);
  const [errorWords, setErrorWords] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const credentials = useRef<Credentials | null>(null);
  const wait = useRetryCountdown(error);

  const fail = (p: Problem, words?: string) => {
    setError(p);
    setErrorWords(words);
  };

  const back = () => {
    credentials.current = null;
    setStep('password');
    setPassword('');
    setSecond('');
    setMode('totp');
    setError(null);
    setErrorWords(undefined);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // "You have signed out" / "session expired" is about the last visit, not this attempt.
    clearNotice();
    if (step === 'password' && (!username.trim() || !password)) {
      fail({ code: 'bad_request', message: 'Enter your username and password.' });
      return;
    }
    const name = username.trim().toLowerCase();
    if (step === 'password') {
      setBusy(true);
      setError(null);
      const params = await client.signInParams(name);
      if (!params.ok) {
        setBusy(false);
        fail(params.error);
        return;
      }
      try {
        credentials.current = await signInCredentials(name, password, params.value);
      } catch (err) {
        setBusy(false);
        fail({ code: 'bad_request', message: (err as Error).message });
        return;
      }
    }
    const input: {
      username: string;
      authKey: string;
      legacyProof?: string;
      totp?: string;
      recoveryCode?: string;
    } = { username: name, ...credentials.current! };
    if (step === 'code') {
      if (mode === 'totp' && second.length !== 6) {
        fail({ code: 'bad_request', message: 'Enter the six-digit code from your authenticator app.' });
        return;
      }
      if (mode === 'recovery' && !second.trim()) {
        fail({ code: 'bad_request', message: 'Enter one of your recovery codes.' });
        return;
      }
      if (mode === 'totp') input.totp = second;
      else input.recoveryCode = second;
    }
    setBusy(true);
    setError(null);
    const r = await client.signIn(input);
    setBusy(false);
    if (r.ok) {
      credentials.current = null;
      setPassword('');
      setSecond('');
      rememberNewScheme(r.value.account.username);
      signedIn(r.value.account, r.value.keys);
      if (r.value.account.mustEnrollTotp) navigate('account');
      return;
    }
    const p = r.error;
    if (p.code === 'totp_required') {
      if (step === 'password') {
        // The key is right; the password itself is no longer needed.
        setPassword('');
        setStep('code');
        setError(null);
      } else fail(p);
      return;
    }
    setSecond('');
    if (step === 'password') credentials.current = null;
    if (p.code === 'invalid_credentials') {
      if (step === 'code') {
        // The password was right a moment ago, so it is the code that was refused.
        fail(
          p,
          mode === 'totp'
            ? 'That two-factor code was not accepted. Enter the current code from your authenticator app (a code works only once; wait for the next one if you just used it).'
            : 'That recovery code was not accepted. It may have been used already; each recovery code works once.',
        );
      } else {
        setPassword('');
        credentials.current = null;
        fail(p, 'The username or password is not right.');
      }
      return;
    }
    if (p.code !== 'throttled' && step === 'password') setPassword('');
    fail(p);
  };

  return (
    <main className="panel-card" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title" tabIndex={-1}>
        {step === 'password' ? 'Sign in' : 'Two-factor authentication'}
      </h1>
      {notice && step === 'password' && (
        <div
          role={notice.kind === 'error' ? 'alert' : 'status'}
          className={notice.kind === 'error' ? 'sr-error' : 'sr-success'}
        >
          {notice.text}
        </div>
      )}
      <form
        onSubmit={(e) => void submit(e)}
        noValidate
        aria-label={step === 'password' ? 'Sign in' : 'Two-factor code'}
      >
        {step === 'password' ? (
          <>
            <UsernameField
              id="sign-in-username"
              name="username"
              value={username}
              onChange={setUsername}
              disabled={busy}
              required
              autoFocus={!prefill}
            />
            <PasswordField
              id="sign-in-password"
              name="password"
              label="Password"
              autoComplete="current-password"
              value={password}
              onChange={setPassword}
              disabled={busy}
              required
              autoFocus={Boolean(prefill)}
            />
          </>
        ) : (
          <>
            <p>
              {/* The account name as the server reads it (usernames are trimmed and lower-cased). */}
              Signing in as <strong>{username.trim().toLowerCase()}</strong>. Open your authenticator app and
              enter the current code for Strongroom.
            </p>
            <SecondFactorInput
              mode={mode}
              onModeChange={(m) => {
                setMode(m);
                setError(null);
              }}
              value={second}
              onChange={setSecond}
              disabled={busy}
              autoFocus
              invalid={Boolean(error)}
              errorId="sign-in-error"
            />
          </>
        )}
        <ErrorMessage error={error} message={errorWords} secondsLeft={wait} id="sign-in-error" />
        <div className="sr-actions">
          <button type="submit" className="sr-primary" disabled={busy || wait > 0}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
          {step === 'code' && (
            <button type="button" onClick={back} disabled={busy}>
              Back
            </button>
          )}
        </div>
      </form>
      {step === 'password' && (
        <p className="sr-hint">
          Forgot your password? Use “Forgot password?” in the Strongroom app with your account recovery kit:
          the web panel never handles your account’s keys.
        </p>
      )}
      {signup && step === 'password' && (
        <p>
          No account yet? <a href={routePaths['create-account']}>Create account</a>
        </p>
      )}
    </main>
  );
}
