import { useEffect, useId, useRef } from 'react';
import { newJobRecord } from '../../../src-shared/backup-jobs';
import type { CatalogueStatus } from '../../../src-shared/ipc-contract';
import { ErrorMessage } from '../../components/error-message';
import { useBackups } from '../backups/backups-store';
import { JobProgressView } from '../backups/job-progress-view';
import { request } from '../request';
import { useFind, type CatalogueJob } from './find-store';
import { matchPlace, matchSummary } from './find-format';

/**
 * The search field of Restore: matches across every backup of every vault as the person types,
 * each opening to its versions; above them, the vaults whose catalogue would make the answer
 * incomplete, with "Rebuild search index".
 */
export function FindSection() {
  const ids = { field: useId(), hint: useId() };
  const query = useFind((s) => s.query);
  const setQuery = useFind((s) => s.setQuery);
  const loadStatuses = useFind((s) => s.loadStatuses);
  const input = useRef<HTMLInputElement>(null);
  // Each time the page opens, fresh answers: catalogues may have changed while it was away. Back
  // from a file's versions lands in the field; on opening Restore the page's heading (focused by
  // the page after this) comes first.
  useEffect(() => {
    input.current?.focus();
    void loadStatuses();
    if (useFind.getState().query.trim()) void useFind.getState().search();
  }, [loadStatuses]);

  return (
    <section className="find-section" aria-labelledby={`${ids.field}-heading`}>
      <h2 id={`${ids.field}-heading`} className="visually-hidden">
        Find a file
      </h2>
      <div className="field">
        <label htmlFor={ids.field}>Find a file or folder in your backups</label>
        <input
          id={ids.field}
          ref={input}
          type="search"
          className="find-field"
          autoComplete="off"
          spellCheck={false}
          value={query}
          placeholder="letter.txt, taxes/2025, *.pdf"
          aria-describedby={ids.hint}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setQuery('');
          }}
        />
        <p className="hint" id={ids.hint}>
          Part of a name or a path; * stands for any characters, ? for one. Capitals do not matter.
        </p>
      </div>
      <CatalogueNotes />
      <Matches />
    </section>
  );
}

function Matches() {
  const { query, result, answered, searching, searchError } = useFind();
  const search = useFind((s) => s.search);
  const openVersions = useFind((s) => s.openVersions);
  if (!query.trim()) return null;
  if (searchError)
    return (
      <div className="load-problem">
        <ErrorMessage error={searchError} />
        <button type="button" className="secondary" onClick={() => void search()}>
          Try again
        </button>
      </div>
    );
  const matches = result?.matches ?? [];
  let status: string;
  if (!result) status = 'Searching…';
  else if (matches.length === 0) status = `Nothing in your backups matches “${answered}”.`;
  else
    status = `${result.truncated ? 'The first ' : ''}${matches.length} ${matches.length === 1 ? 'match' : 'matches'} for “${answered}”${result.truncated ? ': type more to narrow it down' : ''}.`;
  return (
    <>
      <p className="quiet" role="status" aria-live="polite">
        {status}
        {searching && result ? ' Searching…' : ''}
      </p>
      {matches.length > 0 && (
        <ul className="choice-list" aria-label="Matches">
          {matches.map((m) => (
            <li key={`${m.vaultId}\u0000${m.itemId ?? ''}\u0000${m.path}`}>
              <button
                type="button"
                className="choice-button"
                onClick={() =>
                  void openVersions({
                    vaultId: m.vaultId,
                    vaultName: m.vaultName,
                    itemId: m.itemId,
                    itemName: m.itemName,
                    path: m.path,
                    type: m.type,
                  })
                }
              >
                <span className="choice-title mono path-text">{m.path}</span>
                <span className="quiet">
                  {matchPlace(m)}: {matchSummary(m)}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

const STATE_WORDS: Record<Exclude<CatalogueStatus['state'], 'ready'>, string> = {
  missing: 'has not been built yet, so the search does not look in its backups',
  stale: 'is missing some backups, so the search may not find everything in them',
  damaged: 'was found damaged; until it is rebuilt the search does not look in its backups',
};

const UPDATING =
  'is being brought up to date with its backups; until then the search may miss the newest files';

/** One note per vault whose search index is not complete: why, and Rebuild search index (or its progress). */
function CatalogueNotes() {
  const statuses = useFind((s) => s.statuses);
  const statusError = useFind((s) => s.statusError);
  const incomplete = useFind((s) => s.result?.incompleteVaults);
  const rebuilds = useFind((s) => s.rebuilds);
  const errors = useFind((s) => s.rebuildErrors);
  const rebuild = useFind((s) => s.rebuild);
  const vaults = useBackups((s) => s.overview?.vaults);

  const noted = new Map<string, string>();
  for (const s of statuses ?? []) if (s.state !== 'ready') noted.set(s.vaultId, STATE_WORDS[s.state]);
  for (const id of incomplete ?? []) if (!noted.has(id)) noted.set(id, STATE_WORDS.stale);
  // A routine update (after a backup) is not a problem: said as what it is.
  for (const id of Object.keys(rebuilds)) {
    if (!noted.has(id) || noted.get(id) === STATE_WORDS.stale) noted.set(id, UPDATING);
  }
  if (statusError) return <ErrorMessage error={statusError} />;
  if (noted.size === 0) return null;
  const nameOf = (id: string) => vaults?.find((v) => v.id === id)?.name ?? 'a vault';

  return (
    <ul className="catalogue-notes" aria-label="Search indexes">
      {[...noted].map(([vaultId, words]) => {
        const name = nameOf(vaultId);
        const running = rebuilds[vaultId];
        return (
          <li key={vaultId} className="notice warning">
            <p>
              The search index of “{name}” {words}.
            </p>
            {running ? (
              <CatalogueProgress vaultId={vaultId} vaultName={name} running={running} />
            ) : (
              <button type="button" className="secondary" onClick={() => void rebuild(vaultId)}>
                Rebuild search index
                <span className="visually-hidden"> of {name}</span>
              </button>
            )}
            <ErrorMessage error={errors[vaultId] ?? null} />
          </li>
        );
      })}
    </ul>
  );
}

function CatalogueProgress({
  vaultId,
  vaultName,
  running,
}: {
  vaultId: string;
  vaultName: string;
  running: CatalogueJob;
}) {
  return (
    <JobProgressView
      job={
        running.job ??
        newJobRecord({
          id: running.jobId,
          kind: 'catalogue',
          itemId: null,
          vaultId,
          itemName: null,
          vaultName,
          trigger: 'manual',
          status: 'running',
          queuedAt: new Date(0).toISOString(),
        })
      }
      progress={running.progress}
      label={`Search index progress of ${vaultName}`}
      onCancel={async () => {
        const result = await request((api) => api.jobCancel({ jobId: running.jobId }));
        return result.ok ? null : result.error;
      }}
    />
  );
}
