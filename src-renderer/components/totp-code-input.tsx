import { useId } from 'react';
import { sanitizeTotpCode } from './secret-format';

export interface TotpCodeInputProps {
  value: string;
  /** Receives only digits, at most six (spaces and dashes of a pasted code are dropped). */
  onChange(value: string): void;
  /** The visible label; default "Two-factor code (TOTP)". */
  label?: string;
  /** A short line under the label, e.g. "Six digits from your authenticator app". */
  hint?: string;
  id?: string;
  name?: string;
  disabled?: boolean;
  autoFocus?: boolean;
  required?: boolean;
  /** Marks the field invalid for assistive technology, e.g. after a refused code. */
  invalid?: boolean;
  /** id of an element (an ErrorMessage) describing why the field is invalid. */
  errorId?: string;
}

/**
 * The six-digit code field: numeric keyboard on phones, one-time-code autofill, and only digits kept.
 */
export function TotpCodeInput({
  value,
  onChange,
  label = 'Two-factor code (TOTP)',
  hint = 'Six digits from your authenticator app',
  id,
  name = 'totp',
  disabled,
  autoFocus,
  required = true,
  invalid,
  errorId,
}: TotpCodeInputProps) {
  const ownId = useId();
  const inputId = id ?? `totp-${ownId}`;
  const hintId = `${inputId}-hint`;
  return (
    <div className="sr-field">
      <label htmlFor={inputId}>{label}</label>
      <input
        id={inputId}
        name={name}
        className="sr-totp-input"
        type="text"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9]{6}"
        spellCheck={false}
        placeholder="123456"
        value={value}
        onChange={(e) => onChange(sanitizeTotpCode(e.target.value))}
        disabled={disabled}
        autoFocus={autoFocus}
        required={required}
        aria-invalid={invalid || undefined}
        aria-describedby={[hintId, invalid ? errorId : undefined].filter(Boolean).join(' ')}
      />
      <span className="sr-hint" id={hintId}>
        {hint}
      </span>
    </div>
  );
}
