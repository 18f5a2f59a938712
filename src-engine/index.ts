/** The backup engine's public surface, used by the CLI and the desktop app. */
export {
  Repository,
  type RepoConfig,
  type Snapshot,
  type SnapshotSummary,
  type InitOptions,
} from './repository';
export { LocalFolderStorage, type Storage, type StorageDescriptor } from './storage';
export { backup, type BackupOptions, type BackupProgress, type BackupResult } from './backup';
export {
  restore,
  type RestoreOptions,
  type RestoreResult,
  type RestoreProgress,
  type ConflictMode,
} from './restore';
export { check, type CheckOptions, type CheckResult } from './check';
export { prune, type PruneOptions, type PruneResult } from './prune';
export { applyPolicy, groupSnapshots, policyIsEmpty, type KeepPolicy } from './forget';
export { listTree, type ListedNode } from './ls';
export { EngineError, IntegrityError } from './errors';
export { DEFAULT_CHUNKER, type ChunkerParams } from './chunker';
