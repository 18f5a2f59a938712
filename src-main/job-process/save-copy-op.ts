/**
 * "Save a copy as…": one file of a snapshot written to exactly the path the person chose (not under
 * its snapshot path). The engine restores it into a private folder beside the destination (same
 * drive), and only a complete file is then moved into place in one step: a failure, a cancel or a
 * crash never leaves a partial file at the destination. The conflict choice applies to the
 * destination: skip keeps what is there, overwrite replaces it, keep-both saves beside it as
 * "name (restored).ext".
 */
import fs from 'node:fs';
import path from 'node:path';
import { EngineError, restore } from '../../src-engine/index';
import { emptyOutcome, type JobOutcome, type JobRequest } from '../../src-shared/job-protocol';
import { formatBytes } from '../../src-shared/units';
import { transferProgress, type JobContext } from './job-context';
import { openRepository } from './repository-ops';
import { findNode, normaliseSnapshotPath } from './snapshot-path';

type RestoreRequest = Extract<JobRequest, { op: 'restore' }>;

/** Begins the name of the private folder the file is restored into before it is moved into place. */
export const STAGING_PREFIX = '.strongroom-copy-';

export async function saveCopyOp(
  request: RestoreRequest,
  saveAs: string,
  ctx: JobContext,
): Promise<JobOutcome> {
  if (request.include.length !== 1) {
    return emptyOutcome(
      'failed',
      `Save a copy as… saves exactly one file; ${request.include.length} paths were given.`,
      'INVALID_ARGUMENT',
    );
  }
  if (!path.isAbsolute(saveAs)) {
    return emptyOutcome('failed', `Save a copy as… needs a full path, not ${saveAs}.`, 'INVALID_ARGUMENT');
  }
  const dest = path.resolve(saveAs);
  const snapPath = normaliseSnapshotPath(request.include[0]!);

  const repo = await openRepository(request, ctx);
  await repo.loadIndex({ recover: false });
  const snap = await repo.findSnapshot(request.snapshotId);
  const node = await findNode(repo, snap.tree, snapPath);
  if (!node) {
    return emptyOutcome('failed', `${snapPath} is not in backup ${snap.id.slice(0, 8)}.`, 'NOT_FOUND');
  }
  if (node.type !== 'file') {
    return emptyOutcome(
      'failed',
      `${snapPath} is ${node.type === 'dir' ? 'a folder' : 'not a regular file'}: Save a copy as… saves one file. Restore it to a folder instead.`,
      'INVALID_ARGUMENT',
    );
  }
  const size = node.size ?? 0;
  const existing = lstatOrNull(dest);
  if (existing?.isDirectory()) {
    return emptyOutcome(
      'failed',
      `${dest} is a folder: give the name of the file to save.`,
      'INVALID_ARGUMENT',
    );
  }
  // The file at the destination stays as it is (conflict "skip"): a success that saved nothing.
  const kept = (message: string): JobOutcome => {
    ctx.log('info', dest, message);
    return {
      ...emptyOutcome('success', message, null),
      snapshotId: snap.id,
      filesTotal: 1,
      bytesTotal: size,
    };
  };
  if (existing && request.conflict === 'skip') {
    return kept(`${dest} is already there and was kept: nothing was saved.`);
  }

  ctx.log('info', null, `Saving a copy of ${snapPath} from snapshot ${snap.id.slice(0, 8)} as ${dest}.`);
  const staging = fs.mkdtempSync(path.join(path.dirname(dest), STAGING_PREFIX));
  try {
    const r = await restore(repo, snap.id, {
      target: staging,
      include: [snapPath],
      conflict: 'overwrite',
      breakLock: true,
      signal: ctx.signal,
      // The engine names the staged file; the person knows it by the destination.
      onProblem: (p) =>
        ctx.engineProblem({ ...p, path: p.path.split(path.join(staging, snapPath)).join(dest) }),
      onProgress: (p) => ctx.progress(transferProgress('restore', p, dest)),
    });
    const staged = path.join(staging, snapPath);
    if (r.filesRestored !== 1 || !lstatOrNull(staged)?.isFile()) {
      const message = `${snapPath} could not be restored (see the log): nothing was saved at ${dest}.`;
      ctx.log('error', dest, message);
      return {
        ...emptyOutcome('failed', message, 'IO'),
        ...ctx.countsSoFar(),
        snapshotId: snap.id,
        filesFailed: Math.max(1, ctx.filesFailed),
      };
    }
    const savedAt = placeFile(staged, dest, request.conflict);
    if (savedAt === null) {
      return kept(`${dest} appeared while the copy was restored and was kept: nothing was saved.`);
    }
    const message = `Saved a copy of ${snapPath} (${formatBytes(size)}) as ${savedAt}.`;
    ctx.log('info', savedAt, message);
    return {
      ...emptyOutcome('success', message, null),
      snapshotId: snap.id,
      filesTotal: 1,
      filesDone: 1,
      bytesTotal: size,
      bytesDone: size,
    };
  } catch (err) {
    if (err instanceof EngineError && err.code === 'CANCELLED') {
      return {
        ...emptyOutcome('cancelled', `Cancelled: nothing was saved at ${dest}.`, null),
        ...ctx.countsSoFar(),
      };
    }
    throw err;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Moves the complete staged file to the destination in one step and answers where it went. A new
 * name is taken with link(), which refuses to replace a file that appeared meanwhile; overwrite
 * replaces with rename(), atomically. null: skip, and a file appeared there meanwhile.
 */
function placeFile(staged: string, dest: string, conflict: RestoreRequest['conflict']): string | null {
  if (conflict === 'overwrite') {
    fs.renameSync(staged, dest);
    return dest;
  }
  for (let i = 0; ; i++) {
    const candidate = i === 0 ? dest : keepBothName(dest, i);
    try {
      linkOrMove(staged, candidate);
      return candidate;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw err;
      // Something is there: skip leaves it alone; keep-both tries the next free name.
      if (conflict === 'skip') return null;
    }
  }
}

/** link() where the drive supports it; elsewhere a rename after checking that the name is free. */
function linkOrMove(from: string, to: string): void {
  try {
    fs.linkSync(from, to);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
  }
  if (lstatOrNull(to)) throw Object.assign(new Error(`${to} exists`), { code: 'EEXIST' });
  fs.renameSync(from, to);
}

/** `name (restored).ext`, `name (restored 2).ext`, …: the names the restore wizard's keep-both uses. */
export function keepBothName(dest: string, n: number): string {
  const ext = path.extname(dest);
  const base = dest.slice(0, dest.length - ext.length);
  return `${base} (restored${n > 1 ? ` ${n}` : ''})${ext}`;
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch {
    return null;
  }
}
