import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { IpcError } from '../../../src-shared/ipc-contract';
import { ErrorMessage } from '../../components/error-message';
import { SecondFactorInput, type SecondFactorMode } from '../../components/second-factor-input';
import { useRetryCountdown } from '../../components/use-retry-countdown';
import { UsernameField } from '../../components/username-field';
import { call, desktopApi, failure } from '../api';
import { newPasswordProblem } from '../backups/form-rules';
import { useDesktop } from '../store';
import { forgotPasswordErrorText, unlockErrorText } from '../wording';
import { groupRecoveryKey, normalizeRecoveryKey, recoveryKeyProblem } from './account-words';
import { NewPasswordFields } from './new-password-fields';
import { secondFactorInput, secondFactorProblem } from './second-factor';

/**
 * "Forgot password?": the username, the recovery key from the account recovery kit, a two-factor
 * code (or a recovery code) and a new password. Main opens the account's key with the recovery
 * key, sets the new password and a new recovery key, and unlocks; the new kit is shown next. With
 * two-factor on, the code was spent on the reset, so the unlock with the new password asks for
 * the next one here (`totp_required`), without typing the new password again.
 */
export function ForgotPasswordForm({
  serverUrl,
  serverChanged,
  initialUsername,
  onBack,
}: {
  serverUrl: string;
  /** The person typed another server on the unlock screen: send it along. */
  serverChanged: boolean;
  initialUsername: string;
  onBack(): void;
}) {
  const unlocked = useDesktop((s) => s.unlocked);
  const ids = {
    username: useId(),
    key: useId(),
    keyHint: useId(),
    password: useId(),
    repeat: useId(),
    error: useId(),
  };
  const [username, setUsername] = useState(initialUsername);
  const [recoveryKey, setRecoveryKey] = useState('');
  const [mode, setMode] = useState<SecondFactorMode>('totp');
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  // The new password is set; only the unlock with it is left (it needs the next code).
  const [passwordSet, setPasswordSet] = useState<string | null>(null);
  const wait = useRetryCountdown(error?.code === 'throttled' ? error : null);
  const firstRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (initialUsername) document.getElementById(ids.key)?.focus();
    else firstRef.current?.focus();
  }, [initialUsername, ids.key]);

  const problem = (): { text: string; field: string | null } | null => {
    if (!username.trim()) return { text: 'Enter your username.', field: ids.username };
    const wrongKey = recoveryKeyProblem(recoveryKey);
    if (wrongKey) return { text: wrongKey, field: ids.key };
    const wrongCode = secondFactorProblem(mode, code, false);
    if (wrongCode) return { text: wrongCode, field: null };
    const wrongPassword = newPasswordProblem(password, repeat);
    if (wrongPassword)
      return { text: wrongPassword, field: wrongPassword.startsWith('The two') ? ids.repeat : ids.password };
    return null;
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy || wait > 0) return;
    const wrong = problem();
    if (wrong) {
      setError({ code: 'bad_request', message: wrong.text });
      if (wrong.field) document.getElementById(wrong.field)?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    const bridge = desktopApi();
    const input = {
      ...(serverChanged ? { serverUrl } : {}),
      username: username.trim(),
      recoveryKey: normalizeRecoveryKey(recoveryKey),
      newPassword: password,
      ...secondFactorInput(mode, code),
    };
    const result = bridge
      ? await call(() => bridge.authForgotPassword(input))
      : failure('internal', 'The app is not connected.');
    setBusy(false);
    // A code is spent once tried; the passwords are typed again after any failure.
    setCode('');
    setPassword('');
    setRepeat('');
    if (result.ok) {
      setRecoveryKey('');
      unlocked(result.value);
      return;
    }
    if (result.error.code === 'totp_required') {
      // The reset went through: the recovery key is used up (a new kit comes after the unlock).
      setRecoveryKey('');
      setPasswordSet(input.newPassword);
      setError(null);
      return;
    }
    setError(result.error);
  };

  const unlockWithNewPassword = async (e: FormEvent) => {
    e.preventDefault();
    if (busy || wait > 0 || passwordSet === null) return;
    const wrongCode = secondFactorProblem(mode, code, true);
    if (wrongCode) {
      setError({ code: 'bad_request', message: wrongCode });
      return;
    }
    setBusy(true);
    setError(null);
    const bridge = desktopApi();
    const input = {
      ...(serverChanged ? { serverUrl } : {}),
      username: username.trim(),
      password: passwordSet,
      ...secondFactorInput(mode, code),
    };
    const result = bridge
      ? await call(() => bridge.authUnlock(input))
      : failure('internal', 'The app is not connected.');
    setBusy(false);
    setCode('');
    if (result.ok) {
      setPasswordSet(null);
      unlocked(result.value);
      return;
    }
    setError(result.error);
  };

  if (passwordSet !== null) {
    return (
      <form
        onSubmit={(e) => void unlockWithNewPassword(e)}
        noValidate
        aria-label="Unlock with the new password"
      >
        <p className="sr-success" role="status">
          Your new password is set. To unlock, enter the next code from your authenticator app (not the one
          you just used).
        </p>
        <div className="field">
          <SecondFactorInput
            mode={mode}
            onModeChange={setMode}
            value={code}
            onChange={setCode}
            disabled={busy}
            autoFocus
            invalid={Boolean(error)}
            errorId={ids.error}
          />
        </div>
        <ErrorMessage
          id={ids.error}
          error={error}
          secondsLeft={wait}
          message={error ? unlockErrorText(error, { codeWasEntered: true, serverUrl }) : undefined}
        />
        <button type="submit" className="primary wide" disabled={busy || wait > 0}>
          {busy ? 'Unlocking…' : 'Unlock'}
        </button>
      </form>
    );
  }

  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-label="Forgot password">
      <p className="hint">
        With the recovery key from your account recovery kit and a two-factor code you can set a new password
        for your account on <span className="mono">{serverUrl}</span>. Your backups stay as they are.
      </p>
      <div className="field">
        <UsernameField
          id={ids.username}
          inputRef={firstRef}
          value={username}
          onChange={setUsername}
          disabled={busy}
        />
      </div>
      <div className="field">
        <label htmlFor={ids.key}>Recovery key</label>
        <textarea
          id={ids.key}
          className="mono recovery-key-input"
          rows={3}
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          value={recoveryKey}
          aria-describedby={ids.keyHint}
          disabled={busy}
          onChange={(e) => setRecoveryKey(e.target.value.slice(0, 200))}
          // Regrouped when the person leaves the field, so it can be checked against the paper.
          onBlur={() => setRecoveryKey((k) => (k.trim() ? groupRecoveryKey(k) : k))}
        />
        <p className="hint" id={ids.keyHint}>
          The 14 groups of four characters on your account recovery kit. Spaces, dashes and capitals do not
          matter.
        </p>
      </div>
      <div className="field">
        <SecondFactorInput
          mode={mode}
          onModeChange={setMode}
          value={code}
          onChange={setCode}
          disabled={busy}
          invalid={error?.code === 'wrong_code' || error?.code === 'totp_required'}
          errorId={ids.error}
        />
      </div>
      <NewPasswordFields
        ids={{ password: ids.password, repeat: ids.repeat }}
        password={password}
        repeat={repeat}
        onPassword={(v) => {
          setPassword(v);
          setError(null);
        }}
        onRepeat={(v) => {
          setRepeat(v);
          setError(null);
        }}
        disabled={busy}
      />
      <ErrorMessage
        id={ids.error}
        error={error}
        secondsLeft={wait}
        message={error ? forgotPasswordErrorText(error, serverUrl) : undefined}
      />
      <button type="submit" className="primary wide" disabled={busy || wait > 0}>
        {busy ? 'Setting the new password…' : 'Set new password'}
      </button>
      <button type="button" className="sr-link-button back-link" onClick={onBack} disabled={busy}>
        Back to unlock
      </button>
    </form>
  );
}
