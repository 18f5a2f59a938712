import type { DeletedBackup, DeletedFile, Deletion, StorageFileType } from '../../src-shared/http-api';
import { formatBytes, formatCount } from '../../src-shared/units';
import { formatTime, visibleText } from './format';
import { FILE_KIND_WORDS } from './storage-words';

// Backup records first: they are what a person recognises.
const KIND_ORDER: StorageFileType[] = ['snapshots', 'data', 'index', 'keys', 'config', 'locks'];

function kindsText(d: Deletion): string {
  return [...d.kinds]
    .sort((a, b) => KIND_ORDER.indexOf(a.type) - KIND_ORDER.indexOf(b.type))
    .map((k) => {
      const [one, many] = FILE_KIND_WORDS[k.type];
      return `${formatCount(k.files, one, many)} (${formatBytes(k.bytes)})`;
    })
    .join(', ');
}

/** A backup whose record went: as its job report told it, else when it arrived and from whom. */
function backupText(b: DeletedBackup): string {
  if (b.reported) {
    return `Backup of ${visibleText(b.reported.item)} from ${formatTime(b.reported.startedAt)} on ${visibleText(b.reported.deviceName)}`;
  }
  return `Backup received ${formatTime(b.receivedAt)}${b.writtenBy ? ` from ${visibleText(b.writtenBy)}` : ''}`;
}

/**
 * The recently deleted files of one vault, one entry per deletion: when, by which device or token,
 * how many files and bytes of each kind, which backups; the raw file names behind Details.
 */
export function DeletionList({
  vault,
  deletions,
  files,
  onRestore,
}: {
  vault: string;
  deletions: Deletion[];
  files: DeletedFile[];
  onRestore: (files: Array<{ type: StorageFileType; name: string }>) => void;
}) {
  return (
    <ul className="panel-list" aria-label={`Deletions from ${vault}`}>
      {deletions.map((d, index) => {
        const own = files.filter((f) => f.deletion === index);
        const headingId = `deletion-${vault}-${index}`;
        const by = d.deletedBy === null ? 'an unknown device' : visibleText(d.deletedBy);
        return (
          <li key={`${d.firstAt}-${index}`} className="panel-deletion" aria-labelledby={headingId}>
            <h5 id={headingId}>
              {formatTime(d.firstAt)}: deleted by {by}
            </h5>
            <p>
              {formatCount(d.files, 'file')}, {formatBytes(d.bytes)}: {kindsText(d)}.{' '}
              <span className="panel-muted">Restorable until {formatTime(d.purgeAt)}.</span>
            </p>
            {d.backups.length > 0 && (
              <ul aria-label="Backups deleted">
                {d.backups.map((b) => (
                  <li key={b.id}>{backupText(b)}</li>
                ))}
              </ul>
            )}
            <div className="sr-actions">
              <button
                type="button"
                onClick={() => onRestore(own.map(({ type, name }) => ({ type, name })))}
                aria-label={`Restore what ${by} deleted on ${formatTime(d.firstAt)}`}
              >
                Restore
              </button>
            </div>
            <details>
              <summary>Details (file names)</summary>
              <div className="panel-table-wrap">
                <table className="panel-table" role="table">
                  <caption>Files deleted ({visibleText(vault)})</caption>
                  <thead role="rowgroup">
                    <tr role="row">
                      <th scope="col">File</th>
                      <th scope="col">Size</th>
                      <th scope="col">Deleted</th>
                    </tr>
                  </thead>
                  <tbody role="rowgroup">
                    {own.map((f) => (
                      <tr key={`${f.type}/${f.name}`} role="row">
                        <th scope="row">
                          <code>{f.type === 'config' ? 'config' : `${f.type}/${f.name}`}</code>
                        </th>
                        <td>{formatBytes(f.sizeBytes)}</td>
                        <td>{formatTime(f.deletedAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </details>
          </li>
        );
      })}
    </ul>
  );
}
