import type { Ref } from 'react';

/** The hint where an account is made (the rule itself is the shared schema's, in src-shared/http-api/fields.ts). */
export const USERNAME_RULE = '2 to 64 characters: letters, digits, dot, dash or underscore.';

export interface UsernameFieldProps {
  /** The input's id; the label points at it, and a hint gets `${id}-hint`. */
  id: string;
  value: string;
  onChange(value: string): void;
  /** A short line under the field, e.g. the naming rule when an account is made. */
  hint?: string;
  name?: string;
  disabled?: boolean;
  required?: boolean;
  autoFocus?: boolean;
  inputRef?: Ref<HTMLInputElement>;
}

/**
 * A labelled username field, the same wherever an account is signed in to or made (panel and
 * desktop): no auto-capitalisation or spell-checking, so what is typed is what is sent.
 */
export function UsernameField({
  id,
  value,
  onChange,
  hint,
  name,
  disabled,
  required,
  autoFocus,
  inputRef,
}: UsernameFieldProps) {
  const hintId = hint ? `${id}-hint` : undefined;
  return (
    <div className="sr-field">
      <label htmlFor={id}>Username</label>
      <input
        id={id}
        ref={inputRef}
        name={name}
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
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
