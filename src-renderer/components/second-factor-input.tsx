import { useId } from 'react';
import { TotpCodeInput } from './totp-code-input';

export type SecondFactorMode = 'totp' | 'recovery';

export interface SecondFactorInputProps {
  mode: SecondFactorMode;
  onModeChange(mode: SecondFactorMode): void;
  value: string;
  onChange(value: string): void;
  /** Label of the code field; default "Two-factor code (TOTP)". */
  totpLabel?: string;
  disabled?: boolean;
  autoFocus?: boolean;
  invalid?: boolean;
  errorId?: string;
}

/**
 * The second step of signing in (panel) or unlocking (desktop): the six-digit code, or, after
 * "Use a recovery code", one of the single-use recovery codes. Switching clears the value.
 */
export function SecondFactorInput({
  mode,
  onModeChange,
  value,
  onChange,
  totpLabel,
  disabled,
  autoFocus,
  invalid,
  errorId,
}: SecondFactorInputProps) {
  const recoveryId = `recovery-${useId()}`;
  const switchTo = (next: SecondFactorMode) => {
    onChange('');
    onModeChange(next);
  };
  return (
    <div className="sr-second-factor">
      {mode === 'totp' ? (
        <TotpCodeInput
          value={value}
          onChange={onChange}
          label={totpLabel}
          disabled={disabled}
          autoFocus={autoFocus}
          invalid={invalid}
          errorId={errorId}
        />
      ) : (
        <div className="sr-field">
          <label htmlFor={recoveryId}>Recovery code</label>
          <input
            id={recoveryId}
            name="recoveryCode"
            type="text"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            value={value}
            onChange={(e) => onChange(e.target.value.slice(0, 64))}
            disabled={disabled}
            autoFocus={autoFocus}
            required
            aria-invalid={invalid || undefined}
            aria-describedby={[`${recoveryId}-hint`, invalid ? errorId : undefined].filter(Boolean).join(' ')}
          />
          <span className="sr-hint" id={`${recoveryId}-hint`}>
            One of the codes you saved when you turned on two-factor authentication. Each works once.
          </span>
        </div>
      )}
      <button
        type="button"
        className="sr-link-button"
        onClick={() => switchTo(mode === 'totp' ? 'recovery' : 'totp')}
        disabled={disabled}
      >
        {mode === 'totp' ? 'Use a recovery code' : 'Use a code from your authenticator app'}
      </button>
    </div>
  );
}
