import { useState, type FormEvent, type ReactNode } from 'react';
import type { Problem } from '../components/action-result';
import { ErrorMessage } from '../components/error-message';
import { PasswordField } from '../components/password-field';
import { passwordAgain } from './key-derivation';
import { useClient, usePanel } from './panel-context';

/** What the owner gave again: the password as its auth key, and a code or a recovery code. */
export interface OwnerConfirmation {
  authKey?: string;
  code?: string;
  recoveryCode?: string;
}

export interface OwnerConfirmFormProps {
  /** The form's accessible name: what it confirms. */
  label: string;
  children: ReactNode;
  /** Asks for the password (sent as the auth key the Web Worker derives from it, never as itself). */
  password: boolean;
  /** Asks for a current code or a recovery code (the account has two-factor on). */
  code: boolean;
  submitLabel: string;
  /** Null when it worked; the problem stays on the form otherwise. */
  onSubmit(confirmation: OwnerConfirmation): Promise<Problem | null>;
  onCancel(): void;
}

/**
 * The panel's confirmation of what lasts on the account's storage: the owner's password again
 * and, with two-factor on, the code. The server checks both as a sign-in (throttled, each code
 * once) in a session whose sign-in is at most 15 minutes old.
 */
export function OwnerConfirmForm({
  label,
  children,
  password: askPassword,
  code: askCode,
  submitLabel,
  onSubmit,
  onCancel,
}: OwnerConfirmFormProps) {
  const client = useClient();
  const username = usePanel((s) => s.account?.username ?? '');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const idBase = label.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const confirmation: OwnerConfirmation = {};
    if (askPassword) {
      const authKey = await passwordAgain(client, username, password);
      if (!authKey.ok) {
        setBusy(false);
        setError(authKey.error);
        return;
      }
      confirmation.authKey = authKey.value;
    }
    if (askCode) {
      const trimmed = code.replace(/\s+/g, '');
      if (/^\d{6}$/.test(trimmed)) confirmation.code = trimmed;
      else confirmation.recoveryCode = code;
    }
    const problem = await onSubmit(confirmation);
    setBusy(false);
    setCode('');
    setError(problem);
  };

  return (
    <form onSubmit={(e) => void submit(e)} aria-label={label}>
      {children}
      <ErrorMessage error={error} />
      {askPassword && (
        <PasswordField
          id={`${idBase}-password`}
          label="Password"
          value={password}
          onChange={setPassword}
          autoComplete="current-password"
          required
        />
      )}
      {askCode && (
        <label>
          Two-factor code or recovery code
          <input
            value={code}
            onChange={(e) => setCode(e.target.value)}
            autoComplete="one-time-code"
            required
          />
        </label>
      )}
      <div className="sr-actions">
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        <button type="submit" className="sr-danger" disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}
