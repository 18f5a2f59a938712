/** The words the panel uses for what account storage holds (docs/glossary.md). */
import type { StorageDeletionAlert, StorageFileType } from '../../src-shared/http-api';
import { formatBytes, formatCount } from '../../src-shared/units';

/** What each kind of stored file is, in the words of docs/glossary.md (singular, plural). */
export const FILE_KIND_WORDS: Record<StorageFileType, [string, string]> = {
  snapshots: ['backup record', 'backup records'],
  data: ['data file', 'data files'],
  index: ['search data file', 'search data files'],
  keys: ['key file', 'key files'],
  locks: ['lock file', 'lock files'],
  config: ['vault settings file', 'vault settings files'],
};

/** What each kind of deletion alert says (the server's kinds, src-shared/http-api/storage.ts). */
export const ALERT_WORDS: Record<StorageDeletionAlert['kind'], (a: StorageDeletionAlert) => string> = {
  config: () => 'its config file (without it no backup of it can be read) was deleted',
  keys: (a) => `a key file was deleted (${a.repositoryFiles - a.deletedFiles} left)`,
  // Counted against the records there were a day before: ones added within the day and deleted
  // again can make the deleted more than that, and "3 of 1" would read as a mistake.
  snapshots: (a) =>
    a.deletedFiles <= a.repositoryFiles
      ? `${a.deletedFiles} of ${a.repositoryFiles} backup records were deleted within a day`
      : `${formatCount(a.deletedFiles, 'backup record')} ${a.deletedFiles === 1 ? 'was' : 'were'} deleted within a day`,
  index: (a) =>
    `${formatBytes(a.deletedBytes)} of ${formatBytes(a.repositoryBytes)} of its search data were deleted within a day`,
  bytes: (a) =>
    `${formatBytes(a.deletedBytes)} of ${formatBytes(a.repositoryBytes)} were deleted within a day`,
};
