import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import type { ChannelInput, IpcError, LockReason, LockStatus } from '../../src-shared/ipc-contract';
import { ErrorMessage } from '../components/error-message';
import { TotpCodeInput } from '../components/totp-code-input';
import { useRetryCountdown } from '../components/use-retry-countdown';
import { UsernameField } from '../components/username-field';
import { call, desktopApi, failure } from './api';
import { ForgotPasswordForm } from './account/forgot-password-form';
import { TemporaryPasswordForm } from './account/temporary-password-form';
import { CreateAccountForm } from './create-account-form';
import { useDesktop } from './store';
import { lockReasonText, unlockErrorText } from './wording';

type UnlockInput = ChannelInput<'auth:unlock'>;

interface Failure {
  error: IpcError;
  text: string;
}

const SIX_DIGITS = /^\d{6}$/;

/** The only screen of a locked app: server, username, password, two-factor code, Unlock. */
export function UnlockScreen({ status, notice }: { status: LockStatus; notice: LockReason | null }) {
  const unlocked = useDesktop((s) => s.unlocked);
  const ids = {
    server: useId(),
    serverHint: useId(),
    username: useId(),
    password: useId(),
    code: useId(),
    recovery: useId(),
    recoveryHint: useId(),
    error: useId(),
  };
  const [server, setServer] = useState(status.serverUrl);
  const [username, setUsername] = useState(status.lastUsername ?? '');
  const [password, setPassword] = useState('');
  const [useRecovery, setUseRecovery] = useState(false);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Failure | null>(null);
  // First run on the embedded server: the account can be made right here.
  const [creating, setCreating] = useState(false);
  // "Forgot password?": the recovery-key form takes the card's place.
  const [forgetting, setForgetting] = useState(false);
  // The password was set by an administrator: the attempt that said so, to be sent again with a
  // new password (kept only until that step ends).
  const [temporary, setTemporary] = useState<UnlockInput | null>(null);
  // Only for "Retry" after the server could not be reached: it never saw this attempt. Dropped on
  // any edit, on success and on every other failure.
  const [retryInput, setRetryInput] = useState<UnlockInput | null>(null);

  const usernameRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  // The shared code field takes an id rather than a ref.
  const focusCode = () => document.getElementById(useRecovery ? ids.recovery : ids.code)?.focus();
  const wait = useRetryCountdown(problem?.error.code === 'throttled' ? problem.error : null);
  const throttled = wait > 0;

  useEffect(() => {
    if (creating) return;
    (status.lastUsername ? passwordRef : usernameRef).current?.focus();
  }, [status.lastUsername, creating]);

  const serverChanged = server.trim() !== status.serverUrl;
  const edited = () => setRetryInput(null);

  /** What can be told before asking the server, and the field to fix. */
  function localProblem(): { text: string; field: 'server' | 'username' | 'password' | 'code' } | null {
    if (serverChanged && !/^https?:\/\/\S+$/.test(server.trim()))
      return {
        text: 'The server address must start with http:// or https://, such as https://backup.example.com.',
        field: 'server',
      };
    if (!username.trim()) return { text: 'Enter your username.', field: 'username' };
    if (!password) return { text: 'Enter your password.', field: 'password' };
    const entered = code.replace(/[\s-]+/g, '');
    if (entered && !useRecovery && !SIX_DIGITS.test(entered))
      return { text: 'The two-factor code is six digits.', field: 'code' };
    return null;
  }

  async function attempt(input: UnlockInput) {
    const bridge = desktopApi();
    setBusy(true);
    setProblem(null);
    const result = bridge
      ? await call(() => bridge.authUnlock(input))
      : failure('internal', 'The app is not connected.');
    setBusy(false);
    if (result.ok) {
      setRetryInput(null);
      setPassword('');
      unlocked(result.value);
      return;
    }
    const { error } = result;
    if (error.code === 'password_change_required') {
      setPassword('');
      setRetryInput(null);
      setCode('');
      setTemporary(input);
      return;
    }
    const codeWasEntered = Boolean(input.totp || input.recoveryCode);
    setProblem({
      error,
      text: unlockErrorText(error, { codeWasEntered, serverUrl: input.serverUrl ?? status.serverUrl }),
    });
    // Every failure clears the password field; a code that failed is spent, so it goes too.
    setPassword('');
    setRetryInput(error.code === 'unreachable' ? input : null);
    if (error.code === 'wrong_code' || (error.code === 'invalid_credentials' && codeWasEntered)) setCode('');
    // Focus where the person acts next, once React has rendered the failure.
    setTimeout(() => {
      if (error.code === 'totp_required' || error.code === 'wrong_code') focusCode();
      else passwordRef.current?.focus();
    }, 0);
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (busy || throttled) return;
    const invalid = localProblem();
    if (invalid) {
      setProblem({ error: { code: 'bad_request', message: invalid.text }, text: invalid.text });
      if (invalid.field === 'code') focusCode();
      else document.getElementById(ids[invalid.field])?.focus();
      return;
    }
    const entered = code.trim();
    const input: UnlockInput = {
      username: username.trim(),
      password,
      ...(serverChanged ? { serverUrl: server.trim() } : {}),
      ...(entered ? (useRecovery ? { recoveryCode: entered } : { totp: entered }) : {}),
    };
    void attempt(input);
  }

  const reasonText = lockReasonText(notice);

  if (creating && status.canCreateAccount) {
    return (
      <main className="unlock" aria-labelledby="create-title">
        <div className="unlock-card">
          <div className="brand-mark" aria-hidden="true">
            <span className="brand-glyph" />
          </div>
          <h1 id="create-title">Create account</h1>
          <CreateAccountForm onBack={() => setCreating(false)} />
        </div>
      </main>
    );
  }

  if (temporary) {
    return (
      <main className="unlock" aria-labelledby="temporary-title">
        <div className="unlock-card">
          <div className="brand-mark" aria-hidden="true">
            <span className="brand-glyph" />
          </div>
          <h1 id="temporary-title">Choose a new password</h1>
          <TemporaryPasswordForm
            attempt={temporary}
            serverUrl={temporary.serverUrl ?? status.serverUrl}
            onBack={() => setTemporary(null)}
          />
        </div>
      </main>
    );
  }

  if (forgetting) {
    return (
      <main className="unlock" aria-labelledby="forgot-title">
        <div className="unlock-card">
          <div className="brand-mark" aria-hidden="true">
            <span className="brand-glyph" />
          </div>
          <h1 id="forgot-title">Forgot password</h1>
          <ForgotPasswordForm
            serverUrl={serverChanged ? server.trim() : status.serverUrl}
            serverChanged={serverChanged}
            initialUsername={username.trim()}
            onBack={() => setForgetting(false)}
          />
        </div>
      </main>
    );
  }

  return (
    <main className="unlock" aria-labelledby="unlock-title">
      <div className="unlock-card">
        <div className="brand-mark" aria-hidden="true">
          <span className="brand-glyph" />
        </div>
        <h1 id="unlock-title">Unlock Strongroom</h1>
        <p className="lead">Sign in with your backup account.</p>
        {reasonText && (
          <p className="notice" role="status">
            {reasonText}
          </p>
        )}
        {status.canCreateAccount && (
          <div className="notice first-run-offer">
            <p>No account yet? Create one on this computer to start backing up.</p>
            <button type="button" className="primary" onClick={() => setCreating(true)}>
              Create account
            </button>
          </div>
        )}
        <form onSubmit={onSubmit} noValidate aria-label="Unlock">
          <div className="field">
            <label htmlFor={ids.server}>Server</label>
            <input
              id={ids.server}
              type="url"
              inputMode="url"
              autoComplete="url"
              spellCheck={false}
              value={server}
              aria-describedby={ids.serverHint}
              onChange={(e) => {
                edited();
                setServer(e.target.value);
              }}
            />
            <p className="hint" id={ids.serverHint}>
              {serverChanged
                ? 'A different account server: Strongroom will remember it after you unlock.'
                : status.serverIsLocal
                  ? 'The local account server on this computer (the default).'
                  : status.lastUsername
                    ? 'The account server you used last time.'
                    : 'The account server this app is set up to use.'}
            </p>
            {!serverChanged && status.serverIsLocal && !status.lastUsername && !status.canCreateAccount && (
              // First run on the embedded server: there is no account yet, and the web control
              // panel it serves is where one is made. Plain text: the page opens no windows.
              <p className="hint first-run">
                No account yet? Open <span className="mono selectable">{status.serverUrl}</span> in your web
                browser and choose Create account, then unlock here.
              </p>
            )}
            {serverChanged && (
              <button
                type="button"
                className="sr-link-button"
                onClick={() => {
                  edited();
                  setServer(status.serverUrl);
                }}
              >
                {status.serverIsLocal ? 'Use the local account server' : 'Use the last server'}
              </button>
            )}
          </div>
          <div className="field">
            <UsernameField
              id={ids.username}
              inputRef={usernameRef}
              value={username}
              onChange={(value) => {
                edited();
                setUsername(value);
              }}
            />
          </div>
          <div className="field">
            <label htmlFor={ids.password}>Password</label>
            <input
              id={ids.password}
              ref={passwordRef}
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => {
                edited();
                setPassword(e.target.value);
              }}
            />
          </div>
          <div className="field">
            {useRecovery ? (
              <div className="sr-field">
                <label htmlFor={ids.recovery}>Recovery code</label>
                <input
                  id={ids.recovery}
                  autoComplete="off"
                  autoCapitalize="none"
                  spellCheck={false}
                  maxLength={64}
                  value={code}
                  aria-describedby={ids.recoveryHint}
                  onChange={(e) => {
                    edited();
                    setCode(e.target.value);
                  }}
                />
                <span className="sr-hint" id={ids.recoveryHint}>
                  One of the codes you saved when you turned on two-factor authentication. Each works once.
                </span>
              </div>
            ) : (
              <TotpCodeInput
                id={ids.code}
                value={code}
                required={false}
                hint="From your authenticator app, if two-factor authentication is on for this account."
                invalid={problem?.error.code === 'wrong_code' || problem?.error.code === 'totp_required'}
                errorId={ids.error}
                onChange={(value) => {
                  edited();
                  setCode(value);
                }}
              />
            )}
            <button
              type="button"
              className="sr-link-button"
              onClick={() => {
                edited();
                setUseRecovery(!useRecovery);
                setCode('');
                setTimeout(() => document.getElementById(useRecovery ? ids.code : ids.recovery)?.focus(), 0);
              }}
            >
              {useRecovery ? 'Use a code from your authenticator app' : 'Use a recovery code'}
            </button>
          </div>

          <ErrorMessage id={ids.error} error={problem?.error} secondsLeft={wait} message={problem?.text} />
          {problem?.error.code === 'unreachable' && retryInput && (
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() => void attempt(retryInput)}
            >
              Retry
            </button>
          )}

          <button
            type="submit"
            className="primary wide"
            disabled={busy || throttled}
            aria-describedby={problem ? ids.error : undefined}
          >
            {busy ? 'Unlocking…' : 'Unlock'}
          </button>
          <button
            type="button"
            className="sr-link-button back-link"
            disabled={busy}
            onClick={() => {
              setPassword('');
              setProblem(null);
              setForgetting(true);
            }}
          >
            Forgot password?
          </button>
        </form>
      </div>
    </main>
  );
}
