/** Messages between the backup's main thread and its chunk workers. */
import type { ChunkerParams } from './chunker';
import type { PackEntry } from './pack';
import type { StorageDescriptor } from './storage';

export interface WorkerInit {
  storage: StorageDescriptor;
  encryptKey: Uint8Array;
  blobIdKey: Uint8Array;
  gearKey: Uint8Array;
  chunker: ChunkerParams;
  packSize: number;
  level: number;
}

export type ToWorker =
  /** SharedIdSet memory: every blob id the repository has or a worker has claimed; sent before any file. */
  | { t: 'ids'; buffer: SharedArrayBuffer; capacity: number }
  | { t: 'file'; task: number; path: string | Uint8Array; size: number }
  | { t: 'flush'; req: number };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'progress'; bytes: number }
  | { t: 'pack'; packId: string; entries: PackEntry[] }
  | { t: 'done'; task: number; content: string[]; size: number; bytes: number; error?: string }
  | { t: 'flushed'; req: number; error?: string }
  | { t: 'fatal'; error: string; code?: string };
