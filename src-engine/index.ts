/** The backup engine's public surface, used by the CLI and the desktop app. */
export {
  Repository,
  type RepoConfig,
  type Snapshot,
  type SnapshotSummary,
  type InitOptions,
  type RepositoryProblem,
  type SnapshotRepair,
} from './repository';
export { LocalFolderStorage, RestHttpStorage, type Storage, type StorageDescriptor } from './storage';
export {
  backup,
  type BackupOptions,
  type BackupProgress,
  type BackupResult,
  type BackupFailure,
} from './backup';
export {
  restore,
  RestoreIncompleteError,
  type RestoreFailure,
  type RestoreOptions,
  type RestoreResult,
  type RestoreProgress,
  type ConflictMode,
} from './restore';
export { check, type CheckOptions, type CheckResult } from './check';
export { prune, type PruneOptions, type PruneResult } from './prune';
export {
  repairIndex,
  repairSnapshots,
  type RepairIndexOptions,
  type RepairIndexResult,
  type RepairSnapshotsOptions,
  type RepairSnapshotsResult,
} from './repair';
export { applyPolicy, groupSnapshots, policyIsEmpty, type KeepPolicy } from './forget';
export { listTree, type ListedNode } from './ls';
export { childPath, walkTree, type WalkEntry, type WalkOptions } from './walk';
export { contentKey, contentKeyBytes } from './content-key';
export {
  findInSnapshots,
  type FindOptions,
  type FindResult,
  type FoundPath,
  type FoundVersion,
  type SnapshotRef,
} from './find';
export {
  diffTrees,
  emptySummary,
  type ChangeKind,
  type DiffChange,
  type DiffCounts,
  type DiffOptions,
  type DiffSide,
  type DiffSummary,
} from './diff';
export { compileFindPattern, type FindPattern } from './find-pattern';
export { selectSnapshots, type SnapshotFilter } from './snapshot-filter';
export type { TreeNode, NodeType } from './tree';
export type { FsPath } from './fs-names';
export { EngineError, IntegrityError } from './errors';
export { DEFAULT_CHUNKER, type ChunkerParams } from './chunker';
export type { TransferProgress } from './progress';
