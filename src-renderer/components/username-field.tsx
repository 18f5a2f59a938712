import type { Ref } from 'react';
import { FieldError, fieldErrorId } from './field-error';

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
  /** What is wrong with the value, shown under the field and read with it. */
  error?: string;
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
  error,
}: UsernameFieldProps) {
  const hintId = hint ? `${id}-hint` : undefined;
  const describedBy = [error ? fieldErrorId(id) : undefined, hintId].filter(Boolean).join(' ') || undefined;
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
        aria-describedby={describedBy}
        aria-invalid={error ? true : undefined}
        disabled={disabled}
        required={required}
        autoFocus={autoFocus}
      />
      <FieldError fieldId={id} text={error} />
      {hint && (
        <span className="sr-hint" id={hintId}>
          {hint}
        </span>
      )}
    </div>
  );
}
