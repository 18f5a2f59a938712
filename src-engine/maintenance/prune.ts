/**
 * Prune, under an exclusive lock: find the blobs the remaining snapshots use, drop packs with none, repack
 * packs with some (copying still-encrypted blobs after authenticating them), write one complete index,
 * and only then delete old index files and packs. A crash at any point leaves a readable repository.
 */
import { EngineError } from '../errors';
import { PackWriter, decryptBlob, parsePack, type PackEntry } from '../repository/pack';
import type { PackRecord, Repository } from '../repository/repository';
import { packName } from '../storage';

export interface PruneOptions {
  dryRun?: boolean;
  breakLock?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface PruneResult {
  packsDeleted: number;
  packsRepacked: number;
  packsWritten: number;
  blobsRemoved: number;
  bytesFreed: number;
  temporaryFilesRemoved: number;
}

export async function prune(repo: Repository, opts: PruneOptions = {}): Promise<PruneResult> {
  const lock = await repo.lock(true, 'prune', { breakStale: opts.breakLock });
  try {
    return await runPrune(repo, opts);
  } finally {
    await lock.release();
  }
}

async function runPrune(repo: Repository, opts: PruneOptions): Promise<PruneResult> {
  await repo.loadIndex();
  // Prune deletes what no snapshot uses, so it must see every index file and every snapshot: a pack
  // described only by an unreadable index file, or used only by an unreadable snapshot, would look unused.
  // restic refuses in the same cases (its index loading fails on any unreadable index file).
  if (repo.unreadableIndexFiles.length > 0) {
    throw new EngineError(
      'CORRUPT',
      `refusing to prune: ${repo.unreadableIndexFiles.length} index file(s) cannot be read (${repo.unreadableIndexFiles
        .map((f) => f.slice(0, 16))
        .join(', ')}); run \`strongroom-backup repair index\` first. Nothing was deleted.`,
    );
  }
  const snapshots = await repo.listSnapshots();
  if (repo.unreadableSnapshots.size > 0) {
    const ids = [...repo.unreadableSnapshots.keys()].map((id) => id.slice(0, 8));
    throw new EngineError(
      'CORRUPT',
      `refusing to prune: snapshot file(s) ${ids.join(', ')} cannot be read, and the data they use would look unused; ` +
        `if they are beyond recovery, remove them with \`strongroom-backup forget ${ids.join(' ')}\`. Nothing was deleted.`,
    );
  }
  const used = new Set<string>();
  const seenTrees = new Set<string>();
  const walk = async (treeId: string, where: string): Promise<void> => {
    if (seenTrees.has(treeId)) return;
    seenTrees.add(treeId);
    used.add(treeId);
    let tree;
    try {
      tree = await repo.readTree(treeId);
    } catch (err) {
      throw new EngineError(
        'CORRUPT',
        `refusing to prune: ${where}: ${(err as Error).message}; run \`strongroom-backup check\` and the repair it names (\`repair snapshots\`). Nothing was deleted.`,
      );
    }
    for (const n of tree.nodes) {
      for (const id of n.content ?? []) used.add(id);
      if (n.type === 'dir' && n.subtree) await walk(n.subtree, `${where}/${n.name}`);
    }
  };
  for (const s of snapshots) await walk(s.tree, `snapshot ${s.id.slice(0, 8)}`);
  for (const id of used) {
    if (!repo.index.has(id)) {
      throw new EngineError(
        'CORRUPT',
        `refusing to prune: a snapshot uses blob ${id.slice(0, 16)} that no pack holds; run \`strongroom-backup check\` and the repair it names (\`repair snapshots\`). Nothing was deleted.`,
      );
    }
  }

  const res: PruneResult = {
    packsDeleted: 0,
    packsRepacked: 0,
    packsWritten: 0,
    blobsRemoved: 0,
    bytesFreed: 0,
    temporaryFilesRemoved: 0,
  };
  const keepPacks: PackRecord[] = [];
  const removePacks: string[] = [];
  const repack: { packId: string; entries: PackEntry[]; keep: PackEntry[] }[] = [];
  const sizes = new Map<string, number>();
  for (const [packId, entries] of repo.packs) {
    // A blob counts for the pack the index serves it from; copies elsewhere are duplicates.
    const keep = entries.filter((e) => used.has(e.id) && repo.index.get(e.id)?.pack === packId);
    const size = entries.reduce((n, e) => n + e.length, 0);
    sizes.set(packId, size);
    if (keep.length === entries.length) keepPacks.push({ packId, entries });
    else if (keep.length === 0) {
      removePacks.push(packId);
      res.packsDeleted++;
      res.blobsRemoved += entries.length;
    } else repack.push({ packId, entries, keep });
  }
  // Packs `repair index` set aside (their header cannot be read): nothing uses them, so they go first;
  // stopping right after leaves set-aside entries naming packs that are gone, which nothing reads.
  const setAside = [...repo.setAsidePacks.keys()].filter((p) => !repo.packs.has(p));
  for (const p of setAside) {
    const size = await repo.storage.size(packName(p)).catch(() => undefined);
    if (size === undefined) continue;
    res.packsDeleted++;
    res.bytesFreed += size;
    if (!opts.dryRun) await repo.storage.remove(packName(p));
  }
  if (opts.dryRun) {
    res.packsRepacked = repack.length;
    res.bytesFreed += removePacks.reduce((n, p) => n + (sizes.get(p) ?? 0), 0);
    for (const r of repack) {
      res.blobsRemoved += r.entries.length - r.keep.length;
      res.bytesFreed +=
        r.entries.length - r.keep.length > 0
          ? r.entries.filter((e) => !r.keep.includes(e)).reduce((n, e) => n + e.length, 0)
          : 0;
    }
    return res;
  }

  const writer = new PackWriter(repo.storage, repo.keys, repo.config.packSize);
  const written: PackRecord[] = [];
  let done = 0;
  for (const r of repack) {
    opts.onProgress?.(done++, repack.length);
    const bytes = await repo.storage.read(packName(r.packId));
    parsePack(repo.keys, r.packId, bytes);
    for (const e of r.keep) {
      const sealed = bytes.subarray(e.offset, e.offset + e.length);
      // Authenticate before copying, so damage is found now rather than carried into a new pack.
      decryptBlob(repo.keys, e, sealed, `pack ${r.packId.slice(0, 16)}`);
      writer.add(e.type, e.id, e.codec, Buffer.from(sealed), e.rawLength);
      if (writer.full) {
        const w = await writer.flush();
        if (w) written.push(w);
      }
    }
    res.blobsRemoved += r.entries.length - r.keep.length;
    removePacks.push(r.packId);
    res.packsRepacked++;
  }
  const last = await writer.flush();
  if (last) written.push(last);
  res.packsWritten = written.length;

  const oldIndexFiles = [...repo.indexFiles];
  const newIndex = await repo.writeIndex([...keepPacks, ...written]);
  for (const f of oldIndexFiles) if (f !== newIndex) await repo.storage.remove(`index/${f}`);
  const newSize = written.reduce((n, w) => n + w.entries.reduce((m, e) => m + e.length, 0), 0);
  for (const p of removePacks) {
    await repo.storage.remove(packName(p));
    res.bytesFreed += sizes.get(p) ?? 0;
  }
  res.bytesFreed -= newSize;
  // Only an exclusive holder may remove temporary files: a shared holder could be writing one right now.
  for (const t of await repo.storage.listTemporary()) {
    await repo.storage.remove(t);
    res.temporaryFilesRemoved++;
  }
  return res;
}
