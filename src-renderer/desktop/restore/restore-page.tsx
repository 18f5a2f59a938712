import { useEffect, useId, useRef, useState } from 'react';
import { newJobRecord } from '../../../src-shared/backup-jobs';
import type { IpcError } from '../../../src-shared/ipc-contract';
import type { LsEntry } from '../../../src-shared/job-protocol';
import { ErrorMessage } from '../../components/error-message';
import { useBackups } from '../backups/backups-store';
import { pathProblem } from '../backups/form-rules';
import { formatBytes, formatFiles, formatFullDateTime, JOB_STATUS_LABELS } from '../backups/format';
import { JobProgressView } from '../backups/job-progress-view';
import { PathField } from '../backups/path-list-input';
import { request } from '../request';
import { FindSection } from './find-section';
import { NoVaultYet } from './no-vault-yet';
import { useFind } from './find-store';
import { includeList, isCovered, useRestore, type RestoreStep } from './restore-store';
import { VersionsView } from './versions-view';
import { WhatChangedView } from './what-changed';

const STEPS: { id: RestoreStep; label: string }[] = [
  { id: 'source', label: 'What' },
  { id: 'snapshot', label: 'Which backup' },
  { id: 'select', label: 'Files' },
  { id: 'destination', label: 'Where to' },
  { id: 'running', label: 'Restoring' },
  { id: 'result', label: 'Done' },
];

/**
 * Restore: the search field (a file's versions, "What changed") above the wizard, source -> backup
 * -> files -> where -> progress -> result. A version found by the search enters the wizard at "where".
 */
export function RestorePage() {
  const step = useRestore((s) => s.step);
  const findView = useFind((s) => s.view);
  const heading = useRef<HTMLHeadingElement>(null);
  const at = STEPS.findIndex((s) => s.id === step);

  // Each step starts at its heading, for keyboard and screen-reader users.
  useEffect(() => {
    heading.current?.focus();
  }, [step]);

  const steps = (
    <ol className="wizard-steps" aria-label="Steps">
      {STEPS.map((s, i) => (
        <li key={s.id} aria-current={i === at ? 'step' : undefined} className={i < at ? 'done' : undefined}>
          {s.label}
        </li>
      ))}
    </ol>
  );

  return (
    <section className="page wide-page" aria-labelledby="restore-title">
      <h1 id="restore-title" ref={heading} tabIndex={-1}>
        Restore
      </h1>
      {step === 'source' && findView === 'search' && (
        <>
          <FindSection />
          <WhatChangedEntry />
          {steps}
          <SourceStep />
        </>
      )}
      {step === 'source' && findView === 'versions' && <VersionsView />}
      {step === 'source' && findView === 'diff' && <WhatChangedView />}
      {step !== 'source' && steps}
      {step === 'snapshot' && <SnapshotStep />}
      {step === 'select' && <SelectStep />}
      {step === 'destination' && <DestinationStep />}
      {step === 'running' && <RunningStep />}
      {step === 'result' && <ResultStep />}
    </section>
  );
}

function WhatChangedEntry() {
  const openDiff = useFind((s) => s.openDiff);
  return (
    <p>
      <button type="button" className="secondary" onClick={openDiff}>
        What changed between two backups…
      </button>
    </p>
  );
}

function SourceStep() {
  const overview = useBackups((s) => s.overview);
  const loadError = useBackups((s) => s.loadError);
  const load = useBackups((s) => s.load);
  const chooseSource = useRestore((s) => s.chooseSource);
  useEffect(() => {
    void load();
  }, [load]);

  if (!overview)
    return loadError ? <ErrorMessage error={loadError} /> : <p className="quiet">Loading your backups…</p>;
  if (overview.vaults.length === 0) return <NoVaultYet />;
  return (
    <>
      <h2>Restore from</h2>
      {overview.items.length > 0 && (
        <ul className="choice-list" aria-label="Protected items">
          {overview.items.map((v) => (
            <li key={v.item.id}>
              <button
                type="button"
                className="choice-button"
                onClick={() =>
                  void chooseSource({ vaultId: v.item.vaultId, itemId: v.item.id, label: v.item.name })
                }
              >
                <span className="choice-title">{v.item.name}</span>
                <span className="quiet">
                  {v.item.paths.join(', ')} in {v.vaultName}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <h2>Or everything in a storage vault</h2>
      <ul className="choice-list" aria-label="Storage vaults">
        {overview.vaults.map((v) => (
          <li key={v.id}>
            <button
              type="button"
              className="choice-button"
              onClick={() => void chooseSource({ vaultId: v.id, itemId: null, label: v.name })}
            >
              <span className="choice-title">Vault: {v.name}</span>
              <span className="quiet mono">{v.location}</span>
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}

function SnapshotStep() {
  const { source, snapshots, snapshotsError } = useRestore();
  const chooseSnapshot = useRestore((s) => s.chooseSnapshot);
  const loadSnapshots = useRestore((s) => s.loadSnapshots);
  const back = useRestore((s) => s.back);
  return (
    <>
      <h2>Choose a backup of {source?.label}</h2>
      {snapshotsError && (
        <div className="load-problem">
          <ErrorMessage error={snapshotsError} />
          <button type="button" className="secondary" onClick={() => void loadSnapshots()}>
            Retry
          </button>
        </div>
      )}
      {!snapshots && !snapshotsError && <p className="quiet">Reading the backups in the vault…</p>}
      {snapshots && snapshots.length === 0 && <p>There is no backup of this yet.</p>}
      {snapshots && snapshots.length > 0 && (
        <ul className="choice-list" aria-label="Backups, newest first">
          {snapshots.map((s) => (
            <li key={s.id}>
              <button type="button" className="choice-button" onClick={() => void chooseSnapshot(s)}>
                <span className="choice-title">{formatFullDateTime(s.time)}</span>
                <span className="quiet">
                  {formatFiles(s.files)}, {formatBytes(s.bytes)}
                  {s.partial ? ' (some files could not be read)' : ''}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="actions">
        <button type="button" className="secondary" onClick={back}>
          Back
        </button>
      </div>
    </>
  );
}

function SelectStep() {
  const { snapshot, everything, selected } = useRestore();
  const setEverything = useRestore((s) => s.setEverything);
  const toDestination = useRestore((s) => s.toDestination);
  const back = useRestore((s) => s.back);
  const [problem, setProblem] = useState<IpcError | null>(null);
  const name = useId();
  const count = includeList(selected).length;

  return (
    <>
      <h2>What to restore from {snapshot ? formatFullDateTime(snapshot.time) : ''}</h2>
      <fieldset className="field choice-group">
        <legend className="visually-hidden">What to restore</legend>
        <label className="radio">
          <input type="radio" name={name} checked={everything} onChange={() => setEverything(true)} />
          Everything in this backup
        </label>
        <label className="radio">
          <input type="radio" name={name} checked={!everything} onChange={() => setEverything(false)} />
          Only the files and folders I select
        </label>
      </fieldset>
      {!everything && (
        <div className="tree-box">
          <ul aria-label="Files and folders in the backup" className="tree">
            <FolderLevel path="/" depth={0} />
          </ul>
        </div>
      )}
      <ErrorMessage error={problem} />
      <div className="actions">
        <button type="button" className="secondary" onClick={back}>
          Back
        </button>
        <button
          type="button"
          className="primary"
          onClick={() => {
            if (!everything && count === 0) {
              setProblem({
                code: 'bad_request',
                message: 'Select at least one file or folder, or choose Everything.',
              });
              return;
            }
            setProblem(null);
            toDestination();
          }}
        >
          Next
        </button>
        {!everything && <span className="quiet">{count === 1 ? '1 selected' : `${count} selected`}</span>}
      </div>
    </>
  );
}

/** The entries of one folder, read when the folder is opened. */
function FolderLevel({ path, depth }: { path: string; depth: number }) {
  const folder = useRestore((s) => s.folders[path]);
  const loadFolder = useRestore((s) => s.loadFolder);
  useEffect(() => {
    void loadFolder(path);
  }, [loadFolder, path]);
  if (!folder || folder.loading) return <li className="quiet tree-note">Reading…</li>;
  if (folder.error)
    return (
      <li className="tree-note">
        <ErrorMessage error={folder.error} />
      </li>
    );
  if (!folder.entries || folder.entries.length === 0)
    return <li className="quiet tree-note">Empty folder</li>;
  const sorted = [...folder.entries].sort(
    (a, b) => Number(b.type === 'dir') - Number(a.type === 'dir') || a.name.localeCompare(b.name),
  );
  return (
    <>
      {sorted.map((entry) => (
        <TreeRow key={entry.path} entry={entry} depth={depth} />
      ))}
    </>
  );
}

function TreeRow({ entry, depth }: { entry: LsEntry; depth: number }) {
  const expanded = useRestore((s) => Boolean(s.expanded[entry.path]));
  const selected = useRestore((s) => s.selected);
  const toggleExpanded = useRestore((s) => s.toggleExpanded);
  const toggleSelected = useRestore((s) => s.toggleSelected);
  const isDir = entry.type === 'dir';
  const own = Boolean(selected[entry.path]);
  const covered = !own && isCovered(entry.path, selected);
  return (
    <li className="tree-item">
      <div className={`tree-row depth-${Math.min(depth, 12)}`}>
        {isDir ? (
          <button
            type="button"
            className="twisty"
            aria-expanded={expanded}
            aria-label={`Open ${entry.name}`}
            onClick={() => toggleExpanded(entry.path)}
          >
            {expanded ? '▾' : '▸'}
          </button>
        ) : (
          <span className="twisty" aria-hidden="true" />
        )}
        <label className="tree-check">
          <input
            type="checkbox"
            checked={own || covered}
            disabled={covered}
            onChange={() => toggleSelected(entry.path)}
            aria-label={`Select ${entry.name}`}
          />
          <span className={isDir ? 'tree-name dir' : 'tree-name'}>{entry.name}</span>
        </label>
        <span className="tree-size quiet">
          {entry.size !== null && !isDir ? formatBytes(entry.size) : ''}
        </span>
        <span className="tree-date quiet">{entry.mtime ? formatFullDateTime(entry.mtime) : ''}</span>
      </div>
      {isDir && expanded && (
        <ul>
          <FolderLevel path={entry.path} depth={depth + 1} />
        </ul>
      )}
    </li>
  );
}

function DestinationStep() {
  const { destination, conflict, startError, origin, oneFile, snapshot, selected, source } = useRestore();
  const setDestination = useRestore((s) => s.setDestination);
  const setConflict = useRestore((s) => s.setConflict);
  const start = useRestore((s) => s.start);
  const back = useRestore((s) => s.back);
  const ids = { where: useId(), conflict: useId(), path: useId(), copy: useId(), fullPaths: useId() };
  const [typed, setTyped] = useState(destination.mode === 'folder' ? destination.path : '');
  const [fullPaths, setFullPaths] = useState(destination.mode === 'folder' && !!destination.keepFullPaths);
  // An item's files go into a folder named after it; a vault's backup keeps its full paths.
  const itemName = source?.itemId ? source.label : null;
  const toFolder = (p: string, keep = fullPaths) =>
    setDestination({ mode: 'folder', path: p, ...(itemName && keep ? { keepFullPaths: true } : {}) });
  const [copyPath, setCopyPath] = useState(destination.mode === 'copy-as' ? destination.path : '');
  const chosen = includeList(selected);
  const [problem, setProblem] = useState<IpcError | null>(null);
  const [busy, setBusy] = useState(false);

  const go = async () => {
    if (destination.mode === 'folder') {
      const wrong = pathProblem(typed);
      if (wrong) {
        setProblem({ code: 'bad_request', message: `Another folder: ${wrong}` });
        document.getElementById(ids.path)?.focus();
        return;
      }
    }
    if (destination.mode === 'copy-as') {
      const wrong = pathProblem(copyPath);
      if (wrong) {
        setProblem({ code: 'bad_request', message: `Save the copy as: ${wrong}` });
        document.getElementById(ids.copy)?.focus();
        return;
      }
    }
    setProblem(null);
    setBusy(true);
    await start();
    setBusy(false);
  };

  return (
    <>
      <h2>Where to restore</h2>
      {origin === 'find' && snapshot && (
        <p>
          <span className="mono path-text">{chosen[0]}</span> as it was in the backup of{' '}
          {formatFullDateTime(snapshot.time)}.
        </p>
      )}
      <fieldset className="field choice-group">
        <legend className="visually-hidden">Where to restore</legend>
        <label className="radio">
          <input
            type="radio"
            name={ids.where}
            checked={destination.mode === 'original'}
            onChange={() => setDestination({ mode: 'original' })}
          />
          To the original location
        </label>
        <label className="radio">
          <input
            type="radio"
            name={ids.where}
            checked={destination.mode === 'folder'}
            onChange={() => toFolder(typed)}
          />
          To another folder
        </label>
        {oneFile && (
          <label className="radio">
            <input
              type="radio"
              name={ids.where}
              checked={destination.mode === 'copy-as'}
              onChange={() => setDestination({ mode: 'copy-as', path: copyPath.trim() })}
            />
            Save a copy as…
          </label>
        )}
      </fieldset>
      {destination.mode === 'folder' && (
        <PathField
          id={ids.path}
          label="Restore into"
          value={typed}
          onChange={(v) => {
            setTyped(v);
            toFolder(v.trim());
            setProblem(null);
          }}
          purpose="folder"
          pickerTitle="Choose the folder to restore into"
          placeholder="/home/me/Restored"
          hint={
            itemName && !fullPaths
              ? `The files go into a folder named “${itemName}” inside it, with their folders from the backup.`
              : 'Files keep their full original paths inside it.'
          }
        />
      )}
      {destination.mode === 'folder' && itemName && (
        <div className="field checkbox">
          <input
            id={ids.fullPaths}
            type="checkbox"
            checked={fullPaths}
            onChange={(e) => {
              setFullPaths(e.target.checked);
              toFolder(typed.trim(), e.target.checked);
            }}
          />
          <label htmlFor={ids.fullPaths}>Keep the full original paths</label>
        </div>
      )}
      {destination.mode === 'copy-as' && (
        <PathField
          id={ids.copy}
          label="Save the copy as"
          value={copyPath}
          onChange={(v) => {
            setCopyPath(v);
            setDestination({ mode: 'copy-as', path: v.trim() });
            setProblem(null);
          }}
          purpose="save-file"
          pickerTitle="Save a copy as"
          placeholder={`/home/me/${chosen[0]?.split('/').pop() ?? 'copy'}`}
          hint="The full path of the file to write, its name included."
        />
      )}
      <fieldset className="field choice-group">
        <legend>When a file is already there</legend>
        <label className="radio">
          <input
            type="radio"
            name={ids.conflict}
            checked={conflict === 'keep-both'}
            onChange={() => setConflict('keep-both')}
          />
          Keep both (the restored file gets a new name)
        </label>
        <label className="radio">
          <input
            type="radio"
            name={ids.conflict}
            checked={conflict === 'skip'}
            onChange={() => setConflict('skip')}
          />
          Skip it (keep the file that is there)
        </label>
        <label className="radio">
          <input
            type="radio"
            name={ids.conflict}
            checked={conflict === 'overwrite'}
            onChange={() => setConflict('overwrite')}
          />
          Overwrite it with the file from the backup
        </label>
      </fieldset>
      <ErrorMessage error={problem ?? startError} />
      <div className="actions">
        <button type="button" className="secondary" onClick={back} disabled={busy}>
          Back
        </button>
        <button type="button" className="primary" onClick={() => void go()} disabled={busy}>
          {busy ? 'Starting…' : destination.mode === 'copy-as' ? 'Save the copy' : 'Restore'}
        </button>
      </div>
    </>
  );
}

function RunningStep() {
  const { job, progress, jobId, source, filesRate } = useRestore();
  const cancel = useRestore((s) => s.cancel);
  if (!jobId) return null;
  return (
    <>
      <h2>Restoring {source?.label}</h2>
      <JobProgressView
        job={
          job ??
          newJobRecord({
            id: jobId,
            kind: 'restore',
            itemId: source?.itemId ?? null,
            vaultId: source?.vaultId ?? '',
            itemName: null,
            vaultName: '',
            trigger: 'manual',
            status: 'running',
            queuedAt: new Date(0).toISOString(),
          })
        }
        progress={progress}
        label="Restore progress"
        filesRate={filesRate?.perSecond ?? null}
        onCancel={cancel}
      />
    </>
  );
}

/**
 * A restore into a folder that stopped before writing anything, since the selection does not fit:
 * the person chooses another folder, or restores what fits (each file that does not is then named).
 */
function TooLittleSpace({ folder, needed, free }: { folder: string; needed: number; free: number }) {
  const start = useRestore((s) => s.start);
  const chooseAnotherFolder = useRestore((s) => s.chooseAnotherFolder);
  return (
    <>
      <div className="sr-warning" role="alert">
        <p>
          <strong>Not enough space.</strong> The files chosen need {formatBytes(needed)} and{' '}
          <span className="mono">{folder}</span> has {formatBytes(free)} free. Nothing was restored.
        </p>
        <p>Choose another folder, or restore what fits.</p>
      </div>
      <div className="actions">
        <button type="button" className="primary" onClick={chooseAnotherFolder}>
          Choose another folder
        </button>
        <button type="button" className="secondary" onClick={() => void start('restore-what-fits')}>
          Restore what fits
        </button>
      </div>
      <p className="hint">
        Restore what fits restores files until the disk is full and lists each file that was not restored.
      </p>
    </>
  );
}

function ResultStep() {
  const { job, log, destination, snapshot, everything, selected, origin } = useRestore();
  const reset = useRestore((s) => s.reset);
  const [shown, setShown] = useState<string | null>(null);
  if (!job) return null;
  const problems = (log ?? []).filter((e) => e.level !== 'info');
  const restored = job.restored;
  const where =
    restored && restored.target !== '/'
      ? restored.target
      : destination.mode === 'original'
        ? null
        : destination.path;
  // "Show in folder" shows what was written: the file restored under a new name, the folder the files
  // went to, or the first original path.
  const showPath =
    restored?.keptBoth[0]?.restoredAs ??
    where ??
    (everything ? snapshot?.paths[0] : includeList(selected)[0]) ??
    null;
  const ok = job.status === 'success';
  const space = restored?.tooLittleSpace;
  if (space)
    return <TooLittleSpace folder={restored.target} needed={space.neededBytes} free={space.freeBytes} />;

  const show = async () => {
    if (!showPath) return;
    const result = await request((api) => api.shellShowInFolder({ path: showPath }));
    setShown(
      result.ok && result.value.shown
        ? null
        : `Strongroom cannot open a file manager here. ${
            restored?.keptBoth[0] ? 'The restored file is' : 'The files are in'
          } ${showPath}.`,
    );
  };

  return (
    <>
      <div className={ok ? 'sr-success' : 'sr-warning'} role="status">
        {destination.mode === 'copy-as' ? (
          // The job's own sentence says where the copy went (keep both may have given it a new name).
          <p>
            <strong>Save a copy: {JOB_STATUS_LABELS[job.status].toLowerCase()}.</strong>
          </p>
        ) : restored ? (
          // The job's own words: how many, where they went, which were restored under a new name.
          <p>
            <strong>Restore {JOB_STATUS_LABELS[job.status].toLowerCase()}.</strong> {job.message}
          </p>
        ) : (
          <p>
            <strong>Restore {JOB_STATUS_LABELS[job.status].toLowerCase()}.</strong>{' '}
            {job.status === 'cancelled' ? 'Stopped before the end: ' : ''}
            {formatFiles(job.filesDone)} restored ({formatBytes(job.bytesDone)})
            {where ? (
              <>
                {' '}
                to <span className="mono">{where}</span>
              </>
            ) : job.filesDone === 1 ? (
              ' to its original location'
            ) : (
              ' to their original location'
            )}
            .
          </p>
        )}
        {/* The job's own words already say how many could not be restored. */}
        {job.filesFailed > 0 && !restored && (
          <p>{formatFiles(job.filesFailed)} could not be restored: see below.</p>
        )}
        {job.message && (destination.mode === 'copy-as' || !restored) && <p>{job.message}</p>}
      </div>
      {problems.length > 0 && (
        <>
          <h2>Not restored</h2>
          <ul className="job-log" aria-label="Not restored">
            {problems.map((p, i) => (
              <li key={i} className={`log-${p.level}`}>
                {p.path && <span className="mono path-text">{p.path}: </span>}
                {p.message}
              </li>
            ))}
          </ul>
        </>
      )}
      {shown && <p className="notice">{shown}</p>}
      <div className="actions">
        {showPath && (
          <button type="button" className="primary" onClick={() => void show()}>
            Show in folder
          </button>
        )}
        <button type="button" className="secondary" onClick={reset}>
          {origin === 'find' ? 'Back to the versions' : 'Restore something else'}
        </button>
      </div>
    </>
  );
}
