/**
 * Check: the structure always (every index file, pack header, snapshot and tree decrypts and agrees; every
 * referenced blob is indexed), and on request the data itself: every byte of all packs, or a random
 * percentage of them. Damage is reported with the snapshots and files it touches.
 */
import crypto from 'node:crypto';
import { IntegrityError } from '../errors';
import { parsePack, readPackHeader, decryptBlob, BLOB_TREE } from '../repository/pack';
import type { Repository } from '../repository/repository';
import { packName } from '../storage';

export interface CheckOptions {
  /** 0..100: share of packs whose every byte is read and verified. */
  readDataPercent?: number;
  onProgress?: (done: number, total: number, phase: string) => void;
  breakLock?: boolean;
}

export interface DamagedPack {
  pack: string;
  reason: string;
  /** "snapshot-id:/path" of files (and trees) using blobs in this pack */
  affects: string[];
}

export interface CheckResult {
  ok: boolean;
  errors: string[];
  warnings: string[];
  damagedPacks: DamagedPack[];
  packsChecked: number;
  /** Packs read in full for --read-data, the damaged ones included. */
  packsRead: number;
  snapshots: number;
  /** The repair commands that address what was found, in the order to run them. */
  repairs: string[];
}

export const REPAIR_INDEX = 'strongroom-backup repair index';
export const REPAIR_INDEX_READ_ALL = 'strongroom-backup repair index --read-all-packs';
export const REPAIR_SNAPSHOTS = 'strongroom-backup repair snapshots';

export async function check(repo: Repository, opts: CheckOptions = {}): Promise<CheckResult> {
  const lock = await repo.lock(false, 'check', { breakStale: opts.breakLock });
  try {
    return await runCheck(repo, opts);
  } finally {
    await lock.release();
  }
}

async function runCheck(repo: Repository, opts: CheckOptions): Promise<CheckResult> {
  const res: CheckResult = {
    ok: true,
    errors: [],
    warnings: [],
    damagedPacks: [],
    packsChecked: 0,
    packsRead: 0,
    snapshots: 0,
    repairs: [],
  };
  const repairs = new Set<string>();
  const damaged = new Map<string, string>();
  const missing = new Set<string>();
  const fail = (m: string) => {
    res.errors.push(m);
  };
  // Strict: report what the index files say; reading unindexed pack headers is what `repair index` does.
  const seenProblems = repo.problems.length;
  try {
    await repo.loadIndex({ strict: true });
  } catch (err) {
    fail(`index: ${(err as Error).message}`);
  }
  for (const id of repo.unreadableIndexFiles) {
    const p = repo.problems.find((x) => x.file === `index/${id}`);
    fail(`index file ${id.slice(0, 16)} ${p?.reason ?? 'cannot be read'}`);
    repairs.add(REPAIR_INDEX);
  }
  const onDisk = new Set(await repo.listNames('packs'));
  for (const p of onDisk) {
    if (!repo.packs.has(p)) {
      res.warnings.push(
        `pack ${p.slice(0, 16)} is not in any index (left by an interrupted backup, or its index file was lost); the next backup or \`${REPAIR_INDEX}\` indexes it`,
      );
    }
  }
  const packIds = [...repo.packs.keys()];
  let done = 0;
  for (const packId of packIds) {
    opts.onProgress?.(done++, packIds.length, 'structure');
    if (!onDisk.has(packId)) {
      damaged.set(packId, `pack ${packId.slice(0, 16)} is in the index but missing from the repository`);
      missing.add(packId);
      continue;
    }
    try {
      const header = await readPackHeader(repo.storage, repo.keys, packId);
      const indexed = repo.packs.get(packId)!;
      const key = (e: { id: string; offset: number; length: number; type: number }) =>
        `${e.id}:${e.offset}:${e.length}:${e.type}`;
      const hs = new Set(header.map(key));
      if (header.length !== indexed.length || !indexed.every((e) => hs.has(key(e)))) {
        damaged.set(packId, `pack ${packId.slice(0, 16)}: header does not match the index`);
      }
    } catch (err) {
      damaged.set(packId, (err as Error).message);
    }
    res.packsChecked++;
  }

  // Snapshots and trees: every tree readable, every referenced blob indexed.
  const snapshots = await repo.listSnapshots().catch((err: Error) => {
    fail(`snapshots: ${err.message}`);
    return [];
  });
  for (const [id, reason] of repo.unreadableSnapshots) {
    fail(
      `snapshot file ${id.slice(0, 16)} cannot be read (${reason}); \`strongroom-backup forget ${id.slice(0, 8)}\` removes it`,
    );
  }
  // Stray names (.DS_Store and the like) are not damage: warnings, so they never fail a check.
  for (const p of repo.problems.slice(seenProblems)) {
    if (p.reason.startsWith('not a repository file')) res.warnings.push(`${p.file}: ${p.reason}`);
  }
  res.snapshots = snapshots.length;
  const seenTrees = new Set<string>();
  const walk = async (treeId: string, where: string): Promise<void> => {
    if (seenTrees.has(treeId)) return;
    seenTrees.add(treeId);
    let tree;
    try {
      tree = await repo.readTree(treeId);
    } catch (err) {
      fail(`${where}: tree ${treeId.slice(0, 16)} unreadable: ${(err as Error).message}`);
      // Damaged bytes (not just a blob the index lacks): the index must stop offering it first.
      if (err instanceof IntegrityError) repairs.add(REPAIR_INDEX_READ_ALL);
      repairs.add(REPAIR_SNAPSHOTS);
      return;
    }
    for (const n of tree.nodes) {
      const p = `${where === '/' ? '' : where}/${n.name}`;
      if (n.type === 'dir' && n.subtree) await walk(n.subtree, p);
      for (const id of n.content ?? [])
        if (!repo.index.has(id)) {
          fail(`${p}: blob ${id.slice(0, 16)} is missing`);
          repairs.add(REPAIR_SNAPSHOTS);
        }
    }
  };
  for (const s of snapshots) await walk(s.tree, '/');

  // Data: read whole packs, verify name, header and every blob's MAC and id.
  const pct = Math.max(0, Math.min(100, opts.readDataPercent ?? 0));
  if (pct > 0) {
    const ordered = [...packIds].filter((p) => onDisk.has(p) && !damaged.has(p));
    const chosen = pct >= 100 ? ordered : ordered.filter(() => crypto.randomInt(0, 1_000_000) < pct * 10_000);
    if (pct < 100 && chosen.length === 0 && ordered.length > 0)
      chosen.push(ordered[crypto.randomInt(0, ordered.length)]!);
    done = 0;
    for (const packId of chosen) {
      opts.onProgress?.(done++, chosen.length, 'read-data');
      // Counted whether or not it turns out damaged: the count says how much was read.
      res.packsRead++;
      try {
        const bytes = await repo.storage.read(packName(packId));
        const entries = parsePack(repo.keys, packId, bytes);
        for (const e of entries)
          decryptBlob(
            repo.keys,
            e,
            bytes.subarray(e.offset, e.offset + e.length),
            `pack ${packId.slice(0, 16)}`,
            true,
          );
      } catch (err) {
        damaged.set(
          packId,
          err instanceof IntegrityError
            ? err.message
            : `pack ${packId.slice(0, 16)}: ${(err as Error).message}`,
        );
      }
    }
  }

  if (damaged.size > 0) {
    // Name what the damage touches: walk all snapshots once more, collecting users of damaged blobs.
    const affects = new Map<string, string[]>([...damaged.keys()].map((p) => [p, []]));
    const packOf = (id: string) => (repo.index.get(id) ?? repo.damagedBlobs.get(id))?.pack;
    const note = (id: string, label: string) => {
      const p = packOf(id);
      if (p && affects.has(p)) {
        const list = affects.get(p)!;
        if (list.length < 200 && !list.includes(label)) list.push(label);
      }
    };
    for (const s of snapshots) {
      const visit = async (treeId: string, where: string): Promise<void> => {
        note(treeId, `${s.id.slice(0, 8)}:${where}`);
        const tree = await repo.readTree(treeId).catch(() => undefined);
        if (!tree) return;
        for (const n of tree.nodes) {
          const p = `${where === '/' ? '' : where}/${n.name}`;
          for (const id of n.content ?? []) note(id, `${s.id.slice(0, 8)}:${p}`);
          if (n.type === 'dir' && n.subtree) await visit(n.subtree, p);
        }
      };
      await visit(s.tree, '/');
    }
    for (const [pack, reason] of damaged) {
      res.damagedPacks.push({ pack, reason, affects: affects.get(pack) ?? [] });
      fail(`damaged pack ${pack}: ${reason}`);
    }
    // First the index must stop offering the damaged blobs (so a backup stores them again where the
    // files still exist), then the snapshots that use them are rewritten without them.
    // A pack that is only missing needs no reading of the others: plain `repair index` drops it.
    repairs.add([...damaged.keys()].every((p) => missing.has(p)) ? REPAIR_INDEX : REPAIR_INDEX_READ_ALL);
    repairs.add(REPAIR_SNAPSHOTS);
  }
  // Tree blobs stored as data (or the reverse) would mean a confused index.
  for (const t of seenTrees) {
    const e = repo.index.get(t);
    if (e && e.type !== BLOB_TREE) fail(`blob ${t.slice(0, 16)} is used as a tree but stored as data`);
  }
  res.repairs = [REPAIR_INDEX, REPAIR_INDEX_READ_ALL, REPAIR_SNAPSHOTS].filter((r) => repairs.has(r));
  // --read-all-packs does everything plain `repair index` does.
  if (res.repairs.includes(REPAIR_INDEX_READ_ALL))
    res.repairs = res.repairs.filter((r) => r !== REPAIR_INDEX);
  res.ok = res.errors.length === 0;
  return res;
}
