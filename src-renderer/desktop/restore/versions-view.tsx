import { useId } from 'react';
import type { FileVersion } from '../../../src-shared/ipc-contract';
import { ErrorMessage } from '../../components/error-message';
import { formatBytes, formatFullDateTime } from '../backups/format';
import { useFocusOnMount } from '../use-focus-on-mount';
import { useFind, type VersionsTarget } from './find-store';
import { absenceWords, keptIn, matchPlace, versionTimeline } from './find-format';
import { useRestore } from './restore-store';

/**
 * One path's versions, newest first: one row per distinct content with the backups keeping it,
 * and the stretches without it between them. Each version restores (through the wizard's
 * destination, conflict and progress steps) or is saved as a copy.
 */
export function VersionsView() {
  const target = useFind((s) => s.target);
  const versions = useFind((s) => s.versions);
  const error = useFind((s) => s.versionsError);
  const loadVersions = useFind((s) => s.loadVersions);
  const back = useFind((s) => s.back);
  const from = useFind((s) => s.versionsFrom);
  const heading = useFocusOnMount<HTMLHeadingElement>();
  if (!target) return null;
  const rows = versions ? versionTimeline(versions) : [];
  const count = versions?.versions.length ?? 0;

  return (
    <>
      <h2 ref={heading} tabIndex={-1} className="mono path-text">
        {target.path}
      </h2>
      <p className="quiet">
        {matchPlace(target)}
        {versions ? ` · ${count === 1 ? '1 version' : `${count} versions`}` : ''}
      </p>
      {error && (
        <div className="load-problem">
          <ErrorMessage error={error} />
          <button type="button" className="secondary" onClick={() => void loadVersions()}>
            Try again
          </button>
        </div>
      )}
      {!versions && !error && <p className="quiet">Reading its versions from the search index…</p>}
      {versions && count === 0 && (
        <p>The search index holds no version of it any more (its backups were removed). Search again.</p>
      )}
      {count > 0 && (
        <ol className="version-list" aria-label="Versions, newest first">
          {rows.map((row) =>
            row.kind === 'version' ? (
              <VersionRow key={`v${row.number}`} number={row.number} version={row.version} target={target} />
            ) : (
              <li key={`gap${row.absence.from.id}`} className="version-gap">
                {absenceWords(row.absence)}
              </li>
            ),
          )}
        </ol>
      )}
      <div className="actions">
        <button type="button" className="secondary" onClick={back}>
          {from === 'diff' ? 'Back to what changed' : 'Back to the search'}
        </button>
      </div>
    </>
  );
}

function VersionRow({
  number,
  version,
  target,
}: {
  number: number;
  version: FileVersion;
  target: VersionsTarget;
}) {
  const title = useId();
  const restoreVersion = useRestore((s) => s.restoreVersion);
  const isFile = version.type === 'file';
  const go = (saveCopy: boolean) =>
    restoreVersion({
      source: {
        vaultId: target.vaultId,
        itemId: target.itemId,
        label: `${target.path} as it was on ${formatFullDateTime(version.last.time)}`,
      },
      // Any backup keeping this version holds the same bytes: the newest of them.
      snapshot: version.last,
      path: target.path,
      isFile,
      saveCopy,
    });
  return (
    <li className="version-row" aria-labelledby={title}>
      <h3 id={title}>Version {number}</h3>
      <p>{keptIn(version)}</p>
      <dl className="version-facts">
        {isFile && version.size !== null && (
          <div>
            <dt>Size</dt>
            <dd>{formatBytes(version.size)}</dd>
          </div>
        )}
        {version.mtime && (
          <div>
            <dt>Modified</dt>
            <dd>{formatFullDateTime(version.mtime)}</dd>
          </div>
        )}
        <div>
          <dt>First backup</dt>
          <dd>{formatFullDateTime(version.first.time)}</dd>
        </div>
        <div>
          <dt>Last backup</dt>
          <dd>{formatFullDateTime(version.last.time)}</dd>
        </div>
      </dl>
      <div className="actions">
        <button type="button" className="primary" onClick={() => go(false)}>
          Restore this version
        </button>
        {isFile && (
          <button type="button" className="secondary" onClick={() => go(true)}>
            Save a copy as…
          </button>
        )}
      </div>
    </li>
  );
}
