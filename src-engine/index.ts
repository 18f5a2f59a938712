/** The backup engine's public surface, used by the CLI and the desktop app. */
export {
  Repository,
  type RepoConfig,
  type Snapshot,
  type SnapshotSummary,
  type InitOptions,
  type RepositoryProblem,
  type SnapshotRepair,
} from './repository/repository';
export {
  accountSlotKey,
  amkFromAccountPassword,
  amkFromRecoveryKey,
  recoveryKeyFromText,
  readEnvelope,
  writeEnvelope,
  envelopeWrapGeneration,
  envelopeCheck,
  envelopeMac,
  type AccountKeyMaterial,
  type AccountSlotKey,
  type KeyListing,
} from './repository/keys';
export type { EngineEnvelope } from '../src-shared/repository-key-files';
export type { OpenOptions } from './repository/repository';
export { LocalFolderStorage, RestHttpStorage, type Storage, type StorageDescriptor } from './storage';
export { backup, type BackupOptions, type BackupProgress, type BackupResult } from './backup/backup';
export type { EngineProblem, ProblemKind } from '../src-shared/engine-records';
export {
  restore,
  RestoreIncompleteError,
  RestoreInterruptedError,
  type RestoreOptions,
  type RestoreResult,
  type RestoreProgress,
  type ConflictMode,
} from './restore/restore';
export { check, type CheckOptions, type CheckResult } from './maintenance/check';
export { prune, type PruneOptions, type PruneResult } from './maintenance/prune';
export {
  repairIndex,
  repairSnapshots,
  type RepairIndexOptions,
  type RepairIndexResult,
  type RepairSnapshotsOptions,
  type RepairSnapshotsResult,
} from './maintenance/repair';
export { applyPolicy, groupSnapshots, policyIsEmpty, type KeepPolicy } from './maintenance/forget';
export { listTree, type ListedNode } from './query/ls';
export { childPath, walkTree, type WalkEntry, type WalkOptions } from './query/walk';
export { contentKey, contentKeyBytes } from './query/content-key';
export {
  findInSnapshots,
  type FindOptions,
  type FindResult,
  type FoundPath,
  type FoundVersion,
  type SnapshotRef,
} from './query/find';
export {
  diffTrees,
  emptySummary,
  type ChangeKind,
  type DiffChange,
  type DiffCounts,
  type DiffOptions,
  type DiffSide,
  type DiffSummary,
} from './query/diff';
export { compileFindPattern, type FindPattern } from './query/find-pattern';
export { selectSnapshots, type SnapshotFilter } from './query/snapshot-filter';
export type { TreeNode, NodeType } from './repository/tree';
export type { FsPath } from './fs/fs-names';
export { EngineError, IntegrityError } from './errors';
export { DEFAULT_CHUNKER, type ChunkerParams } from './repository/chunker-params';
export type { TransferProgress } from './repository/progress';
