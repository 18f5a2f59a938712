/**
 * The backup configuration (src-shared/backup-config.ts) in the settings store under "backup".
 * Validated on every load and every save with the one schema. An invalid stored configuration
 * (hand-edited, from a newer version, corrupt) is refused whole with a message naming the field:
 * nothing of it is used, and every change is refused until the file is fixed, so the bad file is
 * never overwritten and nothing a person configured is lost by a silent reset.
 */
import { EMPTY_BACKUP_CONFIG, parseBackupConfig, type BackupConfig } from '../../../src-shared/backup-config';
import type { SettingsStore } from '../ports';
import { ServiceError } from '../service-error';

export class BackupConfigStore {
  private readonly listeners = new Set<(config: BackupConfig) => void>();

  constructor(private readonly store: SettingsStore) {}

  /** The configuration; throws config_invalid (naming the field) when the stored one is invalid. */
  get(): BackupConfig {
    const raw = this.store.read('backup');
    // Nothing stored yet: a fresh install.
    if (raw === undefined || raw === null) return structuredClone(EMPTY_BACKUP_CONFIG);
    const parsed = parseBackupConfig(raw);
    if (!parsed.ok) {
      throw new ServiceError(
        'config_invalid',
        `The backup configuration stored on this computer is not valid (${parsed.message}). ` +
          'Strongroom changes nothing until it is fixed: correct or remove the "backup" entry of strongroom.json in its data folder.',
      );
    }
    return parsed.config;
  }

  /** Null when the stored configuration is valid (or absent), else the message get() throws. */
  problem(): string | null {
    try {
      this.get();
      return null;
    } catch (error) {
      return error instanceof ServiceError ? error.message : 'The backup configuration cannot be read.';
    }
  }

  /**
   * Applies `change` to a copy of the current configuration and saves the result if it is valid.
   * The change's own problem is refused with the field named (bad_request); the stored file stays.
   */
  update(change: (draft: BackupConfig) => void): BackupConfig {
    const draft = structuredClone(this.get());
    change(draft);
    const parsed = parseBackupConfig(draft);
    if (!parsed.ok) throw new ServiceError('bad_request', parsed.message);
    this.store.write('backup', parsed.config);
    for (const listener of [...this.listeners]) listener(parsed.config);
    return parsed.config;
  }

  onChange(listener: (config: BackupConfig) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
