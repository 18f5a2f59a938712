export interface PasswordFieldProps {
  /** The input's id; the label points at it, and a hint gets `${id}-hint`. */
  id: string;
  label: string;
  value: string;
  onChange(value: string): void;
  /** "current-password" to sign in or confirm; "new-password" so managers offer to generate one. */
  autoComplete: 'current-password' | 'new-password';
  /** A short line under the field, e.g. the length rule. */
  hint?: string;
  name?: string;
  disabled?: boolean;
  required?: boolean;
  autoFocus?: boolean;
}

/** A labelled password field, the same in the panel's forms and the desktop app's settings. */
export function PasswordField({
  id,
  label,
  value,
  onChange,
  autoComplete,
  hint,
  name,
  disabled,
  required,
  autoFocus,
}: PasswordFieldProps) {
  const hintId = hint ? `${id}-hint` : undefined;
  return (
    <div className="sr-field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={name}
        type="password"
        autoComplete={autoComplete}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={hintId}
        disabled={disabled}
        required={required}
        autoFocus={autoFocus}
      />
      {hint && (
        <span className="sr-hint" id={hintId}>
          {hint}
        </span>
      )}
    </div>
  );
}
