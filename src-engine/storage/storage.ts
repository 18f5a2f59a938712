/**
 * Where repository files live. The engine only needs these few operations; a local folder
 * (local-folder.ts) and the account server's REST storage (http.ts) implement them. Names are
 * relative, '/'-separated.
 */
export type FileKind = 'keys' | 'index' | 'snapshots' | 'packs' | 'locks';

export interface Storage {
  /** Human-readable location for messages. */
  readonly location: string;
  /** What a worker thread needs to open the same storage. */
  readonly descriptor: StorageDescriptor;
  create(): Promise<void>;
  exists(name: string): Promise<boolean>;
  read(name: string): Promise<Buffer>;
  readRange(name: string, offset: number, length: number): Promise<Buffer>;
  size(name: string): Promise<number>;
  /** Atomic and durable: the file appears complete under `name` or not at all. */
  write(name: string, data: Uint8Array | Uint8Array[]): Promise<void>;
  /** File names (not paths) of one kind. */
  list(kind: FileKind): Promise<string[]>;
  remove(name: string): Promise<void>;
  /** Leftovers of interrupted writes; only safe to delete under an exclusive lock. */
  listTemporary(): Promise<string[]>;
  /**
   * Optional streaming write: bytes go to a temporary file as they come and `commit` gives it its name
   * (durably), so a pack never has to sit in memory whole. Storages without it get `write`.
   */
  createTemp?(tag?: string): TempFile;
  /**
   * Removes the temporary files `createTemp(tag)` made, in every thread, that were neither committed
   * nor aborted (a worker ended mid-pack). Only this run's: another run may be writing beside it.
   */
  removeTemps?(tag: string): Promise<number>;
  /** Bytes free for new files where the storage keeps them, where it can tell. */
  freeSpace?(): Promise<number>;
}

export interface TempFile {
  append(data: Uint8Array): void;
  commit(name: string): Promise<void>;
  abort(): void;
}

/** What a worker thread needs to open the same storage (the token travels in memory, never argv). */
export type StorageDescriptor =
  | { kind: 'local'; path: string }
  | {
      kind: 'rest';
      url: string;
      token: string;
      /** As RestTimeouts in http.ts (defaults when absent). */
      timeouts?: { timeoutMs?: number; retries?: number; retryDelayMs?: number };
    };

export function packName(id: string): string {
  return `packs/${id.slice(0, 2)}/${id}`;
}
