/**
 * Where a backup's new blobs go: the tree pack and the main thread's own data pack (for files chunked
 * inline), and the record of every pack written in this run, workers' included, for the index file
 * written at the end. An id is "reserved" from the moment a blob is added until its pack is indexed,
 * so no blob is stored twice in one run.
 */
import crypto from 'node:crypto';
import { blobId } from '../repository/crypto';
import { BLOB_DATA, BLOB_TREE, PackWriter, encryptBlob, type PackEntry } from '../repository/pack';
import type { PackRecord, Repository } from '../repository/repository';
import type { BackupReport } from './backup-report';
import { encodeTree, type Tree } from '../repository/tree';

export class BackupPacks {
  readonly reserved = new Set<string>();
  /** Names this run's temporary pack files, the workers' too, so a failed run removes what it left. */
  readonly tempTag = crypto.randomBytes(8).toString('hex');
  private readonly newPacks: PackRecord[] = [];
  private readonly trees: PackWriter;
  private readonly data: PackWriter;

  constructor(
    private readonly repo: Repository,
    private readonly report: BackupReport,
  ) {
    this.trees = new PackWriter(repo.storage, repo.keys, repo.config.packSize, this.tempTag);
    this.data = new PackWriter(repo.storage, repo.keys, repo.config.packSize, this.tempTag);
  }

  /** A pack now in storage (written here or by a chunk worker): its blobs join the index. */
  addPack(packId: string, entries: PackEntry[]): void {
    this.repo.addPack(packId, entries);
    this.newPacks.push({ packId, entries });
    for (const e of entries) {
      this.reserved.delete(e.id);
      this.report.summary.bytesAdded += e.length;
      this.report.summary.blobsAdded++;
    }
  }

  /** Whether the repository has this blob or this run is storing it. */
  has(id: string): boolean {
    return this.repo.index.has(id) || this.reserved.has(id);
  }

  /** Stores a tree blob unless the repository has it; returns its id. */
  async saveTree(tree: Tree): Promise<string> {
    const bytes = encodeTree(tree);
    const idBytes = blobId(this.repo.keys.blobId, bytes);
    const id = idBytes.toString('hex');
    if (!this.has(id)) {
      this.reserved.add(id);
      const { codec, sealed } = encryptBlob(
        this.repo.keys,
        idBytes,
        bytes,
        this.repo.config.compressionLevel,
      );
      this.trees.add(BLOB_TREE, id, codec, sealed, bytes.length);
      if (this.trees.full) await this.flushTrees();
    }
    return id;
  }

  /** Stores a data chunk the main thread cut (unless stored already). Throws when the repository's disk fails. */
  async saveData(idBytes: Buffer, id: string, chunk: Buffer): Promise<void> {
    if (this.has(id)) return;
    this.reserved.add(id);
    const { codec, sealed } = encryptBlob(this.repo.keys, idBytes, chunk, this.repo.config.compressionLevel);
    this.data.add(BLOB_DATA, id, codec, sealed, chunk.length);
    if (this.data.full) await this.flushData();
  }

  async flushData(): Promise<void> {
    const r = await this.data.flush();
    if (r) this.addPack(r.packId, r.entries);
  }

  async flushTrees(): Promise<void> {
    const r = await this.trees.flush();
    if (r) this.addPack(r.packId, r.entries);
  }

  /** One index file for this run's packs and any left by an interrupted run (recovered at load). */
  async writeIndex(): Promise<void> {
    await this.repo.writeIndex([...this.repo.recoveredPacks.splice(0), ...this.newPacks]);
  }
}
