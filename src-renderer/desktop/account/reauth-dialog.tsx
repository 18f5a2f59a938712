import { useId, useState } from 'react';
import type { IpcError } from '../../../src-shared/ipc-contract';
import { ErrorMessage } from '../../components/error-message';
import { FormDialog } from '../../components/form-dialog';
import { PasswordField } from '../../components/password-field';
import { useRetryCountdown } from '../../components/use-retry-countdown';
import { call, desktopApi, failure } from '../api';
import { useDesktop } from '../store';
import { accountErrorText } from '../wording';
import { useReauth } from './reauth-store';
import { useSecondFactor } from './use-second-factor';

/**
 * "Enter your password to go on": shown when an action needs a fresh sign-in. It signs in again
 * (account:reauthenticate) and the action that asked is tried again; Cancel leaves it undone.
 */
export function ReauthDialog({ totpEnabled }: { totpEnabled: boolean }) {
  const open = useReauth((s) => s.open);
  const finish = useReauth((s) => s.finish);
  const guard = useDesktop((s) => s.guard);
  const ids = { password: useId(), error: useId() };
  const [password, setPassword] = useState('');
  const second = useSecondFactor(totpEnabled);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const wait = useRetryCountdown(error);

  const close = (reauthenticated: boolean) => {
    setPassword('');
    second.clear();
    setError(null);
    finish(reauthenticated);
  };

  const submit = async () => {
    if (wait > 0) return;
    if (!password) return setError({ code: 'bad_request', message: 'Enter your password.' });
    const wrongCode = second.problem();
    if (wrongCode) return setError({ code: 'bad_request', message: wrongCode });
    setBusy(true);
    setError(null);
    const bridge = desktopApi();
    const input = { password, ...second.input() };
    const result = guard(
      bridge
        ? await call(() => bridge.accountReauthenticate(input))
        : failure('internal', 'The app is not connected.'),
    );
    setBusy(false);
    setPassword('');
    second.clear();
    if (result.ok) close(true);
    else setError(result.error);
  };

  return (
    <FormDialog
      open={open}
      title="Enter your password to go on"
      submitLabel={busy ? 'Checking…' : 'Continue'}
      busy={busy}
      onSubmit={() => void submit()}
      onCancel={() => close(false)}
    >
      <p>
        {totpEnabled
          ? 'This needs a recent sign-in. Enter your password and a two-factor code, and Strongroom goes on with what you asked.'
          : 'This needs a recent sign-in. Enter your password, and Strongroom goes on with what you asked.'}
      </p>
      <PasswordField
        id={ids.password}
        label="Password"
        autoComplete="current-password"
        value={password}
        onChange={(v) => {
          setPassword(v);
          setError(null);
        }}
      />
      {second.field({ errorId: ids.error, invalid: Boolean(error), onEdit: () => setError(null) })}
      <ErrorMessage
        id={ids.error}
        error={error}
        secondsLeft={wait}
        message={error ? accountErrorText(error) : undefined}
      />
    </FormDialog>
  );
}
