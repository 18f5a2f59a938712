import { useId } from 'react';
import type { Schedule } from '../../../src-shared/backup-config';
import { describeSchedule, WEEK_ORDER, weekdayName } from './format';

/** The four kinds of schedule as radio choices, each with its own fields, and the result in words. */
export function ScheduleFields({ value, onChange }: { value: Schedule; onChange(value: Schedule): void }) {
  const name = useId();
  const ids = { hours: useId(), dailyAt: useId(), weeklyAt: useId(), summary: useId() };
  const at = value.kind === 'daily' || value.kind === 'weekly' ? value.at : '02:30';

  const kinds: { kind: Schedule['kind']; label: string; make(): Schedule }[] = [
    { kind: 'manual', label: 'Manually, with Back up now', make: () => ({ kind: 'manual' }) },
    { kind: 'hourly', label: 'Every few hours', make: () => ({ kind: 'hourly', everyHours: 6 }) },
    { kind: 'daily', label: 'Every day', make: () => ({ kind: 'daily', at }) },
    {
      kind: 'weekly',
      label: 'On chosen weekdays',
      make: () => ({ kind: 'weekly', days: [1, 2, 3, 4, 5], at }),
    },
  ];

  return (
    <fieldset className="field choice-group" aria-describedby={ids.summary}>
      <legend>Schedule</legend>
      {kinds.map((k) => (
        <div key={k.kind} className="choice">
          <label className="radio">
            <input
              type="radio"
              name={name}
              checked={value.kind === k.kind}
              onChange={() => onChange(k.make())}
            />
            {k.label}
          </label>
          {value.kind === 'hourly' && k.kind === 'hourly' && (
            <div className="sub-fields inline">
              <label htmlFor={ids.hours}>Every</label>
              <input
                id={ids.hours}
                className="narrow"
                type="number"
                min={1}
                max={24}
                step={1}
                value={Number.isNaN(value.everyHours) ? '' : value.everyHours}
                onChange={(e) => onChange({ kind: 'hourly', everyHours: e.target.valueAsNumber })}
              />
              <span>hours</span>
            </div>
          )}
          {value.kind === 'daily' && k.kind === 'daily' && (
            <div className="sub-fields inline">
              <label htmlFor={ids.dailyAt}>At</label>
              <input
                id={ids.dailyAt}
                className="narrow"
                type="time"
                value={value.at}
                onChange={(e) => onChange({ kind: 'daily', at: e.target.value })}
              />
            </div>
          )}
          {value.kind === 'weekly' && k.kind === 'weekly' && (
            <div className="sub-fields">
              <div className="weekdays" role="group" aria-label="Weekdays">
                {WEEK_ORDER.map((d) => (
                  <label key={d} className="day">
                    <input
                      type="checkbox"
                      checked={value.days.includes(d)}
                      onChange={(e) =>
                        onChange({
                          ...value,
                          days: e.target.checked ? [...value.days, d] : value.days.filter((x) => x !== d),
                        })
                      }
                    />
                    {weekdayName(d)}
                  </label>
                ))}
              </div>
              <div className="inline">
                <label htmlFor={ids.weeklyAt}>At</label>
                <input
                  id={ids.weeklyAt}
                  className="narrow"
                  type="time"
                  value={value.at}
                  onChange={(e) => onChange({ ...value, at: e.target.value })}
                />
              </div>
            </div>
          )}
        </div>
      ))}
      <p className="hint" id={ids.summary}>
        {value.kind === 'weekly' && value.days.length === 0
          ? 'Choose at least one weekday.'
          : value.kind === 'hourly' && !(value.everyHours >= 1 && value.everyHours <= 24)
            ? 'Every 1 to 24 hours.'
            : `${describeSchedule(value)}.`}
      </p>
    </fieldset>
  );
}
