import { useId, useState } from 'react';
import type { PathPurpose } from '../../../src-shared/ipc-contract';
import { request } from '../request';
import { pathProblem } from './form-rules';

/**
 * Chooses a path with the system's picker where there is one (Electron); where there is not (the
 * browser harness) the same place takes a typed full path, which main checks again.
 */
export async function choosePath(
  purpose: PathPurpose,
  title: string,
): Promise<{ supported: boolean; paths: string[] }> {
  const result = await request((api) => api.dialogChoosePath({ purpose, title }));
  return result.ok ? result.value : { supported: false, paths: [] };
}

/** One or more folders or files: a list with Remove, and "Add folder…" or a typed path with Add. */
export function PathListInput({
  label,
  paths,
  onChange,
  purpose = 'file-or-folder',
  hint,
  invalid,
}: {
  label: string;
  paths: string[];
  onChange(paths: string[]): void;
  purpose?: PathPurpose;
  hint?: string;
  invalid?: boolean;
}) {
  const ids = { typed: useId(), hint: useId(), problem: useId(), list: useId() };
  const [typed, setTyped] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  // Unknown until asked once: the picker button is offered first, and replaced by the typed
  // field if the app says it has no picker here.
  const [pickerSupported, setPickerSupported] = useState<boolean | null>(null);
  const what = purpose === 'folder' ? 'folder' : 'folder or file';

  const add = (candidates: string[]) => {
    const next = [...paths];
    for (const c of candidates) if (!next.includes(c)) next.push(c);
    onChange(next);
  };

  const addTyped = () => {
    const p = typed.trim();
    const wrong = pathProblem(p);
    if (wrong) {
      setProblem(wrong);
      document.getElementById(ids.typed)?.focus();
      return;
    }
    if (paths.includes(p)) {
      setProblem('That one is in the list already.');
      return;
    }
    setProblem(null);
    add([p]);
    setTyped('');
  };

  const pick = async () => {
    const answer = await choosePath(purpose, `Choose a ${what} to back up`);
    setPickerSupported(answer.supported);
    if (answer.supported) add(answer.paths);
    else setTimeout(() => document.getElementById(ids.typed)?.focus(), 0);
  };

  return (
    <fieldset className="field path-list" aria-invalid={invalid || undefined}>
      <legend>{label}</legend>
      {hint && (
        <p className="hint" id={ids.hint}>
          {hint}
        </p>
      )}
      {paths.length > 0 ? (
        <ul className="path-items" id={ids.list} aria-label={label}>
          {paths.map((p) => (
            <li key={p}>
              <span className="mono path-text">{p}</span>
              <button
                type="button"
                className="secondary small"
                aria-label={`Remove ${p}`}
                onClick={() => onChange(paths.filter((x) => x !== p))}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="quiet">None chosen yet.</p>
      )}
      {pickerSupported !== false && (
        <div className="inline">
          <button type="button" className="secondary" onClick={() => void pick()}>
            {purpose === 'folder' ? 'Add folder…' : 'Add folder or file…'}
          </button>
        </div>
      )}
      {pickerSupported === false || pickerSupported === null ? (
        <div className={pickerSupported === null ? 'typed-path quiet-until-needed' : 'typed-path'}>
          <label htmlFor={ids.typed}>{`Full path of a ${what}`}</label>
          <div className="inline">
            <input
              id={ids.typed}
              className="mono"
              spellCheck={false}
              autoCapitalize="none"
              value={typed}
              placeholder="/home/me/Documents"
              aria-invalid={problem ? true : undefined}
              aria-describedby={problem ? ids.problem : undefined}
              onChange={(e) => {
                setTyped(e.target.value);
                setProblem(null);
              }}
              onKeyDown={(e) => {
                // Enter adds the path instead of submitting the whole form.
                if (e.key === 'Enter') {
                  e.preventDefault();
                  addTyped();
                }
              }}
            />
            <button type="button" className="secondary" onClick={addTyped}>
              Add
            </button>
          </div>
          {problem && (
            <p className="field-problem" id={ids.problem} role="alert">
              {problem}
            </p>
          )}
        </div>
      ) : null}
    </fieldset>
  );
}

/** One path: a typed field with "Choose…" beside it where the app has a picker. */
export function PathField({
  id,
  label,
  value,
  onChange,
  purpose,
  pickerTitle,
  hint,
  invalid,
  placeholder,
}: {
  id: string;
  label: string;
  value: string;
  onChange(value: string): void;
  purpose: PathPurpose;
  pickerTitle: string;
  hint?: string;
  invalid?: boolean;
  placeholder?: string;
}) {
  const hintId = useId();
  const [pickerSupported, setPickerSupported] = useState(true);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="inline">
        <input
          id={id}
          className="mono"
          spellCheck={false}
          autoCapitalize="none"
          value={value}
          placeholder={placeholder}
          aria-invalid={invalid || undefined}
          aria-describedby={hint ? hintId : undefined}
          onChange={(e) => onChange(e.target.value)}
        />
        {pickerSupported && (
          <button
            type="button"
            className="secondary"
            aria-label={`Choose ${label.toLowerCase()}`}
            onClick={() =>
              void choosePath(purpose, pickerTitle).then((answer) => {
                setPickerSupported(answer.supported);
                if (answer.paths[0]) onChange(answer.paths[0]);
                else document.getElementById(id)?.focus();
              })
            }
          >
            Choose…
          </button>
        )}
      </div>
      {hint && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
    </div>
  );
}
