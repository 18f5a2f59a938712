/** The words of file-first restore: versions, the gaps between them, and what a match is. */
import type {
  CatalogueMatch,
  FileAbsence,
  FileVersion,
  FileVersions,
} from '../../../src-shared/ipc-contract';
import { formatCount, formatFullDateTime } from '../backups/format';

export type TimelineRow =
  { kind: 'version'; number: number; version: FileVersion } | { kind: 'absence'; absence: FileAbsence };

/**
 * Versions (numbered oldest first, as the person counts them) and the stretches without the file,
 * in one list, newest first: a gap sits where it happened, between the versions around it.
 */
export function versionTimeline(v: FileVersions): TimelineRow[] {
  const rows: { at: number; row: TimelineRow }[] = [
    ...v.versions.map((version, i) => ({
      at: Date.parse(version.first.time),
      row: { kind: 'version', number: i + 1, version } as TimelineRow,
    })),
    ...v.absences.map((absence) => ({
      at: Date.parse(absence.from.time),
      row: { kind: 'absence', absence } as TimelineRow,
    })),
  ];
  return rows.sort((a, b) => b.at - a.at).map((r) => r.row);
}

/** "Kept in 200 backups, from … to …", or "In 1 backup, …". */
export function keptIn(version: FileVersion): string {
  if (version.backupCount === 1 || version.first.id === version.last.id) {
    return `In 1 backup, ${formatFullDateTime(version.first.time)}`;
  }
  return `Kept in ${formatCount(version.backupCount, 'backup', 'backups')}, from ${formatFullDateTime(version.first.time)} to ${formatFullDateTime(version.last.time)}`;
}

/** "Not in backups from … until …", or "Not in backups since …" when still gone. */
export function absenceWords(absence: FileAbsence): string {
  if (!absence.until) return `Not in backups since ${formatFullDateTime(absence.from.time)}`;
  return `Not in backups from ${formatFullDateTime(absence.from.time)} until ${formatFullDateTime(absence.until.time)}`;
}

/** Where a match was found: "Documents in USB drive", or the vault alone for backups made elsewhere. */
export function matchPlace(m: Pick<CatalogueMatch, 'vaultName' | 'itemName'>): string {
  return m.itemName ? `${m.itemName} in ${m.vaultName}` : `Vault: ${m.vaultName}`;
}

/** "3 versions", "deleted since …" when the newest backup lacks it. */
export function matchSummary(m: CatalogueMatch): string {
  const parts = [formatCount(m.versionCount, 'version', 'versions')];
  if (m.type === 'dir') parts.unshift('Folder');
  if (!m.inLatest) parts.push(`not in the newest backup (last in ${formatFullDateTime(m.lastSeen.time)})`);
  return parts.join(', ');
}

/** The last part of a path: the name a copy is offered under. */
export function baseName(p: string): string {
  const parts = p.split('/').filter(Boolean);
  return parts[parts.length - 1] ?? p;
}
