import type { SecondFactorMode } from '../../components/second-factor-input';

/** A typed second factor as the account channels take it: `{ totp }`, `{ recoveryCode }` or nothing. */
export function secondFactorInput(
  mode: SecondFactorMode,
  code: string,
): { totp?: string; recoveryCode?: string } {
  const entered = code.trim();
  if (!entered) return {};
  return mode === 'totp' ? { totp: entered } : { recoveryCode: entered };
}

/** What is wrong with a typed second factor before asking main; null when it may be right. */
export function secondFactorProblem(mode: SecondFactorMode, code: string, required: boolean): string | null {
  const entered = code.trim();
  if (!entered) {
    if (!required) return null;
    return mode === 'totp'
      ? 'Enter the six-digit code from your authenticator app.'
      : 'Enter one of your recovery codes.';
  }
  if (mode === 'totp' && !/^\d{6}$/.test(entered)) return 'The two-factor code is six digits.';
  return null;
}
