/**
 * Recently deleted files as a person thinks of them: not "data/612c8d4b" but "Tuesday 14:05,
 * laptop deleted 2 backups and 310 MB of their data". Files one device or token deleted close
 * together in time form one deletion; a deleted backup record is named by the job report that
 * carried its id (the server cannot read the sealed record itself).
 */
import {
  DELETION_GAP_MS,
  type DeletedBackup,
  type Deletion,
  type ReportedBackup,
} from '../../src-shared/http-api';
import type { ObjectRow } from './object-table';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * `rows`: the repository's recently deleted files (deleted_at set). Answers the deletions, newest
 * first, and for each row (in the order given) the index of its deletion.
 */
export function groupDeletions(
  rows: readonly ObjectRow[],
  graceMs: number,
  reported: ReadonlyMap<string, ReportedBackup>,
): { deletions: Deletion[]; deletionOf: number[] } {
  const order = rows
    .map((row, i) => ({ row, i }))
    .sort((a, b) => a.row.deleted_at! - b.row.deleted_at! || a.i - b.i);
  interface Open {
    rows: ObjectRow[];
    last: number;
  }
  const groups: Open[] = [];
  const openByDeleter = new Map<string, Open>();
  const groupOfRow = new Map<number, Open>();
  for (const { row, i } of order) {
    const deleter = row.deleter_id ?? `name:${row.deleter_name ?? ''}`;
    let group = openByDeleter.get(deleter);
    if (!group || row.deleted_at! - group.last > DELETION_GAP_MS) {
      group = { rows: [], last: row.deleted_at! };
      groups.push(group);
      openByDeleter.set(deleter, group);
    }
    group.rows.push(row);
    group.last = row.deleted_at!;
    groupOfRow.set(i, group);
  }

  // Newest first, as the list of recently deleted files is.
  const newestFirst = [...groups].reverse();
  const indexOf = new Map(newestFirst.map((g, n) => [g, n]));
  const deletions = newestFirst.map((g): Deletion => {
    const kinds = new Map<ObjectRow['type'], { files: number; bytes: number }>();
    for (const row of g.rows) {
      const k = kinds.get(row.type) ?? { files: 0, bytes: 0 };
      k.files += 1;
      k.bytes += row.size;
      kinds.set(row.type, k);
    }
    const backups = g.rows
      .filter((row) => row.type === 'snapshots')
      .map((row): DeletedBackup => ({
        id: row.name,
        receivedAt: iso(row.created_at),
        writtenBy: row.writer_name,
        reported: reported.get(row.name) ?? null,
      }))
      .sort((a, b) => (a.receivedAt < b.receivedAt ? 1 : -1));
    const first = g.rows[0]!.deleted_at!;
    return {
      firstAt: iso(first),
      lastAt: iso(g.last),
      deletedBy: g.rows[0]!.deleter_name,
      purgeAt: iso(first + graceMs),
      files: g.rows.length,
      bytes: g.rows.reduce((sum, row) => sum + row.size, 0),
      kinds: [...kinds].map(([type, k]) => ({ type, ...k })),
      backups,
    };
  });
  return { deletions, deletionOf: rows.map((_, i) => indexOf.get(groupOfRow.get(i)!)!) };
}
