/** Messages between the backup's main thread and its chunk workers. */
import type { ChunkerParams } from '../repository/chunker-params';
import type { PackEntry } from '../repository/pack';
import type { StorageDescriptor } from '../storage';

export interface WorkerInit {
  storage: StorageDescriptor;
  encryptKey: Uint8Array;
  blobIdKey: Uint8Array;
  gearKey: Uint8Array;
  chunker: ChunkerParams;
  packSize: number;
  /** The run's tag for temporary pack files (see Storage.removeTemps). */
  tempTag: string;
  level: number;
  /** Int32 flag shared with the main thread: 1 stops every file at its next read window (cancel). */
  stop: SharedArrayBuffer;
}

/** The file the scan saw: its size, and the device and inode numbers (decimal) that make it that file. */
export interface FileIdentity {
  size: number;
  dev: string;
  ino: string;
}

/** One file of a batch: its path (bytes when the name is not UTF-8) and what the scan saw there. */
export interface FileTask extends FileIdentity {
  path: string | Uint8Array;
}

/** Why a file is not in the snapshot: words for a person, and the errno code behind them. */
export interface FileRefusal {
  reason: string;
  errno?: string;
}

/** What became of one file: its blob ids, or why it could not be read, or that the backup stopped. */
export interface FileOutcome {
  content: string[];
  size: number;
  /** The times of the version stored (the descriptor's, after reading it). */
  mtimeNs?: string;
  ctimeNs?: string;
  /** Not stored, and why. */
  error?: FileRefusal;
  /** Stored, but it changed while it was read, twice: why, in words. */
  changed?: string;
  /** Bytes of a first read that were thrown away because the file moved (read again). */
  reread?: number;
  stopped?: boolean;
}

export type ToWorker =
  /** SharedIdSet memory: every blob id the repository has or a worker has claimed; sent before any file. */
  | { t: 'ids'; buffer: SharedArrayBuffer; capacity: number }
  /** Several small files go in one message (or one large file alone): a message per file cost more than the file. */
  | { t: 'files'; task: number; files: FileTask[] }
  | { t: 'flush'; req: number };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'progress'; bytes: number }
  | { t: 'pack'; packId: string; entries: PackEntry[] }
  | { t: 'done'; task: number; results: FileOutcome[]; bytes: number }
  | { t: 'flushed'; req: number; error?: string }
  | { t: 'fatal'; error: string; code?: string; status?: number };
