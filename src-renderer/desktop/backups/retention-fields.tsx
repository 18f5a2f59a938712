import { useId } from 'react';
import type { Retention } from '../../../src-shared/backup-config';

type PolicyKey = 'keepLast' | 'keepHourly' | 'keepDaily' | 'keepWeekly' | 'keepMonthly' | 'keepYearly';
const POLICY_FIELDS: { key: PolicyKey; label: string }[] = [
  { key: 'keepLast', label: 'Keep the last' },
  { key: 'keepHourly', label: 'Hourly' },
  { key: 'keepDaily', label: 'Daily' },
  { key: 'keepWeekly', label: 'Weekly' },
  { key: 'keepMonthly', label: 'Monthly' },
  { key: 'keepYearly', label: 'Yearly' },
];

export const DEFAULT_POLICY: Retention = {
  mode: 'policy',
  keepLast: 10,
  keepDaily: 7,
  keepWeekly: 4,
  keepMonthly: 12,
};

/** Keep everything, or a policy of how many backups to keep per period (applied after each backup). */
export function RetentionFields({ value, onChange }: { value: Retention; onChange(value: Retention): void }) {
  const name = useId();
  const hint = useId();
  const baseId = useId();
  return (
    <fieldset className="field choice-group" aria-describedby={hint}>
      <legend>Old backups</legend>
      <p className="hint" id={hint}>
        After each successful backup, backups beyond these numbers are removed from the vault and their space
        is freed. Each number counts backups: 7 daily keeps the newest backup of each of the last 7 days that
        have one.
      </p>
      <label className="radio">
        <input
          type="radio"
          name={name}
          checked={value.mode === 'keep-all'}
          onChange={() => onChange({ mode: 'keep-all' })}
        />
        Keep everything
      </label>
      <label className="radio">
        <input
          type="radio"
          name={name}
          checked={value.mode === 'policy'}
          onChange={() => onChange(DEFAULT_POLICY)}
        />
        Keep some
      </label>
      {value.mode === 'policy' && (
        <div className="sub-fields keep-grid">
          {POLICY_FIELDS.map((f) => (
            <div key={f.key} className="keep-field">
              <label htmlFor={`${baseId}-${f.key}`}>{f.label}</label>
              <input
                id={`${baseId}-${f.key}`}
                type="number"
                min={0}
                step={1}
                className="narrow"
                value={value[f.key] ?? ''}
                onChange={(e) => {
                  const n = e.target.value === '' ? undefined : e.target.valueAsNumber;
                  onChange({ ...value, [f.key]: n });
                }}
              />
            </div>
          ))}
        </div>
      )}
    </fieldset>
  );
}
