/** The serve command's storage flags (parseArgs options) and their translation to server options. */
import type { StorageOptions } from './storage/open-storage';
import { parseSize } from './storage-cli';

export const STORAGE_FLAGS = {
  storage: { type: 'string' },
  's3-endpoint': { type: 'string' },
  's3-region': { type: 'string' },
  'no-s3-conditional-writes': { type: 'boolean' },
  'deletion-grace-days': { type: 'string' },
  'default-quota': { type: 'string' },
} as const;

export interface StorageFlagValues {
  storage?: string;
  's3-endpoint'?: string;
  's3-region'?: string;
  'no-s3-conditional-writes'?: boolean;
  'deletion-grace-days'?: string;
  'default-quota'?: string;
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
  return opts;
}
