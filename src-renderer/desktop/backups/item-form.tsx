import { useId, useState, type FormEvent } from 'react';
import type { ExcludePreset, ProtectedItem } from '../../../src-shared/backup-config';
import type { IpcError } from '../../../src-shared/ipc-contract';
import { ErrorMessage } from '../../components/error-message';
import { useDesktop } from '../store';
import { useFocusOnMount } from '../use-focus-on-mount';
import { useBackups } from './backups-store';
import { ExcludePresetChoices } from './exclude-preset-choices';
import { itemProblem, parsePatterns, type ItemDraft, type ItemField } from './form-rules';
import { PathListInput } from './path-list-input';
import { DEFAULT_POLICY, RetentionFields } from './retention-fields';
import { ScheduleFields } from './schedule-fields';

export function draftOf(
  item: ProtectedItem | null,
  defaultVaultId: string,
): ItemDraft & {
  presets: ExcludePreset[];
  catchUpMissed: boolean;
  skipOnBattery: boolean;
} {
  return item
    ? {
        name: item.name,
        paths: item.paths,
        excludesText: item.excludes.join('\n'),
        vaultId: item.vaultId,
        schedule: item.schedule,
        retention: item.retention,
        presets: item.excludePresets,
        catchUpMissed: item.conditions.catchUpMissed,
        skipOnBattery: item.conditions.skipOnBattery,
      }
    : {
        name: '',
        paths: [],
        excludesText: '',
        vaultId: defaultVaultId,
        schedule: { kind: 'daily', at: '02:30' },
        retention: DEFAULT_POLICY,
        presets: ['caches', 'temporary-files', 'trash'],
        catchUpMissed: true,
        skipOnBattery: false,
      };
}

/** "Add protected item" and editing one: every field of the schema, checked before it is sent. */
export function ItemForm({ itemId }: { itemId: string | null }) {
  const navigate = useDesktop((s) => s.navigate);
  const overview = useBackups((s) => s.overview);
  const saveItem = useBackups((s) => s.saveItem);
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const existing = itemId ? (overview?.items.find((v) => v.item.id === itemId)?.item ?? null) : null;
  const vaults = overview?.vaults ?? [];
  const [draft, setDraft] = useState(() => draftOf(existing, vaults[0]?.id ?? ''));
  const [problem, setProblem] = useState<{ field: ItemField | null; error: IpcError } | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = {
    name: useId(),
    excludes: useId(),
    excludesHint: useId(),
    vault: useId(),
    catchUp: useId(),
    catchUpHint: useId(),
    battery: useId(),
    error: useId(),
  };
  const change = (patch: Partial<typeof draft>) => {
    setDraft({ ...draft, ...patch });
    setProblem(null);
  };

  if (itemId && !existing) {
    return (
      <section className="page" aria-labelledby="item-form-title">
        <h1 id="item-form-title" ref={heading} tabIndex={-1}>
          Edit protected item
        </h1>
        <p className="error" role="alert">
          This protected item no longer exists.
        </p>
        <button type="button" className="secondary" onClick={() => navigate({ page: 'backups' })}>
          Back to Backups
        </button>
      </section>
    );
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const wrong = itemProblem(draft);
    if (wrong) {
      setProblem({ field: wrong.field, error: { code: 'bad_request', message: wrong.text } });
      return;
    }
    setBusy(true);
    const result = await saveItem({
      ...(existing ? { id: existing.id } : {}),
      name: draft.name.trim(),
      paths: draft.paths,
      excludes: parsePatterns(draft.excludesText),
      excludePresets: draft.presets,
      vaultId: draft.vaultId,
      schedule: draft.schedule,
      retention: draft.retention,
      conditions: { catchUpMissed: draft.catchUpMissed, skipOnBattery: draft.skipOnBattery },
    });
    setBusy(false);
    if (result.ok) navigate({ page: 'backups' });
    else setProblem({ field: null, error: result.error });
  };

  const invalid = (field: ItemField) => problem?.field === field || undefined;
  const title = existing ? `Edit ${existing.name}` : 'Add protected item';

  return (
    <section className="page" aria-labelledby="item-form-title">
      <div className="page-head">
        <h1 id="item-form-title" ref={heading} tabIndex={-1}>
          {title}
        </h1>
      </div>
      <form className="card-form" onSubmit={(e) => void submit(e)} noValidate aria-label={title}>
        <div className="field">
          <label htmlFor={ids.name}>Name</label>
          <input
            id={ids.name}
            value={draft.name}
            maxLength={80}
            placeholder="Documents"
            aria-invalid={invalid('name')}
            onChange={(e) => change({ name: e.target.value })}
          />
        </div>

        <PathListInput
          label="Folders and files"
          paths={draft.paths}
          onChange={(paths) => change({ paths })}
          hint="Everything inside a folder is backed up, except what is excluded below."
          invalid={invalid('paths')}
        />

        <fieldset className="field">
          <legend>Exclude</legend>
          <ExcludePresetChoices value={draft.presets} onChange={(presets) => change({ presets })} />
          <label htmlFor={ids.excludes}>More patterns, one per line</label>
          <textarea
            id={ids.excludes}
            className="mono"
            rows={3}
            spellCheck={false}
            value={draft.excludesText}
            placeholder={'*.iso\nVirtualBox VMs'}
            aria-describedby={ids.excludesHint}
            aria-invalid={invalid('excludes')}
            onChange={(e) => change({ excludesText: e.target.value })}
          />
          <p className="hint" id={ids.excludesHint}>
            A name (node_modules) excludes it wherever it is; * stands for any characters (*.tmp); a full path
            excludes that one folder or file.
          </p>
        </fieldset>

        <div className="field">
          <label htmlFor={ids.vault}>Storage vault</label>
          {vaults.length > 0 ? (
            <select
              id={ids.vault}
              className="wide-select"
              value={draft.vaultId}
              aria-invalid={invalid('vault')}
              onChange={(e) => change({ vaultId: e.target.value })}
            >
              {!draft.vaultId && <option value="">Choose a storage vault</option>}
              {vaults.map((v) => (
                <option key={v.id} value={v.id}>
                  {v.name} ({v.location})
                </option>
              ))}
            </select>
          ) : (
            <div className="notice warning">
              <p>There is no storage vault yet: backups need somewhere to go.</p>
              <button type="button" className="secondary" onClick={() => navigate({ page: 'vault-form' })}>
                Add storage vault
              </button>
            </div>
          )}
        </div>

        <ScheduleFields value={draft.schedule} onChange={(schedule) => change({ schedule })} />
        <RetentionFields value={draft.retention} onChange={(retention) => change({ retention })} />

        <fieldset className="field">
          <legend>When to run</legend>
          <div className="field checkbox">
            <input
              id={ids.catchUp}
              type="checkbox"
              checked={draft.catchUpMissed}
              aria-describedby={ids.catchUpHint}
              onChange={(e) => change({ catchUpMissed: e.target.checked })}
            />
            <label htmlFor={ids.catchUp}>Catch up missed runs</label>
          </div>
          <p className="hint" id={ids.catchUpHint}>
            When the computer was asleep, off or on battery at the scheduled time, back up as soon as it is
            back (or plugged in).
          </p>
          <div className="field checkbox">
            <input
              id={ids.battery}
              type="checkbox"
              checked={draft.skipOnBattery}
              onChange={(e) => change({ skipOnBattery: e.target.checked })}
            />
            <label htmlFor={ids.battery}>Skip scheduled runs while on battery</label>
          </div>
        </fieldset>

        <ErrorMessage id={ids.error} error={problem?.error} />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : existing ? 'Save changes' : 'Add protected item'}
          </button>
          <button type="button" className="secondary" onClick={() => navigate({ page: 'backups' })}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
