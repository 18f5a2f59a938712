import { useId, useState } from 'react';
import type { AccountView, IpcError } from '../../../src-shared/ipc-contract';
import { ErrorMessage } from '../../components/error-message';
import { FormDialog } from '../../components/form-dialog';
import { PasswordField } from '../../components/password-field';
import { useRetryCountdown } from '../../components/use-retry-countdown';
import { newPasswordProblem } from '../backups/form-rules';
import { request } from '../request';
import { accountErrorText } from '../wording';
import { useAccountKey } from './account-key-store';
import { NewPasswordFields } from './new-password-fields';
import { useSecondFactor } from './use-second-factor';

/** What the password change does to the account's other computers, said before it happens. */
export const PASSWORD_CHANGE_EFFECT =
  'Other computers signed in to this account will need the new password. Their scheduled backups to account storage wait until someone unlocks Strongroom there with it; backups to folders and drives go on. This computer stays signed in, and no backup is encrypted again.';
export const NEW_KIT_EFFECT =
  'A new recovery key is made and shown once. Your current recovery key stops working at once: destroy the old kit.';

/** Account tab: "Change password…" and "New recovery kit…", both confirmed with the password (and a code). */
export function AccountKeySettings({ account }: { account: AccountView }) {
  const [open, setOpen] = useState<'password' | 'kit' | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const passwordHintId = useId();
  const kitHintId = useId();
  return (
    <>
      <div className="field">
        <span className="field-title">Password</span>
        <div className="inline">
          <button
            type="button"
            className="secondary"
            aria-describedby={passwordHintId}
            onClick={() => {
              setNotice(null);
              setOpen('password');
            }}
          >
            Change password…
          </button>
        </div>
        <p className="hint" id={passwordHintId}>
          Changed here, in the app: your password never leaves this computer.
        </p>
      </div>
      <div className="field">
        <span className="field-title">Account recovery kit</span>
        <div className="inline">
          <button
            type="button"
            className="secondary"
            aria-describedby={kitHintId}
            onClick={() => {
              setNotice(null);
              setOpen('kit');
            }}
          >
            New recovery kit…
          </button>
        </div>
        <p className="hint" id={kitHintId}>
          The recovery key lets you set a new password if you forget yours. Make a new kit if you lost the old
          one or someone else may have seen it.
        </p>
      </div>
      {notice && (
        <p className="sr-success" role="status">
          {notice}
        </p>
      )}
      {open === 'password' && (
        <ChangePasswordDialog
          totpEnabled={account.totpEnabled}
          onClose={(changed) => {
            setOpen(null);
            if (changed)
              setNotice(
                'Your password is changed. Use the new one to unlock Strongroom here and on your other computers.',
              );
          }}
        />
      )}
      {open === 'kit' && <NewKitDialog totpEnabled={account.totpEnabled} onClose={() => setOpen(null)} />}
    </>
  );
}

function ChangePasswordDialog({
  totpEnabled,
  onClose,
}: {
  totpEnabled: boolean;
  onClose(changed: boolean): void;
}) {
  const ids = { current: useId(), password: useId(), repeat: useId(), error: useId() };
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const second = useSecondFactor(totpEnabled);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const wait = useRetryCountdown(error?.code === 'throttled' ? error : null);

  const submit = async () => {
    if (busy || wait > 0) return;
    const wrong = !current
      ? 'Enter your current password.'
      : (newPasswordProblem(password, repeat) ??
        (password === current ? 'The new password is the same as the current one.' : null) ??
        second.problem());
    if (wrong) return setError({ code: 'bad_request', message: wrong });
    setBusy(true);
    setError(null);
    const result = await request((api) =>
      api.accountChangePassword({ currentPassword: current, newPassword: password, ...second.input() }),
    );
    setBusy(false);
    setCurrent('');
    second.clear();
    if (result.ok) {
      setPassword('');
      setRepeat('');
      onClose(true);
    } else setError(result.error);
  };

  return (
    <FormDialog
      open
      title="Change password"
      submitLabel={busy ? 'Changing…' : 'Change password'}
      busy={busy}
      onSubmit={() => void submit()}
      onCancel={() => onClose(false)}
    >
      <p>{PASSWORD_CHANGE_EFFECT}</p>
      <PasswordField
        id={ids.current}
        label="Current password"
        autoComplete="current-password"
        value={current}
        onChange={setCurrent}
        disabled={busy}
      />
      <NewPasswordFields
        ids={{ password: ids.password, repeat: ids.repeat }}
        password={password}
        repeat={repeat}
        onPassword={setPassword}
        onRepeat={setRepeat}
        disabled={busy}
      />
      {second.field({ errorId: ids.error, invalid: Boolean(error), disabled: busy })}
      <ErrorMessage
        id={ids.error}
        error={error}
        secondsLeft={wait}
        message={error ? accountErrorText(error) : undefined}
      />
    </FormDialog>
  );
}

function NewKitDialog({ totpEnabled, onClose }: { totpEnabled: boolean; onClose(): void }) {
  const showKit = useAccountKey((s) => s.showKit);
  const ids = { password: useId(), error: useId() };
  const [password, setPassword] = useState('');
  const second = useSecondFactor(totpEnabled);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const wait = useRetryCountdown(error?.code === 'throttled' ? error : null);

  const submit = async () => {
    if (busy || wait > 0) return;
    const wrong = !password ? 'Enter your password.' : second.problem();
    if (wrong) return setError({ code: 'bad_request', message: wrong });
    setBusy(true);
    setError(null);
    const result = await request((api) => api.accountKitNew({ password, ...second.input() }));
    setBusy(false);
    setPassword('');
    second.clear();
    if (result.ok) {
      onClose();
      showKit(result.value);
    } else setError(result.error);
  };

  return (
    <FormDialog
      open
      title="New recovery kit"
      submitLabel={busy ? 'Making the kit…' : 'Make a new recovery kit'}
      busy={busy}
      onSubmit={() => void submit()}
      onCancel={onClose}
    >
      <p>{NEW_KIT_EFFECT}</p>
      <PasswordField
        id={ids.password}
        label="Password"
        autoComplete="current-password"
        value={password}
        onChange={setPassword}
        disabled={busy}
      />
      {second.field({ errorId: ids.error, invalid: Boolean(error), disabled: busy })}
      <ErrorMessage
        id={ids.error}
        error={error}
        secondsLeft={wait}
        message={error ? accountErrorText(error) : undefined}
      />
    </FormDialog>
  );
}
