import { useState } from 'react';
import { SecondFactorInput, type SecondFactorMode } from '../../components/second-factor-input';
import { secondFactorInput, secondFactorProblem } from './second-factor';

/**
 * The second-factor field that every "your password again" confirmation shares: its mode (code or
 * recovery code), its check before asking main, and the input the account channels take. Shown only
 * when two-factor authentication is on.
 */
export function useSecondFactor(totpEnabled: boolean) {
  const [mode, setMode] = useState<SecondFactorMode>('totp');
  const [code, setCode] = useState('');
  return {
    clear: () => setCode(''),
    problem: () => secondFactorProblem(mode, code, totpEnabled),
    input: () => secondFactorInput(mode, code),
    field: (props: { errorId: string; invalid: boolean; disabled?: boolean; onEdit?: () => void }) => {
      const { onEdit, ...rest } = props;
      return totpEnabled ? (
        <SecondFactorInput
          mode={mode}
          onModeChange={setMode}
          value={code}
          onChange={(v) => {
            setCode(v);
            onEdit?.();
          }}
          {...rest}
        />
      ) : null;
    },
  };
}
