import { useState, type FormEvent } from 'react';
import { changePasswordInput } from '../../src-shared/http-api';
import type { Problem } from '../components/action-result';
import { ErrorMessage } from '../components/error-message';
import { PasswordField } from '../components/password-field';
import { useRetryCountdown } from '../components/use-retry-countdown';
import { useClient } from './panel-context';

/** `onChanged`: the change signed out every device, so the device list is stale. */
export function PasswordSection({ onChanged }: { onChanged?: () => void } = {}) {
  const client = useClient();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<Problem | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const wait = useRetryCountdown(error);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(false);
    if (!current) {
      // The contract only says "at least 1 character" here; say what to do instead.
      setError({ code: 'bad_request', message: 'Enter your current password.' });
      return;
    }
    const parsed = changePasswordInput.safeParse({ currentPassword: current, newPassword: next });
    if (!parsed.success) {
      setError({ code: 'bad_request', message: parsed.error.issues[0]?.message ?? 'Check the form.' });
      return;
    }
    if (next !== repeat) {
      setError({
        code: 'bad_request',
        message: 'The two new passwords are not the same. Type the new password again.',
      });
      return;
    }
    setBusy(true);
    setError(null);
    const r = await client.changePassword(parsed.data);
    setBusy(false);
    setCurrent('');
    if (r.ok) {
      setNext('');
      setRepeat('');
      setDone(true);
      onChanged?.();
    } else if (r.error.code === 'invalid_credentials') {
      setError({ ...r.error, message: 'The current password is not right. Nothing was changed.' });
    } else setError(r.error);
  };

  return (
    <section className="panel-section" aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <form onSubmit={(e) => void submit(e)} noValidate aria-label="Change password">
        <PasswordField
          id="pw-current"
          label="Current password"
          autoComplete="current-password"
          value={current}
          onChange={setCurrent}
          disabled={busy}
          required
        />
        <PasswordField
          id="pw-new"
          label="New password"
          autoComplete="new-password"
          value={next}
          onChange={setNext}
          hint="At least 8 characters."
          disabled={busy}
          required
        />
        <PasswordField
          id="pw-repeat"
          label="Repeat new password"
          autoComplete="new-password"
          value={repeat}
          onChange={setRepeat}
          disabled={busy}
          required
        />
        <ErrorMessage error={error} secondsLeft={wait} />
        {done && (
          <p role="status" className="sr-success">
            Your password has been changed. Every device and every other browser signed in to this account was
            signed out: the desktop app must be unlocked with the new password before it backs up again.
          </p>
        )}
        <div className="sr-actions">
          <button type="submit" className="sr-primary" disabled={busy || wait > 0}>
            Change password
          </button>
        </div>
      </form>
    </section>
  );
}
