/**
 * An opened repository: the master key's subkeys, the config, the blob index, and reading/writing the
 * sealed files (config, index, snapshots, locks). See docs/repository-format.md.
 */
import crypto from 'node:crypto';
import {
  deriveSubkeys,
  open,
  randomHex,
  seal,
  sha256Hex,
  DEFAULT_SCRYPT,
  type ScryptParams,
  type Subkeys,
} from './crypto';
import {
  amkFromAccountPassword,
  amkFromRecoveryKey,
  describeKeyFile,
  findAccountSlots,
  openAccountSlot,
  openPasswordSlot,
  opensRepository,
  readAccountSlotMetadata,
  readKeyFiles,
  writeAccountSlot,
  writePasswordSlot,
  RANDOM_NAME,
  type AccountKeyMaterial,
  type KeyListing,
  type KeyProblem,
} from './keys';
import { scryptProblem } from '../../src-shared/repository-key-files';
import type { VaultRecord } from '../../src-shared/account-keys';
import { DEFAULT_CHUNKER, validateChunkerParams, type ChunkerParams } from './chunker-params';
import { decode, initCodec, maybeCompress, DEFAULT_LEVEL } from './codec';
import { EngineError, IntegrityError } from '../errors';
import {
  decryptBlob,
  readPackHeader,
  DEFAULT_PACK_SIZE,
  BLOB_TREE,
  type PackEntry,
  type BlobType,
} from './pack';
import { packName, type FileKind, type Storage } from '../storage';
import { decodeTree, type Tree } from './tree';
import { RepositoryLock, type LockInfo, type LockPort } from './lock';

export interface RepoConfig {
  version: 1;
  id: string;
  chunker: ChunkerParams;
  packSize: number;
  compressionLevel: number;
  created: string;
}

export interface InitOptions {
  chunker?: ChunkerParams;
  packSize?: number;
  scrypt?: ScryptParams;
  compressionLevel?: number;
}

export interface SnapshotSummary {
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  dirs: number;
  bytesProcessed: number;
  bytesAdded: number;
  blobsAdded: number;
  durationMs: number;
  /**
   * Everything the snapshot holds: its files (new, changed and unmodified) and the sum of their
   * sizes, as restic's `total_files_processed` and `total_bytes_processed`. Absent in snapshots made
   * before they were recorded; a repaired snapshot keeps its backup's, which count what it dropped.
   */
  totalFilesProcessed?: number;
  totalBytesProcessed?: number;
}

export interface Snapshot {
  version: 1;
  time: string;
  host: string;
  username: string;
  paths: string[];
  tags: string[];
  excludes: string[];
  parent?: string;
  tree: string;
  partial: boolean;
  warnings: string[];
  summary: SnapshotSummary;
  /** Set by `repair snapshots`: this snapshot replaces `original`, without the paths in `dropped`. */
  repaired?: SnapshotRepair;
}

export interface SnapshotRepair {
  /** The snapshot as the backup wrote it (the first of a chain of repairs). */
  original: string;
  /**
   * The snapshot this one directly replaces (absent in snapshots repaired before it was recorded: then
   * `original`). A repair that finds it still present removes it rather than repairing it again.
   */
  replaces?: string;
  time: string;
  /** "path: why" for each file or folder left out (the first 1000). */
  dropped: string[];
  droppedCount: number;
}

export interface OpenOptions {
  /** Told of each file that cannot be used, from the key files on (see `Repository.onProblem`). */
  onProblem?: (p: RepositoryProblem) => void;
}

/** Records a problem found while opening, and says it at once. */
function collect(problems: RepositoryProblem[], opts: OpenOptions): KeyProblem {
  return (file, reason, kind, cause) => {
    if (problems.some((p) => p.file === file)) return;
    const p: RepositoryProblem = { file, reason, kind, ...(cause !== undefined ? { cause } : {}) };
    problems.push(p);
    opts.onProblem?.(p);
  };
}

/** A repository file that could not be used, and why: reported, then skipped. */
export interface RepositoryProblem {
  /** e.g. "index/0a1b…" or "snapshots/.DS_Store" */
  file: string;
  /** The sentence the CLI prints, with what to do about it. */
  reason: string;
  /**
   * `damaged`: one of the repository's own files that cannot be read or opens nothing (what it held
   * may be missing); `foreign`: a file that is not this repository's kind (a Finder's .DS_Store,
   * restic's key file), which changes nothing.
   */
  kind: 'damaged' | 'foreign';
  /** For a damaged file: why it cannot be used, in the engine's words, without the CLI's advice. */
  cause?: string;
}

/** Index, snapshot and pack files are named by the SHA-256 of their bytes. */
const OBJECT_NAME = /^[0-9a-f]{64}$/;
/** Index files read ahead of the one being added (loadIndex). */
const INDEX_READ_AHEAD = 8;

export type IndexEntry = PackEntry & { pack: string };

export interface PackRecord {
  packId: string;
  entries: PackEntry[];
}

const kindAad = (kind: string) => Buffer.from(`strongroom ${kind} v1`);

export class Repository implements LockPort {
  readonly index = new Map<string, IndexEntry>();
  /** Further copies of tree blobs, in other packs, beside the one `index` names. */
  private readonly duplicates = new Map<string, IndexEntry[]>();
  /** Blobs found damaged when read, taken out of `index` (see readTree). */
  readonly damagedBlobs = new Map<string, IndexEntry>();
  /** Every pack the index knows (from index files or recovered from headers). */
  readonly packs = new Map<string, PackEntry[]>();
  /** Packs found on disk with no index file: left by an interrupted backup; the next index write covers them. */
  readonly recoveredPacks: PackRecord[] = [];
  readonly indexFiles: string[] = [];
  /**
   * Packs `repair index` set aside because their header cannot be read (pack id -> why): no command uses
   * or warns about them again; prune deletes them.
   */
  readonly setAsidePacks = new Map<string, string>();
  /** Index files that exist but could not be read (damaged, or not an index): `repair index` replaces them. */
  readonly unreadableIndexFiles: string[] = [];
  /** Snapshot files that exist but could not be read, with why. */
  readonly unreadableSnapshots = new Map<string, string>();
  /** Every file skipped so far because it could not be used; see `onProblem`. */
  readonly problems: RepositoryProblem[] = [];
  /** The password slot this repository was opened with (`open` only): the one a re-key replaces. */
  openedWith: string | undefined;
  /** Told of each problem once, as it is found (the CLI prints them as warnings). */
  onProblem: ((p: RepositoryProblem) => void) | undefined;
  private readonly strayReported = new Set<string>();
  private indexLoaded = false;
  private readonly treeCache = new Map<string, Tree>();
  private readonly treePackCache = new Map<string, Buffer>();
  private treePackCacheBytes = 0;

  private constructor(
    readonly storage: Storage,
    readonly keys: Subkeys,
    readonly config: RepoConfig,
    private readonly master: Buffer,
  ) {}

  static async init(storage: Storage, password: string, opts: InitOptions = {}): Promise<Repository> {
    if (!password) throw new EngineError('INVALID_ARGUMENT', 'the repository password must not be empty');
    const chunker = opts.chunker ?? DEFAULT_CHUNKER;
    validateChunkerParams(chunker);
    const packSize = opts.packSize ?? DEFAULT_PACK_SIZE;
    if (!(packSize >= 1024 && packSize <= 256 * 1024 * 1024)) {
      throw new EngineError('INVALID_ARGUMENT', 'pack size must be between 1 KiB and 256 MiB');
    }
    const scrypt = opts.scrypt ?? DEFAULT_SCRYPT;
    const problem = scryptProblem(scrypt);
    if (problem) throw new EngineError('INVALID_ARGUMENT', problem);
    await initCodec();
    await storage.create();
    const master = crypto.randomBytes(32);
    const config: RepoConfig = {
      version: 1,
      id: randomHex(16),
      chunker,
      packSize,
      compressionLevel: opts.compressionLevel ?? DEFAULT_LEVEL,
      created: new Date().toISOString(),
    };
    const repo = new Repository(storage, deriveSubkeys(master), config, master);
    await writePasswordSlot(storage, master, password, scrypt);
    await storage.write('config', repo.sealObject('config', config));
    return repo;
  }

  /**
   * Opens with the repository password: every password slot is tried in turn. Key files that cannot be
   * used (damaged, out of the scrypt bound, restic's) are named through `onProblem` and kept in
   * `problems`; account slots and envelopes are not password slots and are passed over.
   */
  static async open(storage: Storage, password: string, opts: OpenOptions = {}): Promise<Repository> {
    const problems: RepositoryProblem[] = [];
    const { master, slot } = await openPasswordSlot(storage, password, collect(problems, opts));
    const repo = await Repository.withMaster(storage, master, problems, opts);
    repo.openedWith = slot;
    return repo;
  }

  /** Opens with an account master key (AMK): the account slot whose key id is the AMK's. */
  static async openWithAccountKey(
    storage: Storage,
    amk: AccountKeyMaterial,
    opts: OpenOptions = {},
  ): Promise<Repository> {
    const problems: RepositoryProblem[] = [];
    const { master } = await openAccountSlot(storage, amk, collect(problems, opts));
    return Repository.withMaster(storage, master, problems, opts);
  }

  /**
   * Opens a folder vault with nothing but its account's recovery key: the drive envelope gives the AMK,
   * which opens the account slot. The AMK is wiped once the master key is out.
   */
  static async openWithRecoveryKey(
    storage: Storage,
    recoveryKey: Uint8Array,
    opts: OpenOptions = {},
  ): Promise<Repository> {
    const problems: RepositoryProblem[] = [];
    const amk = await amkFromRecoveryKey(storage, recoveryKey, collect(problems, opts));
    try {
      const { master } = await openAccountSlot(storage, amk, collect(problems, opts));
      return await Repository.withMaster(storage, master, problems, opts);
    } finally {
      amk.fill(0);
    }
  }

  /**
   * Opens a folder vault with its account's password alone, where the person turned the drive's
   * password wrap on: the envelope gives the AMK, which opens the account slot. The AMK is wiped once
   * the master key is out.
   */
  static async openWithAccountPassword(
    storage: Storage,
    password: string,
    opts: OpenOptions = {},
  ): Promise<Repository> {
    const problems: RepositoryProblem[] = [];
    const amk = await amkFromAccountPassword(storage, password, collect(problems, opts));
    try {
      const { master } = await openAccountSlot(storage, amk, collect(problems, opts));
      return await Repository.withMaster(storage, master, problems, opts);
    } finally {
      amk.fill(0);
    }
  }

  private static async withMaster(
    storage: Storage,
    master: Buffer,
    problems: RepositoryProblem[],
    opts: OpenOptions,
  ): Promise<Repository> {
    await initCodec();
    const keys = deriveSubkeys(master);
    const config = JSON.parse(
      Repository.unsealWith(keys, 'config', await storage.read('config'), 'config').toString('utf8'),
    ) as RepoConfig;
    if (config.version !== 1)
      throw new EngineError('CORRUPT', `unsupported repository version ${config.version}`);
    validateChunkerParams(config.chunker);
    const repo = new Repository(storage, keys, config, master);
    // Said already, as they were found; kept so a caller can list them with the rest.
    repo.problems.push(...problems);
    repo.onProblem = opts.onProblem;
    return repo;
  }

  // ---- key files (keys.ts) ----

  /** Adds a password slot for this repository's master key, so another password opens it too. */
  async addKey(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
    if (!password) throw new EngineError('INVALID_ARGUMENT', 'the password must not be empty');
    return writePasswordSlot(this.storage, this.master, password, params);
  }

  /**
   * Adds an account slot: the master key and the vault's directory record, sealed under the AMK's
   * vault slot key. The record must name this repository.
   */
  async addAccountSlot(amk: AccountKeyMaterial, record: VaultRecord): Promise<string> {
    if (record?.repositoryId !== this.config.id) {
      throw new EngineError(
        'INVALID_ARGUMENT',
        `the vault record names repository ${String(record?.repositoryId)}, not this one (${this.config.id})`,
      );
    }
    return writeAccountSlot(this.storage, this.master, amk, record);
  }

  /** The vault record in this repository's account slot of the AMK's account. */
  async readAccountMetadata(amk: AccountKeyMaterial): Promise<VaultRecord> {
    const record = await readAccountSlotMetadata(
      this.storage,
      await this.listNames('keys'),
      this.master,
      amk,
    );
    if (record.repositoryId !== this.config.id) {
      throw new EngineError(
        'CORRUPT',
        `the vault record in ${this.storage.location} names another repository`,
      );
    }
    return record;
  }

  /** This repository's account slots of the key's account, each with its vault record (or null). */
  async accountSlots(key: AccountKeyMaterial): Promise<{ id: string; record: VaultRecord | null }[]> {
    return findAccountSlots(this.storage, await this.listNames('keys'), this.master, key);
  }

  /** Every key file with its kind; damaged ones are listed (and named as problems) too. */
  async listKeys(): Promise<KeyListing[]> {
    const files = await readKeyFiles(this.storage, await this.listNames('keys'));
    for (const f of files)
      if (!f.ok) this.problem(`keys/${f.id}`, `${f.reason}; it opens nothing`, 'damaged', f.reason);
    return files.map(describeKeyFile);
  }

  /** Removes a key file by id prefix; never the last one that opens the repository (password or account). */
  async removeKey(id: string): Promise<void> {
    if (!/^[0-9a-f]+$/.test(id)) throw new EngineError('INVALID_ARGUMENT', `"${id}" is not a key id`);
    const files = await readKeyFiles(this.storage, await this.listNames('keys'));
    const match = files.filter((k) => k.id.startsWith(id));
    if (match.length !== 1) throw new EngineError('NOT_FOUND', `no single key matches ${id}`);
    // A damaged key file opens nothing, so it is no spare (and may always go).
    if (opensRepository(match[0]!) && files.filter(opensRepository).length === 1) {
      throw new EngineError(
        'INVALID_ARGUMENT',
        'refusing to remove the last key: without it neither a password nor an account opens the repository (add another with `key add` first)',
      );
    }
    await this.storage.remove(`keys/${match[0]!.id}`);
  }

  // ---- listing and damage ----

  private problem(file: string, reason: string, kind: RepositoryProblem['kind'], cause?: string): void {
    if (this.problems.some((p) => p.file === file)) return;
    const p: RepositoryProblem = { file, reason, kind, ...(cause !== undefined ? { cause } : {}) };
    this.problems.push(p);
    this.onProblem?.(p);
  }

  /**
   * File names of one kind that can be repository files. Anything else (`.DS_Store`, `Thumbs.db`, an
   * editor's backup) is reported once and ignored: it is not ours, so it never stops a command.
   */
  async listNames(kind: FileKind): Promise<string[]> {
    const pattern = kind === 'keys' || kind === 'locks' ? RANDOM_NAME : OBJECT_NAME;
    const out: string[] = [];
    for (const name of await this.storage.list(kind)) {
      if (pattern.test(name)) out.push(name);
      else {
        // Pack names come without their prefix folder; a stray one's folder is unknown, hence the `*`.
        const file = kind === 'packs' ? `packs/*/${name}` : `${kind}/${name}`;
        if (!this.strayReported.has(file)) {
          this.strayReported.add(file);
          this.problem(file, 'not a repository file; ignored', 'foreign');
        }
      }
    }
    return out;
  }

  // ---- sealed files ----

  sealObject(kind: string, obj: unknown): Buffer {
    const json = Buffer.from(JSON.stringify(obj));
    const { codec, bytes } = maybeCompress(json, this.config?.compressionLevel ?? DEFAULT_LEVEL);
    return seal(this.keys.encrypt, [Buffer.from([codec]), bytes], kindAad(kind));
  }

  private static unsealWith(keys: Subkeys, kind: string, sealed: Buffer, where: string): Buffer {
    const plain = open(keys.encrypt, sealed, kindAad(kind), where);
    try {
      return decode(plain[0]!, plain.subarray(1));
    } catch (err) {
      throw new IntegrityError(where, `${where}: ${(err as Error).message}`);
    }
  }

  unseal<T>(kind: string, sealed: Buffer, where: string): T {
    return JSON.parse(Repository.unsealWith(this.keys, kind, sealed, where).toString('utf8')) as T;
  }

  /** Writes a sealed file named by the SHA-256 of its bytes; returns that id. */
  async saveObject(dir: 'index' | 'snapshots', kind: string, obj: unknown): Promise<string> {
    const sealed = this.sealObject(kind, obj);
    const id = sha256Hex(sealed);
    await this.storage.write(`${dir}/${id}`, sealed);
    return id;
  }

  async loadObject<T>(dir: 'index' | 'snapshots', kind: string, id: string): Promise<T> {
    return this.openObject<T>(dir, kind, id, await this.storage.read(`${dir}/${id}`));
  }

  /** A stored object's bytes, checked against its name and decrypted. */
  private openObject<T>(dir: 'index' | 'snapshots', kind: string, id: string, bytes: Buffer): T {
    if (sha256Hex(bytes) !== id)
      throw new IntegrityError(`${dir}/${id}`, `${dir}/${id}: contents do not match its name`);
    return this.unseal<T>(kind, bytes, `${dir}/${id.slice(0, 16)}`);
  }

  // ---- index ----

  addPack(packId: string, entries: PackEntry[]): void {
    if (this.packs.has(packId)) return;
    this.packs.set(packId, entries);
    for (const e of entries) {
      // Written out, not spread: this runs once per blob of the repository on every command.
      if (!this.index.has(e.id))
        this.index.set(e.id, {
          type: e.type,
          codec: e.codec,
          id: e.id,
          offset: e.offset,
          length: e.length,
          rawLength: e.rawLength,
          pack: packId,
        });
      else if (e.type === BLOB_TREE) {
        // Another copy of a tree (a backup stored it again after the first proved damaged): kept, so
        // readTree can fall back to it whichever copy the index files happen to name first.
        const list = this.duplicates.get(e.id);
        if (list) list.push({ ...e, pack: packId });
        else this.duplicates.set(e.id, [{ ...e, pack: packId }]);
      }
    }
  }

  /**
   * Loads every index file, then reads the header of each pack no index mentions (an interrupted backup's
   * work), so its blobs are reused rather than written again. An index file that cannot be read is
   * reported and skipped; the headers of the packs it described are then read even with `recover: false`,
   * so nothing it indexed is lost to the command. `strict` never reads headers (check reports instead).
   */
  async loadIndex(opts: { recover?: boolean; strict?: boolean } = {}): Promise<void> {
    if (this.indexLoaded) return;
    const ids = await this.listNames('index');
    // Read a few files ahead while earlier ones are decrypted and added, in their listed order (the
    // first copy of a blob wins): on a local disk this hides the waits, over HTTP or S3 the latency.
    const reads = new Map<number, Promise<Buffer>>();
    const readAhead = (i: number) => {
      if (i >= ids.length) return;
      const read = this.storage.read(`index/${ids[i]}`);
      read.catch(() => undefined); // handled where it is awaited, in order
      reads.set(i, read);
    };
    for (let i = 0; i < INDEX_READ_AHEAD; i++) readAhead(i);
    for (const [i, id] of ids.entries()) {
      const read = reads.get(i)!;
      reads.delete(i);
      readAhead(i + INDEX_READ_AHEAD);
      let idx: IndexFile;
      try {
        idx = this.openObject<IndexFile>('index', 'index', id, await read);
        if (idx?.version !== 1 || !Array.isArray(idx.packs)) throw new Error('not an index file');
      } catch (err) {
        this.unreadableIndexFiles.push(id);
        const cause = (err as Error).message;
        this.problem(`index/${id}`, `cannot be read (${cause}); run \`repair index\``, 'damaged', cause);
        continue;
      }
      for (const a of Array.isArray(idx.setAside) ? idx.setAside : [])
        if (typeof a?.id === 'string') this.setAsidePacks.set(a.id, String(a.reason));
      for (const p of idx.packs) {
        this.addPack(
          p.id,
          p.blobs.map(([type, codec, bid, offset, length, rawLength]) => ({
            type: type as BlobType,
            codec: codec as 0 | 1,
            id: bid,
            offset,
            length,
            rawLength,
          })),
        );
      }
      this.indexFiles.push(id);
    }
    const recover = opts.strict ? false : opts.recover !== false || this.unreadableIndexFiles.length > 0;
    if (recover) {
      for (const packId of await this.listNames('packs')) {
        if (this.packs.has(packId) || this.setAsidePacks.has(packId)) continue;
        try {
          const entries = await readPackHeader(this.storage, this.keys, packId);
          this.addPack(packId, entries);
          this.recoveredPacks.push({ packId, entries });
        } catch (err) {
          // Never used for new snapshots; check names it, `repair index` sets it aside.
          const cause = `header cannot be read (${(err as Error).message})`;
          this.problem(
            packName(packId),
            `${cause}; not used (\`repair index\` sets it aside)`,
            'damaged',
            cause,
          );
        }
      }
    }
    this.indexLoaded = true;
  }

  /** Forgets the loaded index, so the next `loadIndex` reads the repository again. */
  clearIndex(): void {
    this.index.clear();
    this.duplicates.clear();
    this.damagedBlobs.clear();
    this.packs.clear();
    this.recoveredPacks.length = 0;
    this.indexFiles.length = 0;
    this.unreadableIndexFiles.length = 0;
    this.setAsidePacks.clear();
    this.treeCache.clear();
    this.treePackCache.clear();
    this.treePackCacheBytes = 0;
    this.indexLoaded = false;
  }

  /** Writes one index file naming `packs` (and, from `repair index`, the packs it sets aside). */
  async writeIndex(
    packs: PackRecord[],
    setAside: { id: string; reason: string }[] = [],
  ): Promise<string | undefined> {
    if (packs.length === 0 && setAside.length === 0) return undefined;
    const file: IndexFile = {
      version: 1,
      packs: packs.map((p) => ({
        id: p.packId,
        blobs: p.entries.map((e) => [e.type, e.codec, e.id, e.offset, e.length, e.rawLength]),
      })),
      ...(setAside.length ? { setAside } : {}),
    };
    const id = await this.saveObject('index', 'index', file);
    this.indexFiles.push(id);
    return id;
  }

  // ---- blobs and trees ----

  async readBlob(id: string): Promise<Buffer> {
    const e = this.index.get(id);
    if (!e) throw new EngineError('CORRUPT', `blob ${id.slice(0, 16)} is not in the index`);
    const sealed = await this.storage.readRange(packName(e.pack), e.offset, e.length);
    return decryptBlob(this.keys, e, sealed, `pack ${e.pack.slice(0, 16)}`);
  }

  /**
   * A tree, from its primary copy or, when that cannot be read, from another copy some pack holds (the
   * one that works becomes primary). When none can be read the tree leaves the in-memory index, so a
   * backup in this process stores it again instead of naming the damaged copy; `damagedBlobs` keeps it.
   * `keep: false` leaves the tree out of the cache (a backup reads each tree of its parent once).
   */
  async readTree(id: string, opts: { keep?: boolean } = {}): Promise<Tree> {
    const cached = this.treeCache.get(id);
    if (cached) return cached;
    const e = this.index.get(id);
    if (!e) throw new EngineError('CORRUPT', `tree ${id.slice(0, 16)} is not in the index`);
    if (e.type !== BLOB_TREE) throw new EngineError('CORRUPT', `blob ${id.slice(0, 16)} is not a tree`);
    let firstError: unknown;
    for (const copy of [e, ...(this.duplicates.get(id) ?? [])]) {
      try {
        const t = await this.readTreeCopy(id, copy);
        if (copy !== e) this.index.set(id, copy);
        if (opts.keep !== false) {
          if (this.treeCache.size > 10000) this.treeCache.clear();
          this.treeCache.set(id, t);
        }
        return t;
      } catch (err) {
        firstError ??= err;
      }
    }
    if (firstError instanceof IntegrityError) {
      this.index.delete(id);
      this.damagedBlobs.set(id, e);
    }
    throw firstError;
  }

  private async readTreeCopy(id: string, e: IndexEntry): Promise<Tree> {
    // Tree blobs share packs of their own, so one read of the pack serves a whole directory walk.
    let bytes = this.treePackCache.get(e.pack);
    if (!bytes) {
      const entries = this.packs.get(e.pack) ?? [];
      const end = entries.reduce((n, x) => Math.max(n, x.offset + x.length), 0);
      bytes = await this.storage.readRange(packName(e.pack), 0, end);
      if (this.treePackCacheBytes > 64 * 1024 * 1024) {
        this.treePackCache.clear();
        this.treePackCacheBytes = 0;
      }
      this.treePackCache.set(e.pack, bytes);
      this.treePackCacheBytes += bytes.length;
    }
    const sealed = bytes.subarray(e.offset, e.offset + e.length);
    const plain = decryptBlob(this.keys, e, sealed, `pack ${e.pack.slice(0, 16)}`);
    try {
      return decodeTree(plain, `tree ${id.slice(0, 16)}`);
    } catch (err) {
      throw new IntegrityError(`tree ${id.slice(0, 16)}`, (err as Error).message);
    }
  }

  // ---- snapshots ----

  /** Every readable snapshot, oldest first. One that cannot be read is reported and left out. */
  async listSnapshots(): Promise<(Snapshot & { id: string })[]> {
    const out: (Snapshot & { id: string })[] = [];
    for (const id of await this.listNames('snapshots')) {
      try {
        const s = await this.loadObject<Snapshot>('snapshots', 'snapshot', id);
        if (typeof s?.tree !== 'string' || typeof s.time !== 'string') throw new Error('not a snapshot');
        out.push({ ...s, id });
        this.unreadableSnapshots.delete(id);
      } catch (err) {
        const reason = (err as Error).message;
        this.unreadableSnapshots.set(id, reason);
        this.problem(
          `snapshots/${id}`,
          `cannot be read (${reason}); left out (\`forget ${id.slice(0, 8)}\` removes it)`,
          'damaged',
          reason,
        );
      }
    }
    return out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  }

  /** `latest`, or a unique prefix of a snapshot id, among `among` (default: every readable snapshot). */
  async findSnapshot(ref: string, among?: (Snapshot & { id: string })[]): Promise<Snapshot & { id: string }> {
    const all = among ?? (await this.listSnapshots());
    if (ref === 'latest') {
      const last = all[all.length - 1];
      if (!last) throw new EngineError('NOT_FOUND', 'the repository has no snapshots yet');
      return last;
    }
    if (!/^[0-9a-f]{4,64}$/.test(ref))
      throw new EngineError('INVALID_ARGUMENT', `"${ref}" is not a snapshot id`);
    const m = all.filter((s) => s.id.startsWith(ref));
    if (m.length === 0) {
      const damaged = [...this.unreadableSnapshots].find(([id]) => id.startsWith(ref));
      if (damaged) {
        throw new EngineError(
          'CORRUPT',
          `snapshot ${damaged[0].slice(0, 8)} cannot be read (${damaged[1]}); \`forget ${damaged[0].slice(0, 8)}\` removes it`,
        );
      }
      throw new EngineError('NOT_FOUND', `no snapshot ${ref}`);
    }
    if (m.length > 1) throw new EngineError('INVALID_ARGUMENT', `snapshot prefix ${ref} is ambiguous`);
    return m[0]!;
  }

  async saveSnapshot(s: Snapshot): Promise<string> {
    return this.saveObject('snapshots', 'snapshot', s);
  }

  async removeSnapshot(id: string): Promise<void> {
    await this.storage.remove(`snapshots/${id}`);
  }

  // ---- locks (LockPort) ----

  lock(exclusive: boolean, command: string, opts: { breakStale?: boolean } = {}): Promise<RepositoryLock> {
    return RepositoryLock.acquire(this, exclusive, command, opts);
  }
  async writeLock(id: string, info: LockInfo): Promise<void> {
    await this.storage.write(`locks/${id}`, this.sealObject('lock', info));
  }
  async readLock(id: string): Promise<LockInfo | undefined> {
    try {
      return this.unseal<LockInfo>('lock', await this.storage.read(`locks/${id}`), `locks/${id}`);
    } catch {
      return undefined;
    }
  }
  listLocks(): Promise<string[]> {
    return this.listNames('locks');
  }
  removeLock(id: string): Promise<void> {
    return this.storage.remove(`locks/${id}`);
  }
}

interface IndexFile {
  version: 1;
  packs: { id: string; blobs: [number, number, string, number, number, number][] }[];
  /** Packs whose header cannot be read, kept (unused) until prune deletes them. */
  setAside?: { id: string; reason: string }[];
}
