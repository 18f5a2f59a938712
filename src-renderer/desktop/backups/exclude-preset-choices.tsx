import type { ExcludePreset } from '../../../src-shared/backup-config';
import { EXCLUDE_PRESET_CHOICES } from './form-rules';

/** The kinds of files left out of every backup of an item, each a checkbox with what it covers. */
export function ExcludePresetChoices({
  value,
  onChange,
}: {
  value: ExcludePreset[];
  onChange(value: ExcludePreset[]): void;
}) {
  return (
    <div className="preset-list">
      {EXCLUDE_PRESET_CHOICES.map((p) => (
        <label key={p.id} className="check" title={p.hint}>
          <input
            type="checkbox"
            checked={value.includes(p.id)}
            onChange={(e) => onChange(e.target.checked ? [...value, p.id] : value.filter((x) => x !== p.id))}
          />
          <span>
            {p.label} <span className="quiet">({p.hint})</span>
          </span>
        </label>
      ))}
    </div>
  );
}

/** The labels of the kinds left out, in the order they are offered (empty when none is). */
export function describePresets(value: ExcludePreset[]): string[] {
  return EXCLUDE_PRESET_CHOICES.filter((p) => value.includes(p.id)).map((p) => p.label);
}
