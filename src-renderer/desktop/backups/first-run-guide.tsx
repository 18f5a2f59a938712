import { useEffect, useId, useRef, useState } from 'react';
import type { ExcludePreset, Retention, Schedule } from '../../../src-shared/backup-config';
import type { IpcError, ProtectedItemView, VaultView } from '../../../src-shared/ipc-contract';
import { ErrorMessage } from '../../components/error-message';
import { request } from '../request';
import { useDesktop } from '../store';
import { useBackups } from './backups-store';
import { describePresets, ExcludePresetChoices } from './exclude-preset-choices';
import { draftOf } from './item-form';
import { itemProblem } from './form-rules';
import { describeRetention, describeSchedule, formatDateTime, listWords } from './format';
import { PathListInput } from './path-list-input';
import { RecoveryKitOffer } from './recovery-kit';
import { RetentionFields } from './retention-fields';
import { ScheduleFields } from './schedule-fields';
import { VaultCreateForm } from './vault-create-form';

type GuideStep = 'folders' | 'vault' | 'kit' | 'schedule' | 'run';
const STEP_LABELS: { id: GuideStep; label: string }[] = [
  { id: 'folders', label: 'Choose folders' },
  { id: 'vault', label: 'Create the vault' },
  { id: 'schedule', label: 'Pick a schedule' },
  { id: 'run', label: 'Back up now' },
];

/** The first-run guide: choose folders -> create the vault -> pick a schedule -> Back up now. */
export function FirstRunGuide() {
  const navigate = useDesktop((s) => s.navigate);
  const overview = useBackups((s) => s.overview);
  const load = useBackups((s) => s.load);
  const saveItem = useBackups((s) => s.saveItem);
  const backupNow = useBackups((s) => s.backupNow);
  const heading = useRef<HTMLHeadingElement>(null);
  const ids = { name: useId(), vaultChoice: useId(), existing: useId() };
  const [step, setStep] = useState<GuideStep>('folders');
  const [name, setName] = useState('My files');
  const [paths, setPaths] = useState<string[]>([]);
  const [vault, setVault] = useState<VaultView | null>(null);
  const [useExisting, setUseExisting] = useState(false);
  const [existingId, setExistingId] = useState('');
  const defaults = draftOf(null, '');
  const [schedule, setSchedule] = useState<Schedule>(defaults.schedule);
  const [presets, setPresets] = useState<ExcludePreset[]>(defaults.presets);
  const [retention, setRetention] = useState<Retention>(defaults.retention);
  const [saved, setSaved] = useState<ProtectedItemView | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);

  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    heading.current?.focus();
  }, [step]);

  const vaults = overview?.vaults ?? [];
  const at = STEP_LABELS.findIndex((s) => s.id === (step === 'kit' ? 'vault' : step));
  const problem = (message: string) => setError({ code: 'bad_request', message });

  const foldersNext = async () => {
    if (!name.trim()) return problem('Give the protected item a name.');
    if (paths.length === 0) return problem('Choose at least one folder or file.');
    // Main looks at the disk: a mistyped folder is said here, not two steps later.
    setBusy(true);
    const checked = await request((api) => api.itemCheckPaths({ paths }));
    setBusy(false);
    if (!checked.ok) return setError(checked.error);
    const wrong = checked.value.find((c) => c.problem);
    if (wrong?.problem) return problem(wrong.problem);
    setError(null);
    setStep('vault');
  };
  // A message about the folders goes as soon as they change: it may no longer be true.
  const changeFolders = (next: string[]) => {
    setPaths(next);
    setError(null);
  };

  const scheduleNext = async () => {
    const vaultId = vault?.id ?? '';
    const draft = { ...draftOf(null, vaultId), name: name.trim(), paths, schedule, presets, retention };
    const wrong = itemProblem(draft);
    if (wrong) return problem(wrong.text);
    setBusy(true);
    setError(null);
    const result = await saveItem({
      ...(saved ? { id: saved.item.id } : {}),
      name: draft.name,
      paths: draft.paths,
      excludes: [],
      excludePresets: draft.presets,
      vaultId,
      schedule: draft.schedule,
      retention: draft.retention,
      conditions: { catchUpMissed: true, skipOnBattery: false },
    });
    setBusy(false);
    if (!result.ok) return setError(result.error);
    setSaved(result.value);
    setStep('run');
  };

  const runNow = async () => {
    if (!saved) return;
    setBusy(true);
    setError(null);
    const result = await backupNow(saved.item.id);
    setBusy(false);
    if (result.ok) navigate({ page: 'backups' });
    else setError(result.error);
  };

  return (
    <section className="page" aria-labelledby="guide-title">
      <h1 id="guide-title" ref={heading} tabIndex={-1}>
        Set up your first backup
      </h1>
      <ol className="wizard-steps" aria-label="Steps">
        {STEP_LABELS.map((s, i) => (
          <li key={s.id} aria-current={i === at ? 'step' : undefined} className={i < at ? 'done' : undefined}>
            {s.label}
          </li>
        ))}
      </ol>

      {step === 'folders' && (
        <div className="card-form">
          <h2>Choose folders</h2>
          <p>
            Which folders should Strongroom protect? Documents, photos, projects: what you could not replace.
          </p>
          <div className="field">
            <label htmlFor={ids.name}>Name</label>
            <input
              id={ids.name}
              value={name}
              maxLength={80}
              onChange={(e) => {
                setName(e.target.value);
                setError(null);
              }}
            />
          </div>
          <PathListInput
            label="Folders and files"
            paths={paths}
            onChange={changeFolders}
            invalid={error !== null && paths.length === 0 ? true : undefined}
          />
          <ErrorMessage error={error} />
          <div className="actions">
            <button type="button" className="primary" disabled={busy} onClick={() => void foldersNext()}>
              {busy ? 'Checking…' : 'Next'}
            </button>
            <button type="button" className="secondary" onClick={() => navigate({ page: 'backups' })}>
              Skip the guide
            </button>
          </div>
        </div>
      )}

      {step === 'vault' && (
        <div>
          <h2>Create the vault</h2>
          <p>
            The vault is where the backups go, encrypted: best on another drive (a USB drive, a network drive)
            so one broken disk cannot take both.
          </p>
          {vaults.length > 0 && (
            <fieldset className="field choice-group">
              <legend>Storage vault</legend>
              <label className="radio">
                <input
                  type="radio"
                  name={ids.vaultChoice}
                  checked={!useExisting}
                  onChange={() => setUseExisting(false)}
                />
                Create a new storage vault
              </label>
              <label className="radio">
                <input
                  type="radio"
                  name={ids.vaultChoice}
                  checked={useExisting}
                  onChange={() => {
                    setUseExisting(true);
                    setExistingId(existingId || vaults[0]!.id);
                  }}
                />
                Use a storage vault already added
              </label>
            </fieldset>
          )}
          {useExisting && vaults.length > 0 ? (
            <div className="card-form">
              <div className="field">
                <label htmlFor={ids.existing}>Storage vault</label>
                <select id={ids.existing} value={existingId} onChange={(e) => setExistingId(e.target.value)}>
                  {vaults.map((v) => (
                    <option key={v.id} value={v.id}>
                      {v.name} ({v.location})
                    </option>
                  ))}
                </select>
              </div>
              <div className="actions">
                <button
                  type="button"
                  className="primary"
                  onClick={() => {
                    setVault(vaults.find((v) => v.id === existingId) ?? null);
                    setStep('schedule');
                  }}
                >
                  Next
                </button>
              </div>
            </div>
          ) : (
            <VaultCreateForm
              submitLabel="Create the vault"
              onCreated={(v) => {
                setVault(v);
                setStep('kit');
              }}
              onCancel={() => setStep('folders')}
            />
          )}
        </div>
      )}

      {step === 'kit' && vault && <RecoveryKitOffer vault={vault} onDone={() => setStep('schedule')} />}

      {step === 'schedule' && (
        <div className="card-form">
          <h2>Pick a schedule</h2>
          <p>
            Strongroom backs up on schedule even while it is locked or its window is closed (it keeps running
            in the tray). A run missed while the computer was off or asleep is caught up when it is back.
          </p>
          <ScheduleFields value={schedule} onChange={setSchedule} />
          <fieldset className="field">
            <legend>Leave out</legend>
            <p className="hint">
              Files that can be made again are not worth their space. Change this any time.
            </p>
            <ExcludePresetChoices value={presets} onChange={setPresets} />
          </fieldset>
          <RetentionFields value={retention} onChange={setRetention} />
          <ErrorMessage error={error} />
          <div className="actions">
            <button type="button" className="primary" disabled={busy} onClick={() => void scheduleNext()}>
              {busy ? 'Saving…' : 'Next'}
            </button>
          </div>
        </div>
      )}

      {step === 'run' && saved && (
        <div className="card-form">
          <h2>Back up now</h2>
          <p>
            <strong>{saved.item.name}</strong> ({saved.item.paths.join(', ')}) is protected in the vault{' '}
            <strong>{saved.vaultName}</strong>.
          </p>
          <GuideSummary view={saved} />
          <p>Make the first backup now? It reads everything once; later backups only add what changed.</p>
          <ErrorMessage error={error} />
          <div className="actions">
            <button type="button" className="primary" disabled={busy} onClick={() => void runNow()}>
              Back up now
            </button>
            <button type="button" className="secondary" onClick={() => navigate({ page: 'backups' })}>
              Later
            </button>
          </div>
        </div>
      )}
    </section>
  );
}

/** What will happen, and when, once the guide is done: the words of the item just saved. */
function GuideSummary({ view }: { view: ProtectedItemView }) {
  const { item } = view;
  const left = describePresets(item.excludePresets);
  return (
    <section aria-label="What happens next">
      <h3>What happens next</h3>
      <ul className="guide-summary">
        <li>
          <strong>Schedule:</strong> {describeSchedule(item.schedule)}
          {view.nextRunAt ? ` (next: ${formatDateTime(view.nextRunAt)})` : ''}. A run missed while the
          computer was off is caught up when it is back.
        </li>
        <li>
          <strong>Left out:</strong>{' '}
          {left.length > 0 ? `${listWords(left)}.` : 'nothing: every file in these folders is backed up.'}
        </li>
        <li>
          <strong>Old backups:</strong> {describeRetention(item.retention)}
          {item.retention.mode === 'policy' ? '; older ones are removed after each backup.' : '.'}
        </li>
      </ul>
    </section>
  );
}
