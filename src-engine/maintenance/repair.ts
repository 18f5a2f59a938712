/**
 * Repairs, as restic has them, under an exclusive lock, always saying what was dropped.
 *
 * - `repairIndex` rebuilds the index from the packs: index files that cannot be read are replaced, packs no
 *   index names (or whose size does not match it) are indexed from their headers, packs the index names
 *   but that are gone are dropped. With `readAllPacks` every pack is read in full and only blobs that
 *   authenticate are indexed; a damaged pack's intact blobs are copied to a new pack and the damaged file
 *   removed (restic's `repair packs`), so a damaged blob is no longer offered to backups (which store it
 *   again where the file still exists). A pack whose header cannot be read is set aside: the new index
 *   records it, so no command reads or warns about it again, and prune deletes it.
 * - `repairSnapshots` rewrites snapshots whose trees use blobs the index does not hold: a file with a missing
 *   piece is left out (restic keeps the remaining pieces; that restores a file with the wrong content
 *   under its own name), an unreadable folder becomes an empty one. Everything intact stays restorable.
 *   The rewritten snapshot records what it lost and which snapshot it replaces, and the original is
 *   removed only after it is written; run again after stopping in between, it finds that record and
 *   removes the original rather than writing a second copy. It trusts the index, so `repair index` comes first.
 *
 * Both write the new files before removing old ones: a crash in between leaves a readable repository.
 */
import { blobId, OVERHEAD, sha256Hex } from '../repository/crypto';
import { EngineError } from '../errors';
import {
  BLOB_TREE,
  PackWriter,
  decodeHeader,
  decryptBlob,
  encryptBlob,
  readPackHeader,
  type PackEntry,
} from '../repository/pack';
import type { PackRecord, Repository, Snapshot } from '../repository/repository';
import { packName } from '../storage';
import { encodeTree, type Tree, type TreeNode } from '../repository/tree';

export interface RepairIndexOptions {
  /**
   * Ignore the index files and read every pack in full: only blobs that authenticate are indexed, and a
   * pack with damaged blobs is replaced by a new pack holding its intact ones (restic's `repair packs`).
   */
  readAllPacks?: boolean;
  dryRun?: boolean;
  breakLock?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface SalvagedPack {
  pack: string;
  /** Intact blobs copied into new packs. */
  blobsCopied: number;
  /** Blobs that failed authentication, with why: these are lost. */
  blobsLost: { blob: string; reason: string }[];
  /**
   * Its header cannot be read, so its blobs were found where the index said: the pack is set aside
   * (see `packsSetAside`) rather than removed.
   */
  setAside?: true;
}

export interface RepairIndexResult {
  /** Index files that could not be read (now replaced). */
  unreadableIndexFiles: string[];
  /** Packs on disk that no readable index named: now indexed from their headers. */
  packsAdded: string[];
  /** Packs whose size on disk does not match what the index says: indexed again from their headers. */
  packsReindexed: string[];
  /** Packs an index named that are not in the repository: their blobs are no longer indexed. */
  packsMissing: string[];
  /**
   * Packs whose header cannot be read, newly set aside: none of their blobs can be used, so the index
   * records them as set aside; no command reads or warns about them again, and prune deletes them.
   */
  packsSetAside: { pack: string; reason: string }[];
  /** With readAllPacks: damaged packs, replaced by new packs with their intact blobs, then removed. */
  packsSalvaged: SalvagedPack[];
  packsIndexed: number;
  blobsIndexed: number;
  /** The index file written, or undefined when nothing needed changing (or a dry run). */
  newIndex: string | undefined;
  indexFilesRemoved: number;
  dryRun: boolean;
}

/** The size a pack with these entries has: its blobs, the sealed header and the header's length. */
function expectedPackSize(entries: PackEntry[]): number {
  const data = entries.reduce((n, e) => Math.max(n, e.offset + e.length), 0);
  return data + OVERHEAD + HEADER_FIXED_BYTES + HEADER_ENTRY_BYTES * entries.length + 4;
}
const HEADER_FIXED_BYTES = 9;
const HEADER_ENTRY_BYTES = 46;

export async function repairIndex(
  repo: Repository,
  opts: RepairIndexOptions = {},
): Promise<RepairIndexResult> {
  const lock = await repo.lock(true, 'repair index', { breakStale: opts.breakLock });
  try {
    return await runRepairIndex(repo, opts);
  } finally {
    await lock.release();
  }
}

async function runRepairIndex(repo: Repository, opts: RepairIndexOptions): Promise<RepairIndexResult> {
  const res: RepairIndexResult = {
    unreadableIndexFiles: [],
    packsAdded: [],
    packsReindexed: [],
    packsMissing: [],
    packsSetAside: [],
    packsSalvaged: [],
    packsIndexed: 0,
    blobsIndexed: 0,
    newIndex: undefined,
    indexFilesRemoved: 0,
    dryRun: opts.dryRun === true,
  };
  repo.clearIndex();
  await repo.loadIndex({ strict: true });
  res.unreadableIndexFiles = [...repo.unreadableIndexFiles];
  const oldIndexFiles = [...repo.indexFiles, ...repo.unreadableIndexFiles];
  const indexed = new Map(repo.packs);
  const listed = await repo.listNames('packs');
  const onDiskSet = new Set(listed);
  // Packs set aside before stay set aside (while they exist) and are not read again.
  const setAside = [...repo.setAsidePacks]
    .filter(([id]) => onDiskSet.has(id) && !indexed.has(id))
    .map(([id, reason]) => ({ id, reason }));
  const onDisk = listed.filter((p) => indexed.has(p) || !repo.setAsidePacks.has(p));
  for (const packId of indexed.keys()) if (!onDiskSet.has(packId)) res.packsMissing.push(packId);

  const kept = new Map<string, PackEntry[]>();
  const toRead: string[] = [];
  if (opts.readAllPacks) toRead.push(...onDisk);
  else {
    for (const packId of onDisk) {
      const entries = indexed.get(packId);
      if (!entries) {
        toRead.push(packId);
        continue;
      }
      // As restic does: a pack whose size differs from what its index entries imply is read again.
      if ((await repo.storage.size(packName(packId))) === expectedPackSize(entries))
        kept.set(packId, entries);
      else {
        res.packsReindexed.push(packId);
        toRead.push(packId);
      }
    }
  }

  const writer = new PackWriter(repo.storage, repo.keys, repo.config.packSize);
  const written: PackRecord[] = [];
  const damagedPacks: string[] = [];
  let done = 0;
  for (const packId of toRead) {
    opts.onProgress?.(done++, toRead.length);
    try {
      if (!opts.readAllPacks) {
        kept.set(packId, await readPackHeader(repo.storage, repo.keys, packId));
        if (!indexed.has(packId)) res.packsAdded.push(packId);
        continue;
      }
      const bytes = await repo.storage.read(packName(packId));
      // Not parsePack: a pack whose bytes no longer match its name still holds intact blobs, each
      // authenticated on its own below. With its header unreadable, an index file may still say where
      // its blobs are; each is authenticated (tag and id) all the same.
      let header: PackEntry[];
      let headerProblem: string | undefined;
      try {
        const h = decodeHeader(repo.keys, packId, bytes, bytes.length);
        if (typeof h === 'number') throw new Error('header truncated');
        header = h;
      } catch (err) {
        const listed = indexed.get(packId);
        if (!listed) throw err;
        headerProblem = (err as Error).message;
        header = listed;
      }
      const good: PackEntry[] = [];
      const lost: SalvagedPack['blobsLost'] = [];
      for (const e of header) {
        const sealed = bytes.subarray(e.offset, e.offset + e.length);
        try {
          decryptBlob(repo.keys, e, sealed, `pack ${packId.slice(0, 16)}`, true);
          good.push(e);
        } catch (err) {
          lost.push({ blob: e.id, reason: (err as Error).message });
        }
      }
      if (!indexed.has(packId)) res.packsAdded.push(packId);
      if (!headerProblem && lost.length === 0 && sha256Hex(bytes) === packId) {
        kept.set(packId, good);
        continue;
      }
      // Damaged: its intact blobs go to new packs, so the damaged file can go and check passes again.
      // One whose header is damaged is set aside instead: whoever looks into it finds it until prune.
      if (headerProblem) {
        res.packsSalvaged.push({ pack: packId, blobsCopied: good.length, blobsLost: lost, setAside: true });
        res.packsSetAside.push({ pack: packId, reason: headerProblem });
      } else {
        res.packsSalvaged.push({ pack: packId, blobsCopied: good.length, blobsLost: lost });
        damagedPacks.push(packId);
      }
      if (opts.dryRun) continue;
      for (const e of good) {
        writer.add(
          e.type,
          e.id,
          e.codec,
          Buffer.from(bytes.subarray(e.offset, e.offset + e.length)),
          e.rawLength,
        );
        if (writer.full) {
          const w = await writer.flush();
          if (w) written.push(w);
        }
      }
    } catch (err) {
      res.packsSetAside.push({ pack: packId, reason: (err as Error).message });
    }
  }
  const last = await writer.flush();
  if (last) written.push(last);
  for (const w of written) kept.set(w.packId, w.entries);
  res.packsIndexed = kept.size;
  res.blobsIndexed = [...kept.values()].reduce((n, e) => n + e.length, 0);

  const changed =
    res.unreadableIndexFiles.length > 0 ||
    res.packsAdded.length > 0 ||
    res.packsReindexed.length > 0 ||
    res.packsMissing.length > 0 ||
    res.packsSalvaged.length > 0 ||
    res.packsSetAside.length > 0 ||
    // Set-aside packs that prune has deleted since.
    repo.setAsidePacks.size !== setAside.length ||
    // --read-all-packs rewrites the index from what it read, even when every pack was sound.
    (opts.readAllPacks === true && oldIndexFiles.length > 0);
  repo.clearIndex();
  if (!changed || opts.dryRun) return res;
  // The complete new index first, then the old files: a crash in between leaves both, which is harmless
  // (the same packs described twice). Damaged packs go last, once their intact blobs are indexed elsewhere.
  res.newIndex = await repo.writeIndex(
    [...kept].map(([packId, entries]) => ({ packId, entries })),
    [...setAside, ...res.packsSetAside.map((u) => ({ id: u.pack, reason: u.reason }))],
  );
  for (const f of oldIndexFiles) {
    if (f === res.newIndex) continue;
    await repo.storage.remove(`index/${f}`);
    res.indexFilesRemoved++;
  }
  for (const p of damagedPacks) await repo.storage.remove(packName(p));
  repo.clearIndex();
  return res;
}

export interface RepairSnapshotsOptions {
  /** Snapshot ids (or unique prefixes); default every snapshot. */
  snapshots?: string[];
  dryRun?: boolean;
  breakLock?: boolean;
}

export interface RepairedSnapshot {
  id: string;
  /** The rewritten snapshot's id (undefined in a dry run, or when it could not be rewritten). */
  newId: string | undefined;
  /** "path: why" for every file or folder left out. */
  dropped: string[];
  /** Set when nothing of the snapshot can be kept: its root folder cannot be read. */
  unrepairable?: string;
  /**
   * Set when a repaired copy of this snapshot already exists (an earlier repair stopped before removing
   * the original): the original is removed (unless a dry run), not repaired again.
   */
  alreadyReplacedBy?: string;
}

export interface RepairSnapshotsResult {
  /** Only the snapshots that needed (or would need) a change. */
  repaired: RepairedSnapshot[];
  snapshotsChecked: number;
  /** Snapshot files that cannot be read at all: `forget` removes them. */
  unreadableSnapshots: { id: string; reason: string }[];
  dryRun: boolean;
}

/** How many dropped paths a rewritten snapshot lists in full (the count is always exact). */
const DROPPED_LISTED = 1000;

export async function repairSnapshots(
  repo: Repository,
  opts: RepairSnapshotsOptions = {},
): Promise<RepairSnapshotsResult> {
  const lock = await repo.lock(true, 'repair snapshots', { breakStale: opts.breakLock });
  try {
    return await runRepairSnapshots(repo, opts);
  } finally {
    await lock.release();
  }
}

async function runRepairSnapshots(
  repo: Repository,
  opts: RepairSnapshotsOptions,
): Promise<RepairSnapshotsResult> {
  await repo.loadIndex();
  if (repo.unreadableIndexFiles.length > 0) {
    throw new EngineError(
      'CORRUPT',
      'the index is damaged, so blobs that exist could look missing: run `strongroom-backup repair index` first',
    );
  }
  const all = await repo.listSnapshots();
  const res: RepairSnapshotsResult = {
    repaired: [],
    snapshotsChecked: 0,
    unreadableSnapshots: [...repo.unreadableSnapshots].map(([id, reason]) => ({ id, reason })),
    dryRun: opts.dryRun === true,
  };
  const chosen = opts.snapshots?.length
    ? await Promise.all(opts.snapshots.map((ref) => repo.findSnapshot(ref, all)))
    : all;
  // Which snapshots a readable repaired copy already replaces: a repair stopped between writing the
  // copy and removing the original leaves both, and running it again must not make a second copy.
  const replacedBy = new Map<string, string>();
  for (const s of all) {
    const replaced = s.repaired ? (s.repaired.replaces ?? s.repaired.original) : undefined;
    if (replaced && replaced !== s.id) replacedBy.set(replaced, s.id);
  }

  const packer = new PackWriter(repo.storage, repo.keys, repo.config.packSize);
  const newPacks: PackRecord[] = [];
  const flush = async () => {
    const r = await packer.flush();
    if (r) {
      repo.addPack(r.packId, r.entries);
      newPacks.push(r);
    }
  };
  const pending = new Set<string>();
  const saveTree = async (tree: Tree): Promise<string> => {
    const bytes = encodeTree(tree);
    const idBytes = blobId(repo.keys.blobId, bytes);
    const id = idBytes.toString('hex');
    if (!opts.dryRun && !repo.index.has(id) && !pending.has(id)) {
      pending.add(id);
      const { codec, sealed } = encryptBlob(repo.keys, idBytes, bytes, repo.config.compressionLevel);
      packer.add(BLOB_TREE, id, codec, sealed, bytes.length);
      if (packer.full) await flush();
    }
    return id;
  };
  // Rewritten trees by original id: a folder shared by many snapshots is rewritten once.
  const rewritten = new Map<string, { id: string; dropped: string[] }>();
  const rewrite = async (treeId: string, where: string): Promise<{ id: string; dropped: string[] }> => {
    const memo = rewritten.get(treeId);
    // Dropped paths are relative to the folder, so a shared folder reports them under each path it has.
    if (memo) return { id: memo.id, dropped: memo.dropped.map((d) => `${where}${d}`) };
    const tree = await repo.readTree(treeId);
    const dropped: string[] = [];
    const nodes: TreeNode[] = [];
    let changed = false;
    for (const n of tree.nodes) {
      const rel = `/${n.name}`;
      if (n.type === 'dir' && n.subtree) {
        let sub: { id: string; dropped: string[] };
        try {
          sub = await rewrite(n.subtree, '');
        } catch (err) {
          const why = `folder cannot be read (${(err as Error).message}); kept as an empty folder`;
          sub = { id: await saveTree({ nodes: [] }), dropped: [`/: ${why}`] };
        }
        dropped.push(...sub.dropped.map((d) => `${rel}${d}`));
        if (sub.id !== n.subtree) changed = true;
        nodes.push(sub.id === n.subtree ? n : { ...n, subtree: sub.id });
        continue;
      }
      const content = n.content ?? [];
      const missing = content.filter((id) => !repo.index.has(id)).length;
      if (missing > 0) {
        dropped.push(`${rel}: ${missing} of ${content.length} pieces are missing; file left out`);
        changed = true;
        continue;
      }
      nodes.push(n);
    }
    const id = changed ? await saveTree({ nodes }) : treeId;
    rewritten.set(treeId, { id, dropped });
    return { id, dropped: dropped.map((d) => `${where}${d}`) };
  };

  for (const snap of chosen) {
    res.snapshotsChecked++;
    const copy = replacedBy.get(snap.id);
    if (copy) {
      res.repaired.push({ id: snap.id, newId: undefined, dropped: [], alreadyReplacedBy: copy });
      if (!opts.dryRun) await repo.removeSnapshot(snap.id);
      continue;
    }
    let result: { id: string; dropped: string[] };
    try {
      result = await rewrite(snap.tree, '');
    } catch (err) {
      res.repaired.push({
        id: snap.id,
        newId: undefined,
        dropped: [],
        unrepairable: `its root folder cannot be read (${(err as Error).message}); nothing in it can be restored: \`strongroom-backup forget ${snap.id.slice(0, 8)}\` removes it`,
      });
      continue;
    }
    if (result.id === snap.tree) continue;
    const entry: RepairedSnapshot = { id: snap.id, newId: undefined, dropped: result.dropped };
    res.repaired.push(entry);
    if (opts.dryRun) continue;
    await flush();
    // The trees it needs are in packs and indexed before the snapshot that names them exists.
    await repo.writeIndex([...repo.recoveredPacks.splice(0), ...newPacks.splice(0)]);
    const { id: _oldId, ...fields } = snap;
    const replacement: Snapshot = {
      ...fields,
      tree: result.id,
      repaired: {
        original: snap.repaired?.original ?? snap.id,
        replaces: snap.id,
        time: new Date().toISOString(),
        dropped: [...(snap.repaired?.dropped ?? []), ...result.dropped].slice(0, DROPPED_LISTED),
        droppedCount: (snap.repaired?.droppedCount ?? 0) + result.dropped.length,
      },
    };
    entry.newId = await repo.saveSnapshot(replacement);
    await repo.removeSnapshot(snap.id);
  }
  return res;
}
