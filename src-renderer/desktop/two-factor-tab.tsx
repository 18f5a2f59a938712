import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import type { AccountView, IpcError } from '../../src-shared/ipc-contract';
import { ErrorMessage } from '../components/error-message';
import { PasswordField } from '../components/password-field';
import { RecoveryCodesView } from '../components/recovery-codes-view';
import { SecondFactorInput } from '../components/second-factor-input';
import type { SecondFactorMode } from '../components/second-factor-input';
import { TotpCodeInput } from '../components/totp-code-input';
import { TotpEnrolment } from '../components/totp-enrolment';
import { useRetryCountdown } from '../components/use-retry-countdown';
import { request } from './request';
import { useDesktop } from './store';
import { accountErrorText } from './wording';

type Mode = 'idle' | 'enrolling' | 'disabling';

/**
 * The option "Two-factor authentication (TOTP)": turning it on runs the shared enrolment (QR image,
 * manual key, six-digit code, Save, recovery codes shown once); turning it off asks for the
 * password and a code; new recovery codes need a current code.
 */
export function TwoFactorTab({ account }: { account: AccountView }) {
  const refreshAccount = useDesktop((s) => s.refreshAccount);
  const optionId = useId();
  const optionHintId = useId();
  // A server that requires two-factor authentication: the set-up is what this tab is for.
  const [mode, setMode] = useState<Mode>(
    account.mustEnrollTotp && !account.totpEnabled ? 'enrolling' : 'idle',
  );
  const [notice, setNotice] = useState('');

  const checked = mode === 'enrolling' || (account.totpEnabled && mode !== 'disabling');
  // Once the enrolment has turned TOTP on, its recovery codes are on screen until "stored" is pressed.
  const codesOnScreen = mode === 'enrolling' && account.totpEnabled;

  return (
    <div className="two-factor">
      <div className="field checkbox option">
        <input
          id={optionId}
          type="checkbox"
          checked={checked}
          disabled={codesOnScreen}
          aria-describedby={optionHintId}
          onChange={(e) => {
            setNotice('');
            if (mode === 'enrolling') setMode('idle');
            else if (account.totpEnabled) setMode(e.target.checked ? 'idle' : 'disabling');
            else setMode(e.target.checked ? 'enrolling' : 'idle');
          }}
        />
        <label htmlFor={optionId}>Two-factor authentication (TOTP)</label>
      </div>
      <p className="hint" id={optionHintId}>
        {mode === 'enrolling' && !account.totpEnabled
          ? 'Follow the steps below and Save to turn it on. Nothing changes until you save.'
          : account.totpEnabled
            ? 'On: unlocking Strongroom and signing in to the web control panel need a six-digit code from your authenticator app.'
            : 'Off: your password alone unlocks Strongroom. Turn this on to require a six-digit code from an authenticator app as well.'}
      </p>
      {notice && (
        <p className="sr-success" role="status">
          {notice}
        </p>
      )}

      {mode === 'enrolling' && (
        <TotpEnrolment
          accountName={account.username}
          begin={() => request((api) => api.totpBegin())}
          confirm={(code) => request((api) => api.totpConfirm({ code }))}
          onEnabled={() => void refreshAccount()}
          onDone={() => setMode('idle')}
          onCancel={() => setMode('idle')}
        />
      )}

      {mode === 'disabling' && account.totpEnabled && (
        <DisableForm
          onDisabled={() => {
            setMode('idle');
            setNotice('Two-factor authentication is off. Your password alone now unlocks Strongroom.');
            void refreshAccount();
          }}
          onCancel={() => setMode('idle')}
        />
      )}

      {mode === 'idle' && account.totpEnabled && <RecoveryCodesSection account={account} />}
    </div>
  );
}

function DisableForm({ onDisabled, onCancel }: { onDisabled(): void; onCancel(): void }) {
  const passwordId = useId();
  const errorId = useId();
  const [password, setPassword] = useState('');
  const [factor, setFactor] = useState<SecondFactorMode>('totp');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const wait = useRetryCountdown(error);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!password) return setError({ code: 'bad_request', message: 'Enter your password.' });
    if (factor === 'totp' && code.length !== 6)
      return setError({
        code: 'bad_request',
        message: 'Enter the six-digit code from your authenticator app.',
      });
    if (factor === 'recovery' && !code.trim())
      return setError({ code: 'bad_request', message: 'Enter one of your recovery codes.' });
    setBusy(true);
    setError(null);
    const input = factor === 'totp' ? { password, code } : { password, recoveryCode: code.trim() };
    const result = await request((api) => api.totpDisable(input));
    setBusy(false);
    setPassword('');
    setCode('');
    if (result.ok) onDisabled();
    else setError(result.error);
  };

  return (
    <form
      className="subform"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-label="Turn off two-factor authentication"
    >
      <h2>Turn off two-factor authentication</h2>
      <p>Confirm with your password and a current code (or a recovery code).</p>
      <PasswordField
        id={passwordId}
        label="Password"
        autoComplete="current-password"
        value={password}
        onChange={setPassword}
        disabled={busy}
      />
      <SecondFactorInput
        mode={factor}
        onModeChange={setFactor}
        value={code}
        onChange={setCode}
        disabled={busy}
        invalid={Boolean(error)}
        errorId={errorId}
      />
      <ErrorMessage
        id={errorId}
        error={error}
        secondsLeft={wait}
        message={error ? accountErrorText(error) : undefined}
      />
      <div className="sr-actions">
        <button type="submit" className="sr-danger" disabled={busy || wait > 0}>
          {busy ? 'Turning off…' : 'Turn off two-factor authentication'}
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function RecoveryCodesSection({ account }: { account: AccountView }) {
  const refreshAccount = useDesktop((s) => s.refreshAccount);
  const errorId = useId();
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const wait = useRetryCountdown(error);

  if (codes) {
    return (
      <RecoveryCodesView
        codes={codes}
        accountName={account.username}
        onDone={() => {
          setCodes(null);
          void refreshAccount();
        }}
      />
    );
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (code.length !== 6)
      return setError({
        code: 'bad_request',
        message: 'Enter the six-digit code from your authenticator app.',
      });
    setBusy(true);
    setError(null);
    const result = await request((api) => api.totpRegenerateRecoveryCodes({ code }));
    setBusy(false);
    setCode('');
    if (result.ok) setCodes(result.value.recoveryCodes);
    else setError(result.error);
  };

  return (
    <form className="subform" onSubmit={(e) => void submit(e)} noValidate aria-label="New recovery codes">
      <h2>Recovery codes</h2>
      <p>
        {account.recoveryCodesRemaining === 1
          ? 'You have 1 unused recovery code.'
          : `You have ${account.recoveryCodesRemaining} unused recovery codes.`}{' '}
        New codes replace all the old ones.
      </p>
      <TotpCodeInput
        value={code}
        onChange={setCode}
        disabled={busy}
        invalid={Boolean(error)}
        errorId={errorId}
      />
      <ErrorMessage
        id={errorId}
        error={error}
        secondsLeft={wait}
        message={error ? accountErrorText(error) : undefined}
      />
      <div className="sr-actions">
        <button type="submit" disabled={busy || wait > 0}>
          {busy ? 'Making new codes…' : 'Make new recovery codes'}
        </button>
      </div>
    </form>
  );
}
