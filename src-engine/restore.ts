/**
 * Restore: plan every file's blobs, then read each needed pack once, in order of first use, authenticate
 * its header and each blob (AES-GCM) before writing, and write with positional writes into a temporary
 * file that replaces the target only once complete. A damaged pack is named with the files it affects;
 * those files are not created, and everything else is restored.
 *
 * The target may already hold symlinks (left by someone else or by an earlier restore). Restore never
 * follows one: every directory under the target is checked with lstat before use and refused (with its
 * whole subtree) when it is a symlink or not a directory; files are created with O_EXCL|O_NOFOLLOW under
 * a fresh name and renamed over the destination, which replaces a symlink there instead of writing
 * through it; metadata is set through descriptors opened with O_NOFOLLOW; symlinks are created last.
 */
import fsp from 'node:fs/promises';
import { constants as fsc } from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { EngineError, IntegrityError, describeIoError } from './errors';
import { decryptBlob, readPackHeader, type PackEntry } from './pack';
import type { IndexEntry, Repository, Snapshot } from './repository';
import { packName } from './storage';
import { MemoryBudget } from './memory';
import type { TreeNode } from './tree';
import { progressEmitter, type TransferProgress } from './progress';

export type ConflictMode = 'skip' | 'overwrite' | 'keep-both';

export type RestoreProgress = TransferProgress;

export interface RestoreOptions {
  target: string;
  /** Snapshot paths (as `ls` shows them) to restore, with everything under them; default: everything. */
  include?: string[];
  conflict?: ConflictMode;
  signal?: AbortSignal;
  onProgress?: (p: RestoreProgress) => void;
  onWarning?: (m: string) => void;
  breakLock?: boolean;
}

export interface RestoreResult {
  filesRestored: number;
  filesSkipped: number;
  dirs: number;
  symlinks: number;
  bytesRestored: number;
  /** Files restored as hard links of another restored file (counted in filesRestored too). */
  hardlinks: number;
}

interface FilePlan {
  snapPath: string;
  dest: string;
  tmp: string;
  node: TreeNode;
  remaining: number;
  failed: boolean;
  /** Its folder was refused (a symlink or non-directory in the way): not an error of the data. */
  refused?: boolean;
  opening?: Promise<fsp.FileHandle>;
  writes: Promise<void>[];
}

interface BlobTarget {
  entry: IndexEntry;
  targets: { file: FilePlan; offset: number }[];
}

export async function restore(
  repo: Repository,
  snapshotRef: string,
  opts: RestoreOptions,
): Promise<RestoreResult> {
  const lock = await repo.lock(false, 'restore', { breakStale: opts.breakLock });
  try {
    await repo.loadIndex({ recover: false });
    const snap = await repo.findSnapshot(snapshotRef);
    return await runRestore(repo, snap, opts);
  } finally {
    await lock.release();
  }
}

function normalizeSnapPath(p: string): string {
  const n = path.posix.normalize(`/${p}`);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch {
    return false;
  }
}

async function uniqueName(dest: string): Promise<string> {
  const ext = path.extname(dest);
  const base = dest.slice(0, dest.length - ext.length);
  for (let i = 1; ; i++) {
    const candidate = `${base} (restored${i > 1 ? ` ${i}` : ''})${ext}`;
    if (!(await exists(candidate))) return candidate;
  }
}

async function runRestore(
  repo: Repository,
  snap: Snapshot & { id: string },
  opts: RestoreOptions,
): Promise<RestoreResult> {
  const started = Date.now();
  const target = path.resolve(opts.target);
  const conflict = opts.conflict ?? 'overwrite';
  const includes = (opts.include ?? []).map(normalizeSnapPath);
  const wanted = (p: string) =>
    includes.length === 0 || includes.some((i) => i === '/' || p === i || p.startsWith(`${i}/`));
  const onTheWay = (p: string) => includes.some((i) => i.startsWith(`${p}/`));
  const result: RestoreResult = {
    filesRestored: 0,
    filesSkipped: 0,
    dirs: 0,
    symlinks: 0,
    bytesRestored: 0,
    hardlinks: 0,
  };
  // As restic does: owners are restored only when running as root (anyone else cannot give files away).
  const asRoot = process.getuid?.() === 0;
  const warn = (m: string) => opts.onWarning?.(m);

  const dirs: { dest: string; node: TreeNode }[] = [];
  const links: { dest: string; node: TreeNode }[] = [];
  const files: FilePlan[] = [];
  const linkLeaders = new Map<string, FilePlan>();
  const hardlinks: { dest: string; leader: FilePlan }[] = [];
  const blobsByPack = new Map<string, Map<string, BlobTarget>>();
  let matched = false;

  const treePacks = new Set<string>();
  const candidates: { sp: string; dest: string; node: TreeNode }[] = [];
  const walk = async (treeId: string, snapDir: string): Promise<void> => {
    const tree = await repo.readTree(treeId);
    const te = repo.index.get(treeId);
    if (te) treePacks.add(te.pack);
    const seen = new Set<string>();
    for (const node of tree.nodes) {
      // decodeTree refuses names with '/', '.', '..' or ''; a name twice in one tree is refused here,
      // so one entry can never stand in the path of another.
      if (seen.has(node.name) || node.name.includes('\0')) {
        warn(`${snapDir}: skipping invalid or duplicate entry ${JSON.stringify(node.name)}`);
        continue;
      }
      seen.add(node.name);
      const sp = snapDir === '/' ? `/${node.name}` : `${snapDir}/${node.name}`;
      const take = wanted(sp);
      if (!take && !(node.type === 'dir' && onTheWay(sp))) continue;
      if (take) matched = true;
      const dest = path.join(target, sp);
      if (node.type === 'dir') {
        dirs.push({ dest, node });
        if (node.subtree) await walk(node.subtree, sp);
      } else if (node.type === 'symlink') {
        if (take) links.push({ dest, node });
      } else if (take) {
        candidates.push({ sp, dest, node });
      }
    }
  };
  await walk(snap.tree, '/');
  // Existing files are looked up concurrently: one lstat each, without waiting for the previous.
  const present = await Promise.all(candidates.map((c) => exists(c.dest)));
  for (let ci = 0; ci < candidates.length; ci++) {
    const { sp, dest, node } = candidates[ci]!;
    let finalDest = dest;
    if (present[ci]) {
      if (conflict === 'skip') {
        result.filesSkipped++;
        continue;
      }
      if (conflict === 'keep-both') finalDest = await uniqueName(dest);
    }
    // A further name of a file already planned: linked to it once it is restored, its data not rewritten.
    const leader = node.hardlink ? linkLeaders.get(node.hardlink) : undefined;
    if (leader) {
      hardlinks.push({ dest: finalDest, leader });
      continue;
    }
    const f: FilePlan = {
      snapPath: sp,
      dest: finalDest,
      tmp: path.join(
        path.dirname(finalDest),
        `.${path.basename(finalDest)}.${crypto.randomBytes(4).toString('hex')}.strongroom-restore`,
      ),
      node,
      remaining: 0,
      failed: false,
      writes: [],
    };
    files.push(f);
    if (node.hardlink) linkLeaders.set(node.hardlink, f);
    let offset = 0;
    for (const id of node.content ?? []) {
      const e = repo.index.get(id);
      if (!e)
        throw new EngineError('CORRUPT', `${sp}: blob ${id.slice(0, 16)} is missing from the repository`);
      let m = blobsByPack.get(e.pack);
      if (!m) blobsByPack.set(e.pack, (m = new Map()));
      let bt = m.get(id);
      if (!bt) m.set(id, (bt = { entry: e, targets: [] }));
      bt.targets.push({ file: f, offset });
      f.remaining++;
      offset += e.rawLength;
    }
  }
  // Tree blobs were authenticated as they were read; their packs' headers are checked too, so a damaged
  // byte anywhere in a pack this restore depends on stops it before anything is written.
  for (const packId of treePacks) {
    if (blobsByPack.has(packId)) continue;
    const header = await readPackHeader(repo.storage, repo.keys, packId);
    const known = new Set(header.map((e) => `${e.id}:${e.offset}:${e.length}`));
    for (const e of repo.packs.get(packId) ?? []) {
      if (!known.has(`${e.id}:${e.offset}:${e.length}`)) {
        throw new IntegrityError(packId, `pack ${packId.slice(0, 16)}: header does not match the index`);
      }
    }
  }
  if (includes.length > 0 && !matched) {
    throw new EngineError(
      'NOT_FOUND',
      `nothing in snapshot ${snap.id.slice(0, 8)} matches ${includes.join(', ')}`,
    );
  }

  const progress: RestoreProgress = {
    filesDone: 0,
    filesTotal: files.length,
    bytesDone: 0,
    bytesTotal: files.reduce((n, f) => n + (f.node.size ?? 0), 0),
    currentFile: '',
    rate: 0,
    eta: undefined,
  };
  const emit = progressEmitter(progress, started, opts.onProgress);

  // Directories first (parents before children), so files have somewhere to go; metadata is applied last.
  // Only directories in `safeDirs` (real directories, checked with lstat, whose parents are safe) are
  // written into; anything else in the way is refused with a warning, and so is everything under it.
  const safeDirs = new Set<string>([target]);
  try {
    await fsp.mkdir(target, { recursive: true });
  } catch (err) {
    throw describeIoError(err, 'creating directories under', target);
  }
  const usableDirs: { dest: string; node: TreeNode }[] = [];
  for (const level of byDepth(dirs)) {
    const ok = await Promise.all(
      level.map(async (d) => {
        if (!safeDirs.has(path.dirname(d.dest))) return false; // an ancestor was refused (warned there)
        const why = await ensureRealDir(d.dest);
        if (why) {
          warn(`${d.dest}: not restored, nor anything under it (${why})`);
          return false;
        }
        return true;
      }),
    ).catch((err: unknown) => {
      throw describeIoError(err, 'creating directories under', target);
    });
    level.forEach((d, i) => {
      if (!ok[i]) return;
      safeDirs.add(d.dest);
      usableDirs.push(d);
      result.dirs++;
    });
  }
  const parentIsSafe = (dest: string) => safeDirs.has(path.dirname(dest));
  for (const f of files) {
    if (parentIsSafe(f.dest)) continue;
    // Its blobs are still planned; marking it failed means none are written and no file is opened.
    f.failed = true;
    f.refused = true;
  }

  const finishFile = async (f: FilePlan) => {
    if (f.refused) {
      result.filesSkipped++;
      progress.filesDone++;
      return;
    }
    try {
      const fh = await (f.opening ?? openTmp(f.tmp));
      f.opening = undefined;
      if (f.failed) {
        await fh.close();
        throw new Error('write failed');
      }
      // Through the descriptor, never by name: nothing can swap the file for a link in between. The owner
      // first: chown clears set-id bits, which chmod then puts back.
      if (asRoot) await fh.chown(f.node.uid, f.node.gid);
      await fh.chmod(f.node.mode & 0o7777);
      const t = nsToSeconds(f.node.mtimeNs);
      await fh.utimes(t, t);
      await fh.close();
      if (
        conflict === 'overwrite' &&
        (await fsp.lstat(f.dest).then(
          (s) => s.isDirectory(),
          () => false,
        ))
      ) {
        throw new Error('a directory is in the way');
      }
      await fsp.rename(f.tmp, f.dest);
      result.filesRestored++;
      result.bytesRestored += f.node.size ?? 0;
    } catch (err) {
      await fsp.rm(f.tmp, { force: true }).catch(() => undefined);
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC')
        fatal ??= describeIoError(err, 'restoring', f.dest);
      warn(`${f.dest}: cannot restore (${(err as Error).message})`);
      f.failed = true;
    }
    progress.filesDone++;
    progress.currentFile = f.dest;
    emit();
  };

  const limit = limiter(16);
  const memory = new MemoryBudget();
  let fatal: Error | undefined;
  const touched = (needs: Map<string, BlobTarget>) =>
    new Set([...needs.values()].flatMap((b) => b.targets.map((t) => t.file)));
  await Promise.all(files.filter((f) => f.remaining === 0).map((f) => limit(() => finishFile(f))));

  // Packs in order of first use. Each pack's header is read and authenticated first, then only the byte
  // ranges holding needed blobs (neighbours merged up to RANGE_BYTES), each range read while the one
  // before it is decrypted and written: memory is about two ranges plus the blobs being written, not
  // whole packs.
  const damaged: { pack: string; files: Set<string>; reason: string }[] = [];
  const packOrder = [...blobsByPack.keys()];
  const readHeader = (packId: string): Promise<{ header?: PackEntry[]; err?: Error }> =>
    readPackHeader(repo.storage, repo.keys, packId).then(
      (header) => ({ header }),
      (err: Error) => ({ err }),
    );
  let next = packOrder.length > 0 ? readHeader(packOrder[0]!) : undefined;
  for (let i = 0; i < packOrder.length; i++) {
    if (opts.signal?.aborted) break;
    const packId = packOrder[i]!;
    const got = await next!;
    next = i + 1 < packOrder.length ? readHeader(packOrder[i + 1]!) : undefined;
    const needs = blobsByPack.get(packId)!;
    const failBlobs = (blobs: Iterable<BlobTarget>, reason: string) => {
      const affected = new Set<string>();
      for (const b of blobs)
        for (const t of b.targets) {
          affected.add(t.file.snapPath);
          t.file.failed = true;
        }
      damaged.push({ pack: packId, files: affected, reason });
    };
    const failPack = (reason: string) => failBlobs(needs.values(), reason);
    if (got.err || !got.header) {
      failPack(got.err?.message ?? 'unreadable');
      continue;
    }
    const byId = new Map(got.header.map((e) => [e.id, e]));
    for (const [id, b] of needs) {
      const h = byId.get(id);
      if (!h || h.offset !== b.entry.offset || h.length !== b.entry.length) {
        failPack(
          `pack ${packId.slice(0, 16)}: header disagrees with the index about blob ${id.slice(0, 16)}`,
        );
        break;
      }
    }
    const ranges = planRanges([...needs.values()]);
    const readRange = (r: ReadRange): Promise<{ bytes?: Buffer; err?: Error }> =>
      repo.storage.readRange(packName(packId), r.start, r.end - r.start).then(
        (bytes) => ({ bytes }),
        (err: Error) => ({ err }),
      );
    const writes: Promise<void>[] = [];
    let nextRange = ranges.length > 0 ? readRange(ranges[0]!) : undefined;
    for (let ri = 0; ri < ranges.length; ri++) {
      const range = ranges[ri]!;
      const read = await nextRange!;
      nextRange = ri + 1 < ranges.length ? readRange(ranges[ri + 1]!) : undefined;
      const bytes = read.bytes;
      if (!bytes || bytes.length !== range.end - range.start) {
        failBlobs(
          range.blobs,
          read.err?.message ?? `pack ${packId.slice(0, 16)}: shorter than its index says`,
        );
      }
      const rangeTasks: Promise<void>[] = [];
      for (const b of range.blobs) {
        // One task per blob, at most 8 at a time: it authenticates and decrypts the blob, then writes it
        // to every file that holds it, so only the blobs being written are in memory as plaintext.
        const task = limit(async () => {
          if (!bytes || !b.targets.some((t) => !t.file.failed)) return;
          let plain: Buffer;
          try {
            const start = b.entry.offset - range.start;
            const sealed = bytes.subarray(start, start + b.entry.length);
            plain = decryptBlob(repo.keys, b.entry, sealed, `pack ${packId.slice(0, 16)}`);
          } catch (err) {
            failBlobs([b], (err as Error).message);
            return;
          }
          for (const t of b.targets) {
            const f = t.file;
            if (f.failed) continue;
            try {
              f.opening ??= openTmp(f.tmp);
              const fh = await f.opening;
              let off = 0;
              while (off < plain.length) {
                off += (await fh.write(plain, off, plain.length - off, t.offset + off)).bytesWritten;
              }
              progress.bytesDone += plain.length;
              emit();
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === 'ENOSPC')
                fatal ??= describeIoError(err, 'restoring', f.dest);
              warn(`${f.dest}: cannot write (${(err as Error).message})`);
              f.failed = true;
            }
          }
        });
        rangeTasks.push(task);
        for (const t of b.targets) {
          const f = t.file;
          f.writes.push(task);
          f.remaining--;
          if (f.remaining === 0) {
            const pendingWrites = f.writes;
            f.writes = [];
            writes.push(Promise.all(pendingWrites).then(() => limit(() => finishFile(f))));
          }
        }
      }
      // This range's blobs are written before the next range is decrypted (that one is being read now).
      await Promise.all(rangeTasks);
      if (bytes) memory.spent(bytes.length);
      if (fatal) {
        await nextRange?.catch(() => undefined);
        throw fatal;
      }
    }
    await Promise.all(writes);
    await Promise.all([...touched(needs)].flatMap((f) => f.writes.splice(0)));
    if (fatal) throw fatal;
  }
  await next?.catch(() => undefined);
  for (const f of files) {
    if (f.refused) continue; // nothing was opened under a refused folder
    if (f.failed || f.remaining > 0) {
      const fh = await f.opening?.catch(() => undefined);
      f.opening = undefined;
      await fh?.close().catch(() => undefined);
      await fsp.rm(f.tmp, { force: true }).catch(() => undefined);
    }
  }
  if (opts.signal?.aborted)
    throw new EngineError('CANCELLED', 'restore cancelled; completed files were kept');

  for (const h of hardlinks) {
    if (!parentIsSafe(h.dest)) {
      result.filesSkipped++;
      continue;
    }
    const lead = h.leader;
    if (lead.failed || lead.refused || lead.remaining > 0) {
      warn(`${h.dest}: not restored (it is a hard link of ${lead.dest}, which was not restored)`);
      continue;
    }
    // Linked under a fresh name, then renamed over the destination: a symlink there is replaced.
    const tmp = path.join(
      path.dirname(h.dest),
      `.${path.basename(h.dest)}.${crypto.randomBytes(4).toString('hex')}.strongroom-restore`,
    );
    try {
      await fsp.link(lead.dest, tmp);
      if (
        await fsp.lstat(h.dest).then(
          (s) => s.isDirectory(),
          () => false,
        )
      )
        throw new Error('a directory is in the way');
      await fsp.rename(tmp, h.dest);
      result.filesRestored++;
      result.hardlinks++;
    } catch (err) {
      warn(`${h.dest}: cannot create hard link (${(err as Error).message})`);
    } finally {
      // rename leaves both names when they already were links of one file.
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
    }
  }
  for (const l of links) {
    if (!parentIsSafe(l.dest)) {
      result.filesSkipped++;
      continue;
    }
    try {
      if (await exists(l.dest)) {
        if (conflict === 'skip') continue;
        if (conflict === 'keep-both') l.dest = await uniqueName(l.dest);
        else await fsp.rm(l.dest, { force: true });
      }
      await fsp.symlink(l.node.target ?? '', l.dest);
      if (asRoot) await fsp.lchown(l.dest, l.node.uid, l.node.gid);
      const t = nsToSeconds(l.node.mtimeNs);
      await fsp.lutimes(l.dest, t, t);
      result.symlinks++;
    } catch (err) {
      warn(`${l.dest}: cannot create symlink (${(err as Error).message})`);
    }
  }
  // Deepest directories first: setting a parent's mtime before writing into it would be undone.
  for (const level of byDepth(usableDirs).reverse()) {
    await Promise.all(
      level.map((d) =>
        limit(async () => {
          try {
            // O_NOFOLLOW: if the directory was swapped for a symlink since, this fails instead of
            // changing whatever the link points at.
            const fh = await fsp.open(d.dest, fsc.O_RDONLY | fsc.O_DIRECTORY | fsc.O_NOFOLLOW);
            try {
              if (asRoot) await fh.chown(d.node.uid, d.node.gid);
              await fh.chmod(d.node.mode & 0o7777);
              const t = nsToSeconds(d.node.mtimeNs);
              await fh.utimes(t, t);
            } finally {
              await fh.close();
            }
          } catch (err) {
            warn(`${d.dest}: cannot set metadata (${(err as Error).message})`);
          }
        }),
      ),
    );
  }
  emit(true);
  if (damaged.length > 0) {
    const lines = damaged.map((d) => `${d.reason}; affects ${[...d.files].join(', ')}`);
    throw new IntegrityError(
      damaged[0]!.pack,
      `restore found damaged data (those files were not written; everything else was restored):\n  ${lines.join('\n  ')}`,
    );
  }
  return result;
}

interface ReadRange {
  start: number;
  end: number;
  blobs: BlobTarget[];
}

/** Needed blobs of one pack merged into reads of at most RANGE_BYTES (a larger blob is a read of its own). */
const RANGE_BYTES = 8 * 1024 * 1024;
/** Skipping fewer unneeded bytes than this costs more in extra reads than reading them. */
const RANGE_GAP = 256 * 1024;

function planRanges(blobs: BlobTarget[]): ReadRange[] {
  const sorted = [...blobs].sort((a, b) => a.entry.offset - b.entry.offset);
  const out: ReadRange[] = [];
  let cur: ReadRange | undefined;
  for (const b of sorted) {
    const start = b.entry.offset;
    const end = start + b.entry.length;
    if (cur && start - cur.end <= RANGE_GAP && end - cur.start <= RANGE_BYTES) {
      cur.end = Math.max(cur.end, end);
      cur.blobs.push(b);
    } else {
      cur = { start, end, blobs: [b] };
      out.push(cur);
    }
  }
  return out;
}

/** A fresh temporary file: O_EXCL|O_NOFOLLOW, so an existing file or link of that name is never opened. */
function openTmp(p: string): Promise<fsp.FileHandle> {
  return fsp.open(p, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
}

/**
 * Makes `dir` a real directory if nothing is there; returns why it cannot be used when something else
 * is (a symlink is never followed, whatever it points at). Its parent has already been checked.
 */
async function ensureRealDir(dir: string): Promise<string | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const st = await fsp.lstat(dir);
      if (st.isSymbolicLink()) return 'a symlink is in the way; it was not followed';
      if (!st.isDirectory()) return 'something that is not a directory is in the way';
      return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      await fsp.mkdir(dir, { mode: 0o700 });
      return undefined;
    } catch (err) {
      // Created by someone else between lstat and mkdir: look again at what it is.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return 'it keeps changing while being restored';
}

/** Runs at most `n` of the given tasks at once: enough to keep the disk busy, few enough descriptors. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

function byDepth<T extends { dest: string }>(items: T[]): T[][] {
  const levels: T[][] = [];
  for (const it of items) {
    const depth = it.dest.split(path.sep).length;
    (levels[depth] ??= []).push(it);
  }
  return levels.filter(Boolean);
}

/** Seconds for utimes; half a microsecond up so float rounding never lands a millisecond early. */
function nsToSeconds(ns: string): number {
  return (Number(BigInt(ns) / 1000n) + 0.5) / 1e6;
}
