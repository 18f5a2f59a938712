/** The serve command's storage flags (parseArgs options) and their translation to server options. */
import type { StorageOptions } from './storage/open-storage';
import { DEFAULT_UPLOAD_PACE } from './storage/upload-pace';
import { parseSize } from './storage-cli';

export const STORAGE_FLAGS = {
  storage: { type: 'string' },
  's3-endpoint': { type: 'string' },
  's3-region': { type: 'string' },
  'no-s3-conditional-writes': { type: 'boolean' },
  'deletion-grace-days': { type: 'string' },
  'default-quota': { type: 'string' },
  'max-repositories': { type: 'string' },
  'min-upload-rate': { type: 'string' },
  // storage purge
  yes: { type: 'boolean' },
  'delete-repository': { type: 'boolean' },
} as const;

export interface StorageFlagValues {
  storage?: string;
  's3-endpoint'?: string;
  's3-region'?: string;
  'no-s3-conditional-writes'?: boolean;
  'deletion-grace-days'?: string;
  'default-quota'?: string;
  'max-repositories'?: string;
  'min-upload-rate'?: string;
  yes?: boolean;
  'delete-repository'?: boolean;
}

export function storageOptions(values: StorageFlagValues): StorageOptions {
  const opts: StorageOptions = {};
  if (values.storage !== undefined) opts.storage = values.storage;
  if (values['s3-endpoint'] !== undefined) opts.s3Endpoint = values['s3-endpoint'];
  if (values['s3-region'] !== undefined) opts.s3Region = values['s3-region'];
  if (values['no-s3-conditional-writes']) opts.s3ConditionalWrites = false;
  if (values['deletion-grace-days'] !== undefined) {
    const days = Number(values['deletion-grace-days']);
    if (!/^\d+(\.\d+)?$/.test(values['deletion-grace-days']) || !Number.isFinite(days)) {
      throw new Error(`--deletion-grace-days: not a number of days: ${values['deletion-grace-days']}`);
    }
    opts.deletionGraceDays = days;
  }
  if (values['default-quota'] !== undefined) {
    opts.defaultQuotaBytes = parseSize(values['default-quota'], '--default-quota');
  }
  if (values['max-repositories'] !== undefined) {
    if (!/^\d+$/.test(values['max-repositories'])) {
      throw new Error(`--max-repositories: not a whole number: ${values['max-repositories']}`);
    }
    opts.maxRepositories = Number(values['max-repositories']);
  }
  if (values['min-upload-rate'] !== undefined) {
    const rate = parseSize(values['min-upload-rate'].replace(/\/s$/i, ''), '--min-upload-rate');
    opts.uploadPace =
      rate === null || rate === 0 ? null : { ...DEFAULT_UPLOAD_PACE, minBytesPerSecond: rate };
  }
  return opts;
}
