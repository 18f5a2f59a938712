import { useEffect, useId } from 'react';
import type { DiffEntry, SnapshotDiff } from '../../../src-shared/ipc-contract';
import { ErrorMessage } from '../../components/error-message';
import { useBackups } from '../backups/backups-store';
import { formatBytes, formatFullDateTime } from '../backups/format';
import { useFocusOnMount } from '../use-focus-on-mount';
import { useFind } from './find-store';

/**
 * "What changed" between two backups of an item (or of a whole vault): the files added, removed
 * and modified, with their sizes, each opening to its versions.
 */
export function WhatChangedView() {
  const ids = { source: useId(), from: useId(), to: useId() };
  const overview = useBackups((s) => s.overview);
  const load = useBackups((s) => s.load);
  const { diffSource, diffSnapshots, diffSnapshotsError, diffFrom, diffTo, diff, diffLoading, diffError } =
    useFind();
  const choose = useFind((s) => s.chooseDiffSource);
  const setPair = useFind((s) => s.setDiffPair);
  const compare = useFind((s) => s.compare);
  const back = useFind((s) => s.back);
  const heading = useFocusOnMount<HTMLHeadingElement>();
  useEffect(() => {
    void load();
  }, [load]);

  const sources = [
    ...(overview?.items ?? []).map((v) => ({
      key: `item:${v.item.id}`,
      source: { vaultId: v.item.vaultId, itemId: v.item.id, label: v.item.name },
      label: `${v.item.name} (in ${v.vaultName})`,
    })),
    ...(overview?.vaults ?? []).map((v) => ({
      key: `vault:${v.id}`,
      source: { vaultId: v.id, itemId: null, label: `Vault: ${v.name}` },
      label: `Everything in the vault ${v.name}`,
    })),
  ];
  const chosenKey = diffSource
    ? diffSource.itemId
      ? `item:${diffSource.itemId}`
      : `vault:${diffSource.vaultId}`
    : '';
  const snaps = diffSnapshots ?? [];

  return (
    <>
      <h2 ref={heading} tabIndex={-1}>
        What changed between two backups
      </h2>
      <div className="field">
        <label htmlFor={ids.source}>Backups of</label>
        <select
          id={ids.source}
          className="diff-source"
          value={chosenKey}
          onChange={(e) => void choose(sources.find((s) => s.key === e.target.value)?.source ?? null)}
        >
          <option value="">Choose…</option>
          {sources.map((s) => (
            <option key={s.key} value={s.key}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
      {diffSnapshotsError && <ErrorMessage error={diffSnapshotsError} />}
      {diffSource && !diffSnapshots && !diffSnapshotsError && (
        <p className="quiet">Reading the backups in the vault…</p>
      )}
      {diffSnapshots && snaps.length < 2 && (
        <p>
          There {snaps.length === 1 ? 'is only one backup' : 'are no backups'} of this yet: nothing to
          compare.
        </p>
      )}
      {snaps.length >= 2 && (
        <form
          className="compare-form"
          onSubmit={(e) => {
            e.preventDefault();
            void compare();
          }}
        >
          <BackupSelect
            id={ids.from}
            label="From backup"
            snaps={snaps}
            value={diffFrom}
            onChange={(id) => setPair(id, diffTo)}
          />
          <BackupSelect
            id={ids.to}
            label="To backup"
            snaps={snaps}
            value={diffTo}
            onChange={(id) => setPair(diffFrom, id)}
          />
          <div className="actions">
            <button type="submit" className="primary" disabled={diffLoading}>
              {diffLoading ? 'Comparing…' : 'Show what changed'}
            </button>
          </div>
        </form>
      )}
      <ErrorMessage error={diffError} />
      {diff && <DiffResult diff={diff} />}
      <div className="actions">
        <button type="button" className="secondary" onClick={back}>
          Back to the search
        </button>
      </div>
    </>
  );
}

const count = (n: number) => n.toLocaleString('en-US');

/** One end of the comparison: a backup of the item, by its time. */
function BackupSelect(props: {
  id: string;
  label: string;
  snaps: { id: string; time: string }[];
  value: string | null;
  onChange(snapshotId: string): void;
}) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <select
        id={props.id}
        className="backup-select"
        value={props.value ?? ''}
        onChange={(e) => props.onChange(e.target.value)}
      >
        {props.snaps.map((s) => (
          <option key={s.id} value={s.id}>
            {formatFullDateTime(s.time)}
          </option>
        ))}
      </select>
    </div>
  );
}

function DiffResult({ diff }: { diff: SnapshotDiff }) {
  const none = diff.totals.added + diff.totals.removed + diff.totals.modified === 0;
  return (
    <section aria-label="Changes" className="diff-result">
      <p role="status">
        {none
          ? `Nothing changed between ${formatFullDateTime(diff.from.time)} and ${formatFullDateTime(diff.to.time)}.`
          : `From ${formatFullDateTime(diff.from.time)} to ${formatFullDateTime(diff.to.time)}: ${count(diff.totals.added)} added, ${count(diff.totals.removed)} removed, ${count(diff.totals.modified)} modified.`}
        {diff.truncated ? ' Only the first of them are listed.' : ''}
      </p>
      <DiffList title="Added" entries={diff.added} total={diff.totals.added} size={(e) => e.sizeAfter} />
      <DiffList
        title="Removed"
        entries={diff.removed}
        total={diff.totals.removed}
        size={(e) => e.sizeBefore}
      />
      <DiffList
        title="Modified"
        entries={diff.modified}
        total={diff.totals.modified}
        size={(e) => e.sizeAfter}
        before={(e) => e.sizeBefore}
      />
    </section>
  );
}

function DiffList({
  title,
  entries,
  total,
  size,
  before,
}: {
  title: string;
  entries: DiffEntry[];
  total: number;
  size(e: DiffEntry): number | null;
  before?(e: DiffEntry): number | null;
}) {
  const id = useId();
  const source = useFind((s) => s.diffSource);
  const openVersions = useFind((s) => s.openVersions);
  const vaults = useBackups((s) => s.overview?.vaults);
  const items = useBackups((s) => s.overview?.items);
  if (total === 0 || !source) return null;
  const vaultName = vaults?.find((v) => v.id === source.vaultId)?.name ?? '';
  const itemName = source.itemId
    ? (items?.find((i) => i.item.id === source.itemId)?.item.name ?? null)
    : null;
  const sizeWords = (e: DiffEntry) => {
    if (e.type === 'dir') return 'folder';
    const after = size(e);
    const was = before?.(e);
    if (after === null) return '';
    return was !== undefined && was !== null
      ? `${formatBytes(was)} → ${formatBytes(after)}`
      : formatBytes(after);
  };
  return (
    <>
      <h3 id={id}>
        {title} ({count(total)})
      </h3>
      <ul className="choice-list" aria-labelledby={id}>
        {entries.map((e) => (
          <li key={e.path}>
            <button
              type="button"
              className="choice-button"
              onClick={() =>
                void openVersions({
                  vaultId: source.vaultId,
                  vaultName,
                  itemId: source.itemId,
                  itemName,
                  path: e.path,
                  type: e.type,
                })
              }
            >
              <span className="choice-title mono path-text">{e.path}</span>
              <span className="quiet">{sizeWords(e)}</span>
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}
