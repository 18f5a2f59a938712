/**
 * Check: the structure always (every index file, pack header, snapshot and tree decrypts and agrees; every
 * referenced blob is indexed), and on request the data itself: every byte of all packs, or a random
 * percentage of them. Damage is reported with every snapshot it touches and the files that lose data.
 */
import crypto from 'node:crypto';
import { IntegrityError } from '../errors';
import { sha256Hex } from '../repository/crypto';
import { decodeHeader, readPackHeader, decryptBlob, BLOB_TREE, type PackEntry } from '../repository/pack';
import type { Repository } from '../repository/repository';
import { packName } from '../storage';

export interface CheckOptions {
  /** 0..100: share of packs whose every byte is read and verified. */
  readDataPercent?: number;
  onProgress?: (done: number, total: number, phase: string) => void;
  breakLock?: boolean;
}

/** A path that loses data to a damaged pack. */
export interface LostPath {
  /** The path in the snapshots (absolute, as backed up). */
  path: string;
  /**
   * `file`: some of its content is in the damaged part; `folder`: its listing (tree) is, so nothing in
   * it can be restored (what it held is not known from here).
   */
  kind: 'file' | 'folder';
  /** The snapshots that hold this path with the damaged data, oldest first. */
  snapshots: string[];
}

export interface DamagedPack {
  pack: string;
  reason: string;
  /** Every snapshot that uses damaged data of this pack, oldest first. */
  snapshots: string[];
  /** The paths that lose data, by path; the first LOST_LISTED of them (`lostCount` says how many). */
  lost: LostPath[];
  lostCount: number;
}

/** How many lost paths a damaged pack lists (the count is always exact). */
export const LOST_LISTED = 1000;

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

/** Why a pack cannot be fully used, and which of its blobs are lost ('all': none can be used). */
interface Damage {
  reason: string;
  blobs: Set<string> | 'all';
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
  const damaged = new Map<string, Damage>();
  const missing = new Set<string>();
  /** Indexed packs whose header cannot be read: --read-data finds their blobs where the index says. */
  const headerless = new Set<string>();
  const fail = (m: string) => {
    res.errors.push(m);
  };
  // Strict: what the index files say. Packs they do not name are looked at below, on their own.
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
  const packIds = [...repo.packs.keys()];
  for (const [p, reason] of repo.setAsidePacks) {
    if (onDisk.has(p) && !repo.packs.has(p))
      res.warnings.push(
        `pack ${p.slice(0, 16)} was set aside by \`repair index\` (${reason}); no command uses it, and \`prune\` deletes it`,
      );
  }
  // Packs no index file names: their headers say whether their blobs are usable (then only the index is
  // missing, and `repair index` is the remedy) or not (then `repair index` sets them aside). Their blobs
  // join the in-memory index so the walk below can tell a blob that is only unindexed from a lost one.
  const unindexed = new Map<string, Set<string>>();
  for (const p of onDisk) {
    if (repo.packs.has(p) || repo.setAsidePacks.has(p)) continue;
    try {
      repo.addPack(p, await readPackHeader(repo.storage, repo.keys, p));
      unindexed.set(p, new Set());
    } catch (err) {
      fail(
        `pack ${p.slice(0, 16)} is in no index file and its header cannot be read (${(err as Error).message}): none of its blobs can be used; \`${REPAIR_INDEX}\` sets it aside`,
      );
      repairs.add(REPAIR_INDEX);
    }
  }
  const use = (id: string) => {
    const pack = repo.index.get(id)?.pack;
    if (pack !== undefined) unindexed.get(pack)?.add(id);
  };
  let done = 0;
  for (const packId of packIds) {
    opts.onProgress?.(done++, packIds.length, 'structure');
    if (!onDisk.has(packId)) {
      damaged.set(packId, {
        reason: `pack ${packId.slice(0, 16)} is in the index but missing from the repository`,
        blobs: 'all',
      });
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
        damaged.set(packId, {
          reason: `pack ${packId.slice(0, 16)}: header does not match the index`,
          blobs: 'all',
        });
      }
    } catch (err) {
      const why = (err as Error).message;
      // Read in full below when asked; otherwise every blob counts as lost, and the reason says so.
      const more =
        (opts.readDataPercent ?? 0) > 0 ? '' : ' (`check --read-data` tells which of its blobs are intact)';
      damaged.set(packId, { reason: `${why}${more}`, blobs: 'all' });
      headerless.add(packId);
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
    use(treeId);
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
      for (const id of n.content ?? []) {
        if (!repo.index.has(id)) {
          fail(`${p}: blob ${id.slice(0, 16)} is missing`);
          repairs.add(REPAIR_SNAPSHOTS);
        } else use(id);
      }
    }
  };
  for (const s of snapshots) await walk(s.tree, '/');
  for (const [p, used] of unindexed) {
    if (used.size > 0) {
      fail(
        `pack ${p.slice(0, 16)} is in no index file, yet snapshots use ${used.size} of its blobs (its index file was lost or cannot be read): \`${REPAIR_INDEX}\` indexes it`,
      );
      repairs.add(REPAIR_INDEX);
    } else {
      res.warnings.push(
        `pack ${p.slice(0, 16)} is not in any index (left by an interrupted backup, or its index file was lost); the next backup or \`${REPAIR_INDEX}\` indexes it`,
      );
    }
  }

  // Data: read whole packs, verify name, header and every blob's MAC and id.
  const pct = Math.max(0, Math.min(100, opts.readDataPercent ?? 0));
  if (pct > 0) {
    const ordered = [...packIds, ...unindexed.keys()].filter((p) => onDisk.has(p) && !damaged.has(p));
    const chosen = pct >= 100 ? ordered : ordered.filter(() => crypto.randomInt(0, 1_000_000) < pct * 10_000);
    if (pct < 100 && chosen.length === 0 && ordered.length > 0)
      chosen.push(ordered[crypto.randomInt(0, ordered.length)]!);
    // Known damaged already, but which of their blobs are lost is worth reading for.
    chosen.push(...headerless);
    done = 0;
    for (const packId of chosen) {
      opts.onProgress?.(done++, chosen.length, 'read-data');
      // Counted whether or not it turns out damaged: the count says how much was read.
      res.packsRead++;
      const d = await readWholePack(
        repo,
        packId,
        headerless.has(packId) ? repo.packs.get(packId) : undefined,
      );
      if (d) damaged.set(packId, d);
    }
  }

  if (damaged.size > 0) {
    const lost = await lostPaths(repo, snapshots, damaged);
    for (const [pack, d] of damaged) {
      const l = lost.get(pack);
      const paths = [...(l?.paths ?? [])]
        .map(([path, v]) => ({ path, kind: v.kind, snapshots: v.snapshots }))
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      res.damagedPacks.push({
        pack,
        reason: d.reason,
        snapshots: l?.snapshots ?? [],
        lost: paths.slice(0, LOST_LISTED),
        lostCount: paths.length,
      });
      fail(`damaged pack ${pack}: ${d.reason}`);
    }
    // First the index must stop offering the damaged blobs (so a backup stores them again where the
    // files still exist), then the snapshots that use them are rewritten without them.
    // A pack that is only missing needs no reading of the others: plain `repair index` drops it.
    repairs.add([...damaged.keys()].every((p) => missing.has(p)) ? REPAIR_INDEX : REPAIR_INDEX_READ_ALL);
    if (lost.size > 0) repairs.add(REPAIR_SNAPSHOTS);
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

/**
 * Reads a pack whole and authenticates its header and every blob on its own, so that damage costs only
 * the blobs it is in. A pack whose header cannot be read has its blobs looked for where `indexed` (the
 * index's entries) says: `repair index --read-all-packs` keeps those that authenticate. Undefined when
 * the pack is sound.
 */
async function readWholePack(
  repo: Repository,
  packId: string,
  indexed?: PackEntry[],
): Promise<Damage | undefined> {
  const where = `pack ${packId.slice(0, 16)}`;
  let bytes: Buffer;
  let header: PackEntry[];
  let headerProblem: string | undefined;
  try {
    bytes = await repo.storage.read(packName(packId));
  } catch (err) {
    return { reason: `${where}: ${(err as Error).message}`, blobs: 'all' };
  }
  try {
    const h = decodeHeader(repo.keys, packId, bytes, bytes.length);
    if (typeof h === 'number') throw new IntegrityError(packId, `${where}: header truncated`);
    header = h;
  } catch (err) {
    const m = (err as Error).message;
    headerProblem = err instanceof IntegrityError ? m : `${where}: ${m}`;
    if (!indexed) return { reason: headerProblem, blobs: 'all' };
    header = indexed;
  }
  const bad = new Set<string>();
  let first = '';
  for (const e of header) {
    try {
      decryptBlob(repo.keys, e, bytes.subarray(e.offset, e.offset + e.length), where, true);
    } catch (err) {
      bad.add(e.id);
      first ||= (err as Error).message;
    }
  }
  if (headerProblem) {
    const intact = header.length - bad.size;
    const saved =
      bad.size === 0
        ? `all ${intact} of its blobs are intact`
        : `${intact} of its ${header.length} blobs are intact (the first damaged: ${first})`;
    return { reason: `${headerProblem}; ${saved}`, blobs: bad };
  }
  if (bad.size === 1) return { reason: first, blobs: bad };
  if (bad.size > 1) return { reason: `${bad.size} blobs are damaged (the first: ${first})`, blobs: bad };
  // Every byte is under some tag or the checked header length, so this is only a safeguard.
  if (sha256Hex(bytes) !== packId)
    return { reason: `${where}: contents do not match its name (SHA-256)`, blobs: new Set() };
  return undefined;
}

interface PackLoss {
  snapshots: string[];
  paths: Map<string, { kind: LostPath['kind']; snapshots: string[] }>;
}

/**
 * Which snapshots and paths lose data to each damaged pack: files with a lost blob in their content,
 * folders whose tree is lost. Each distinct tree is looked at once, however many snapshots share it.
 */
async function lostPaths(
  repo: Repository,
  snapshots: { id: string; tree: string }[],
  damaged: Map<string, Damage>,
): Promise<Map<string, PackLoss>> {
  const lostIn = (id: string): string | undefined => {
    const e = repo.index.get(id) ?? repo.damagedBlobs.get(id);
    const d = e && damaged.get(e.pack);
    return d && (d.blobs === 'all' || d.blobs.has(id)) ? e.pack : undefined;
  };
  interface Lost {
    pack: string;
    path: string;
    kind: LostPath['kind'];
  }
  // Relative to the tree: "/name", "/sub/name".
  const memo = new Map<string, Lost[]>();
  const below = async (treeId: string): Promise<Lost[]> => {
    const known = memo.get(treeId);
    if (known) return known;
    const out: Lost[] = [];
    // A tree that cannot be read for another reason is named by the walk above.
    const tree = await repo.readTree(treeId).catch(() => undefined);
    for (const n of tree?.nodes ?? []) {
      const rel = `/${n.name}`;
      if (n.type === 'dir' && n.subtree) {
        const pack = lostIn(n.subtree);
        if (pack) out.push({ pack, path: rel, kind: 'folder' });
        else for (const l of await below(n.subtree)) out.push({ ...l, path: `${rel}${l.path}` });
        continue;
      }
      const packs = new Set<string>();
      for (const id of n.content ?? []) {
        const pack = lostIn(id);
        if (pack) packs.add(pack);
      }
      for (const pack of packs) out.push({ pack, path: rel, kind: 'file' });
    }
    memo.set(treeId, out);
    return out;
  };
  const result = new Map<string, PackLoss>();
  for (const s of snapshots) {
    const rootPack = lostIn(s.tree);
    const lost: Lost[] = rootPack ? [{ pack: rootPack, path: '/', kind: 'folder' }] : await below(s.tree);
    for (const l of lost) {
      let r = result.get(l.pack);
      if (!r) result.set(l.pack, (r = { snapshots: [], paths: new Map() }));
      if (r.snapshots[r.snapshots.length - 1] !== s.id) r.snapshots.push(s.id);
      const p = r.paths.get(l.path);
      if (!p) r.paths.set(l.path, { kind: l.kind, snapshots: [s.id] });
      else if (p.snapshots[p.snapshots.length - 1] !== s.id) p.snapshots.push(s.id);
    }
  }
  return result;
}
