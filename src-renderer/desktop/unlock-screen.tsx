import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import type { ChannelInput, IpcError, LockReason, LockStatus } from '../../src-shared/ipc-contract';
import { ErrorMessage } from '../components/error-message';
import { FieldError, fieldErrorId } from '../components/field-error';
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

type Field = 'server' | 'username' | 'password' | 'code';
const FIELD_ORDER: Field[] = ['server', 'username', 'password', 'code'];
/** Server answers that are about the code field, so they are shown under it. */
const CODE_ERRORS = new Set(['totp_required', 'wrong_code']);

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
  // After the first Unlock, each field's problem shows under it and goes as soon as it is fixed.
  const [checked, setChecked] = useState(false);
  // First run on the embedded server: the account can be made right here.
  const [creating, setCreating] = useState(false);
  // "Forgot password?": the recovery-key form takes the card's place.
  const [forgetting, setForgetting] = useState(false);
  // "Switch account…": another account for this session; this computer's default stays.
  const [switching, setSwitching] = useState(false);
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
  // Typing a code answers the server's request for one, so the request goes.
  const fixedCode = () => {
    if (problem && CODE_ERRORS.has(problem.error.code)) setProblem(null);
  };

  /** What can be told before asking the server, field by field. */
  function localProblems(): Partial<Record<Field, string>> {
    const found: Partial<Record<Field, string>> = {};
    if (serverChanged && !/^https?:\/\/\S+$/.test(server.trim()))
      found.server =
        'The server address must start with http:// or https://, such as https://backup.example.com.';
    if (!username.trim()) found.username = 'Enter your username.';
    if (!password) found.password = 'Enter your password.';
    const entered = code.replace(/[\s-]+/g, '');
    if (entered && !useRecovery && !SIX_DIGITS.test(entered))
      found.code = 'The two-factor code is six digits.';
    return found;
  }
  const fieldErrors = checked ? localProblems() : {};
  const codeProblem = problem && CODE_ERRORS.has(problem.error.code) ? problem : null;
  const codeFieldId = useRecovery ? ids.recovery : ids.code;
  /** The code field's description: its own problem first, then a server answer about it. */
  const codeErrorId = fieldErrors.code ? fieldErrorId(codeFieldId) : codeProblem ? ids.error : undefined;

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
    // A missing code leaves the password as it was (it is all the server has not refused); every
    // other failure clears it, and a code that failed is spent, so it goes too.
    if (error.code !== 'totp_required') setPassword('');
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
    const first = FIELD_ORDER.find((field) => localProblems()[field]);
    // Shown only after a refused Unlock: a password cleared by the server's answer is not an error.
    setChecked(Boolean(first));
    if (first) {
      setProblem(null);
      if (first === 'code') focusCode();
      else document.getElementById(ids[first])?.focus();
      return;
    }
    const entered = code.trim();
    const input: UnlockInput = {
      username: username.trim(),
      password,
      ...(serverChanged ? { serverUrl: server.trim() } : {}),
      ...(entered ? (useRecovery ? { recoveryCode: entered } : { totp: entered }) : {}),
      ...(switching ? { switchAccount: true as const } : {}),
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
        <p className="lead">
          {switching && status.lastUsername
            ? `Sign in to another account, on any server. This computer's backups stay with ${status.lastUsername} on ${status.serverUrl}: Strongroom offers that account again next time.`
            : 'Sign in with your backup account.'}
        </p>
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
              aria-describedby={[fieldErrors.server ? fieldErrorId(ids.server) : '', ids.serverHint]
                .filter(Boolean)
                .join(' ')}
              aria-invalid={fieldErrors.server ? true : undefined}
              onChange={(e) => {
                edited();
                setServer(e.target.value);
              }}
            />
            <FieldError fieldId={ids.server} text={fieldErrors.server} />
            <p className="hint" id={ids.serverHint}>
              {switching
                ? 'The address of the other account’s server, such as https://backup.example.com.'
                : serverChanged
                  ? status.lastUsername
                    ? `This computer's backups belong to ${status.lastUsername} on ${status.serverUrl}. Another server becomes the default only for an account that owns them.`
                    : 'A different account server: Strongroom will remember it after you unlock.'
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
              error={fieldErrors.username}
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
              aria-invalid={fieldErrors.password ? true : undefined}
              aria-describedby={fieldErrors.password ? fieldErrorId(ids.password) : undefined}
              onChange={(e) => {
                edited();
                setPassword(e.target.value);
              }}
            />
            <FieldError fieldId={ids.password} text={fieldErrors.password} />
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
                  aria-invalid={codeErrorId ? true : undefined}
                  aria-describedby={[codeErrorId, ids.recoveryHint].filter(Boolean).join(' ')}
                  onChange={(e) => {
                    edited();
                    fixedCode();
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
                invalid={Boolean(codeErrorId)}
                errorId={codeErrorId}
                onChange={(value) => {
                  edited();
                  fixedCode();
                  setCode(value);
                }}
              />
            )}
            <FieldError fieldId={codeFieldId} text={fieldErrors.code} />
            {codeProblem && (
              <ErrorMessage id={ids.error} error={codeProblem.error} message={codeProblem.text} />
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

          {!codeProblem && (
            <ErrorMessage id={ids.error} error={problem?.error} secondsLeft={wait} message={problem?.text} />
          )}
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
          {status.lastUsername && (
            <button
              type="button"
              className="sr-link-button back-link"
              disabled={busy}
              onClick={() => {
                const next = !switching;
                edited();
                setSwitching(next);
                setServer(status.serverUrl);
                setUsername(next ? '' : (status.lastUsername ?? ''));
                setPassword('');
                setCode('');
                setProblem(null);
                setChecked(false);
                setTimeout(() => (next ? usernameRef : passwordRef).current?.focus(), 0);
              }}
            >
              {switching ? `Back to ${status.lastUsername}` : 'Switch account…'}
            </button>
          )}
        </form>
      </div>
    </main>
  );
}
