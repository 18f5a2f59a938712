import { useId, useState, type FormEvent } from 'react';
import type { ChannelInput, IpcError } from '../../../src-shared/ipc-contract';
import { ErrorMessage } from '../../components/error-message';
import { TotpCodeInput } from '../../components/totp-code-input';
import { useRetryCountdown } from '../../components/use-retry-countdown';
import { call, desktopApi, failure } from '../api';
import { newPasswordProblem } from '../backups/form-rules';
import { useDesktop } from '../store';
import { unlockErrorText } from '../wording';
import { NewPasswordFields } from './new-password-fields';

type UnlockInput = ChannelInput<'auth:unlock'>;

/**
 * After an unlock answered `password_change_required` (a password the administrator set): the new
 * password twice, then the same unlock again with `newPassword`. A two-factor code is asked again
 * when the first attempt needed one, since that code is spent.
 */
export function TemporaryPasswordForm({
  attempt,
  serverUrl,
  onBack,
}: {
  attempt: UnlockInput;
  serverUrl: string;
  onBack(): void;
}) {
  const unlocked = useDesktop((s) => s.unlocked);
  const ids = { password: useId(), repeat: useId(), code: useId(), error: useId() };
  // The code (or recovery code) of the first attempt is spent: the same sign-in needs the next one.
  const [askCode, setAskCode] = useState(Boolean(attempt.totp || attempt.recoveryCode));
  const usedCode = askCode;
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const wait = useRetryCountdown(error?.code === 'throttled' ? error : null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy || wait > 0) return;
    const wrong = newPasswordProblem(password, repeat);
    if (wrong) {
      setError({ code: 'bad_request', message: wrong });
      document.getElementById(wrong.startsWith('The two') ? ids.repeat : ids.password)?.focus();
      return;
    }
    if (password === attempt.password) {
      setError({
        code: 'bad_request',
        message: 'Choose a password of your own, not the one the administrator gave you.',
      });
      document.getElementById(ids.password)?.focus();
      return;
    }
    if (usedCode && !/^\d{6}$/.test(code)) {
      setError({
        code: 'bad_request',
        message: 'Enter the newest six-digit code from your authenticator app.',
      });
      document.getElementById(ids.code)?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    const { totp: _spent, recoveryCode: _spentRecovery, ...rest } = attempt;
    const input: UnlockInput = { ...rest, newPassword: password, ...(usedCode ? { totp: code } : {}) };
    const bridge = desktopApi();
    const result = bridge
      ? await call(() => bridge.authUnlock(input))
      : failure('internal', 'The app is not connected.');
    setBusy(false);
    setCode('');
    if (result.ok) {
      setPassword('');
      setRepeat('');
      unlocked(result.value);
      return;
    }
    if (result.error.code === 'totp_required') setAskCode(true);
    setError(result.error);
  };

  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-label="Choose a new password">
      <p className="hint">
        The password you typed was set by the server’s administrator and works only this once. Choose a new
        password of your own for <strong>{attempt.username}</strong>: you will unlock Strongroom with it from
        now on.
      </p>
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
      {usedCode && (
        <div className="field">
          <TotpCodeInput
            id={ids.code}
            value={code}
            onChange={setCode}
            hint="The next code from your authenticator app: a code works only once."
            disabled={busy}
            invalid={error?.code === 'wrong_code'}
            errorId={ids.error}
          />
        </div>
      )}
      <ErrorMessage
        id={ids.error}
        error={error}
        secondsLeft={wait}
        message={error ? unlockErrorText(error, { codeWasEntered: usedCode, serverUrl }) : undefined}
      />
      <button type="submit" className="primary wide" disabled={busy || wait > 0}>
        {busy ? 'Setting the new password…' : 'Set new password and unlock'}
      </button>
      <button type="button" className="sr-link-button back-link" onClick={onBack} disabled={busy}>
        Back to unlock
      </button>
    </form>
  );
}
