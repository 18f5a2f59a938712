import { useId, useState, type FormEvent } from 'react';
import type { AccountSummary } from '../../src-shared/http-api';
import type { Problem } from '../components/action-result';
import { ErrorMessage } from '../components/error-message';
import { PasswordField } from '../components/password-field';
import { RecoveryCodesView } from '../components/recovery-codes-view';
import { SecondFactorInput, type SecondFactorMode } from '../components/second-factor-input';
import { TotpCodeInput } from '../components/totp-code-input';
import { TotpEnrolment } from '../components/totp-enrolment';
import { useRetryCountdown } from '../components/use-retry-countdown';
import { passwordAgain } from './key-derivation';
import { useClient, usePanel } from './panel-context';

type Mode = 'idle' | 'enrolling' | 'disabling' | 'regenerating';

export interface TwoFactorSectionProps {
  account: AccountSummary;
  /** Re-reads the account after a change (TOTP on or off, new recovery codes). */
  refresh(): Promise<void>;
  /** --require-totp: enrolment starts at once and cannot be cancelled. */
  forced?: boolean;
}

/** The option "Two-factor authentication (TOTP)" of My Account, as on the reference page. */
export function TwoFactorSection({ account, refresh, forced = false }: TwoFactorSectionProps) {
  const client = useClient();
  const [mode, setMode] = useState<Mode>(forced ? 'enrolling' : 'idle');
  const [status, setStatus] = useState('');
  // Set when the server turned TOTP on while the recovery codes are still on screen (the account
  // summary is refreshed only once they are dismissed).
  const [enabledNow, setEnabledNow] = useState(false);
  const isOn = account.totpEnabled || enabledNow;
  const toggleId = useId();

  const onToggle = (checked: boolean) => {
    setStatus('');
    if (account.totpEnabled) setMode(mode === 'disabling' ? 'idle' : 'disabling');
    else setMode(checked ? 'enrolling' : 'idle');
  };

  return (
    <section className="panel-section" aria-labelledby="two-factor-title">
      <h2 id="two-factor-title">Two-factor authentication</h2>
      {!forced && (
        <div className="panel-toggle">
          <input
            id={toggleId}
            type="checkbox"
            checked={account.totpEnabled || mode === 'enrolling'}
            onChange={(e) => onToggle(e.target.checked)}
            aria-describedby={`${toggleId}-state`}
          />
          <label htmlFor={toggleId}>Two-factor authentication (TOTP)</label>
        </div>
      )}
      {!forced && (
        <p id={`${toggleId}-state`} className="sr-hint">
          {isOn
            ? 'On: a code from your authenticator app is needed at every sign-in, here and in the desktop app.'
            : mode === 'enrolling'
              ? 'Being set up: it turns on when you save a code from your app.'
              : 'Off: anyone with your password can sign in. Turn it on to also require a code from your phone.'}
        </p>
      )}
      {status && (
        <p role="status" className="sr-success">
          {status}
        </p>
      )}

      {mode === 'enrolling' && (
        <TotpEnrolment
          begin={() => client.totpBegin()}
          confirm={(code) => client.totpConfirm(code)}
          accountName={account.username}
          onEnabled={() => setEnabledNow(true)}
          onDone={() => {
            // Refresh only now: under --require-totp the page changes layout once the account is
            // enrolled, and the recovery codes must stay on screen until the person is done.
            void refresh().then(() => {
              setEnabledNow(false);
              setMode('idle');
            });
          }}
          onCancel={forced ? undefined : () => setMode('idle')}
        />
      )}

      {mode === 'disabling' && (
        <DisableForm
          onCancel={() => setMode('idle')}
          onDisabled={() => {
            void refresh().then(() => {
              setMode('idle');
              setStatus('Two-factor authentication is off.');
            });
          }}
        />
      )}

      {account.totpEnabled && mode !== 'enrolling' && mode !== 'disabling' && (
        <RecoveryCodesPart
          remaining={account.recoveryCodesRemaining}
          accountName={account.username}
          open={mode === 'regenerating'}
          onOpen={() => {
            setStatus('');
            setMode('regenerating');
          }}
          onClose={() => {
            void refresh().then(() => setMode('idle'));
          }}
        />
      )}
    </section>
  );
}

function DisableForm({ onCancel, onDisabled }: { onCancel(): void; onDisabled(): void }) {
  const client = useClient();
  const username = usePanel((s) => s.account?.username ?? '');
  const [password, setPassword] = useState('');
  const [mode, setMode] = useState<SecondFactorMode>('totp');
  const [second, setSecond] = useState('');
  const [error, setError] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const wait = useRetryCountdown(error);
  const errorId = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!password || (mode === 'totp' ? second.length !== 6 : !second.trim())) {
      setError({
        code: 'bad_request',
        message: `Enter your password and ${mode === 'totp' ? 'the six-digit code from your app' : 'a recovery code'}.`,
      });
      return;
    }
    setBusy(true);
    setError(null);
    const authKey = await passwordAgain(client, username, password);
    if (!authKey.ok) {
      setBusy(false);
      setError(authKey.error);
      return;
    }
    const r = await client.totpDisable(
      mode === 'totp'
        ? { authKey: authKey.value, code: second }
        : { authKey: authKey.value, recoveryCode: second },
    );
    setBusy(false);
    setSecond('');
    if (r.ok) {
      setPassword('');
      onDisabled();
      return;
    }
    if (r.error.code === 'invalid_credentials') {
      setPassword('');
      setError({ ...r.error, message: 'The password or the code is not right. Nothing was changed.' });
    } else if (r.error.code === 'wrong_code' && mode === 'recovery') {
      setError({
        ...r.error,
        message: 'That recovery code was not accepted; each one works only once. Nothing was changed.',
      });
    } else setError(r.error);
  };

  return (
    <form
      className="panel-subform"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-label="Turn off two-factor authentication"
    >
      <h3>Turn off two-factor authentication</h3>
      <p>To turn it off, confirm with your password and a current code (or a recovery code).</p>
      <PasswordField
        id="disable-password"
        label="Password"
        autoComplete="current-password"
        value={password}
        onChange={setPassword}
        disabled={busy}
        required
        autoFocus
      />
      <SecondFactorInput
        mode={mode}
        onModeChange={setMode}
        value={second}
        onChange={setSecond}
        disabled={busy}
        invalid={Boolean(error)}
        errorId={errorId}
      />
      <ErrorMessage error={error} secondsLeft={wait} id={errorId} />
      <div className="sr-actions">
        <button type="submit" className="sr-danger" disabled={busy || wait > 0}>
          Turn off two-factor authentication
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function RecoveryCodesPart({
  remaining,
  accountName,
  open,
  onOpen,
  onClose,
}: {
  remaining: number;
  accountName: string;
  open: boolean;
  onOpen(): void;
  onClose(): void;
}) {
  const client = useClient();
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const [error, setError] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const wait = useRetryCountdown(error);
  const errorId = useId();

  if (codes) {
    return (
      <RecoveryCodesView
        codes={codes}
        accountName={accountName}
        onDone={() => {
          setCodes(null);
          onClose();
        }}
      />
    );
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (code.length !== 6) {
      setError({ code: 'bad_request', message: 'Enter the six-digit code from your authenticator app.' });
      return;
    }
    setBusy(true);
    setError(null);
    const r = await client.regenerateRecoveryCodes(code);
    setBusy(false);
    setCode('');
    if (r.ok) setCodes(r.value.recoveryCodes);
    else setError(r.error);
  };

  return (
    <div className="panel-subform">
      <h3>Recovery codes</h3>
      <p>
        {remaining === 1 ? '1 recovery code is left.' : `${remaining} recovery codes are left.`}{' '}
        {remaining <= 3 && 'Make new ones before you run out.'}
      </p>
      {!open ? (
        <div className="sr-actions">
          <button type="button" onClick={onOpen}>
            Regenerate recovery codes
          </button>
        </div>
      ) : (
        <form onSubmit={(e) => void submit(e)} noValidate aria-label="Regenerate recovery codes">
          <p>New codes replace the old ones: the old codes stop working at once.</p>
          <TotpCodeInput
            label="Current two-factor code (TOTP)"
            value={code}
            onChange={setCode}
            disabled={busy}
            autoFocus
            invalid={Boolean(error)}
            errorId={errorId}
          />
          <ErrorMessage error={error} secondsLeft={wait} id={errorId} />
          <div className="sr-actions">
            <button type="submit" className="sr-primary" disabled={busy || wait > 0}>
              Make new recovery codes
            </button>
            <button
              type="button"
              onClick={() => {
                setError(null);
                onClose();
              }}
              disabled={busy}
            >
              Cancel
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
