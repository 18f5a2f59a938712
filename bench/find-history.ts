/**
 * A synthetic backup history for the find benchmarks (issue 9): a tree of `paths` paths (folders
 * `area-NN/proj-NNNN`, about a hundred small files `note-NNNNN.txt` in each), backed up `snapshots` times
 * by the engine and by restic into repositories of their own, with `changeRatio` of the files rewritten
 * between two backups (and a few deleted, then brought back a step later, so some paths have gaps).
 * Everything is deterministic, so both tools see the same source at every step.
 *
 * Used by bench/find.ts (find and diff against restic) and by the catalogue's own figures: call
 * `buildFindHistory` with a `dir` and the same parameters to reuse a history already built there.
 */
import { execFile, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { backup, LocalFolderStorage, Repository } from '../src-engine/index';

export interface FindHistoryParams {
  /** Snapshots per tool (100 in the issue). */
  snapshots: number;
  /** Paths in the tree, folders included (100,000 in the issue). */
  paths: number;
  /** Share of the files rewritten between two snapshots (0.01 in the issue). */
  changeRatio: number;
  /** Also back the history up with restic (default true). */
  restic?: boolean;
}

export interface FindHistory {
  params: FindHistoryParams;
  /** The folder everything lives in. */
  dir: string;
  /** The backed-up folder, as it is after the last step. */
  source: string;
  /** The password of both repositories. */
  password: string;
  strongroomRepo: string;
  /** Engine snapshot ids, oldest first. */
  strongroomSnapshots: string[];
  resticRepo: string | undefined;
  resticSnapshots: string[];
  /** Layout, for choosing patterns: files and folders in the tree. */
  files: number;
  leafDirs: number;
  /** Zero-padded width of the numbers in file names. */
  fileDigits: number;
  /** Seconds spent backing up each tool's history (not a benchmark figure: progress only). */
  buildSeconds: { strongroom: number; restic: number };
}

export const HISTORY_PASSWORD = 'benchmark password';

/** The tree's shape: how many leaf folders and files a path budget gives. */
export function historyLayout(paths: number): {
  areas: number;
  leafDirs: number;
  files: number;
  fileDigits: number;
  dirOf(file: number): { area: number; leaf: number };
} {
  const leafDirs = Math.max(1, Math.round(paths / 100));
  const areas = Math.max(1, Math.round(leafDirs / 40));
  const files = Math.max(1, paths - leafDirs - areas);
  const perDir = Math.ceil(files / leafDirs);
  const perArea = Math.ceil(leafDirs / areas);
  return {
    areas,
    leafDirs,
    files,
    fileDigits: Math.max(5, String(files).length),
    dirOf: (file) => {
      const leaf = Math.floor(file / perDir);
      return { area: Math.floor(leaf / perArea), leaf };
    },
  };
}

export function filePath(layout: ReturnType<typeof historyLayout>, file: number): string {
  const { area, leaf } = layout.dirOf(file);
  return path.join(
    `area-${String(area).padStart(2, '0')}`,
    `proj-${String(leaf).padStart(4, '0')}`,
    `note-${String(file).padStart(layout.fileDigits, '0')}.txt`,
  );
}

/** A file's bytes at a given version: 40 to 400 bytes of text, different for every (file, version). */
function contents(file: number, version: number): Buffer {
  const h = crypto.createHash('sha256').update(`${file}:${version}`).digest();
  const size = 40 + (h.readUInt16LE(0) % 360);
  const line = `note ${file} version ${version} ${h.toString('hex')}\n`;
  return Buffer.from(line.repeat(Math.ceil(size / line.length)).slice(0, size));
}

/** Deterministic choice of `count` distinct files for step `step`. */
function pick(step: number, count: number, files: number): number[] {
  const out = new Set<number>();
  let i = 0;
  while (out.size < Math.min(count, files)) {
    const h = crypto.createHash('sha256').update(`step ${step} pick ${i++}`).digest();
    out.add(h.readUInt32LE(0) % files);
  }
  return [...out];
}

/** `restic backup`, resolving to the new snapshot's id. */
function resticBackup(repo: string, source: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'restic',
      ['-r', repo, 'backup', '--json', '--quiet', source],
      { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (err, out) => {
        if (err) return reject(err);
        const summary = out
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { message_type: string; snapshot_id?: string })
          .find((m) => m.message_type === 'summary');
        if (!summary?.snapshot_id)
          reject(new Error(`restic backup gave no snapshot id:\n${out.slice(-2000)}`));
        else resolve(summary.snapshot_id);
      },
    );
  });
}

/** A history `a` that is the beginning of `b`. */
function extendable(a: FindHistoryParams, b: FindHistoryParams): boolean {
  return (
    a.snapshots < b.snapshots &&
    a.paths === b.paths &&
    a.changeRatio === b.changeRatio &&
    (a.restic ?? true) === (b.restic ?? true)
  );
}

function sameParams(a: FindHistoryParams, b: FindHistoryParams): boolean {
  return (
    a.snapshots === b.snapshots &&
    a.paths === b.paths &&
    a.changeRatio === b.changeRatio &&
    (a.restic ?? true) === (b.restic ?? true)
  );
}

/**
 * Builds the history in `dir` (or returns the one already there when `dir/history.json` has the same
 * parameters). `onStep` is told after each snapshot pair.
 */
export async function buildFindHistory(
  dir: string,
  params: FindHistoryParams,
  onStep?: (done: number, total: number) => void,
): Promise<FindHistory> {
  const record = path.join(dir, 'history.json');
  let earlier: FindHistory | null = null;
  if (fs.existsSync(record)) {
    const old = JSON.parse(fs.readFileSync(record, 'utf8')) as FindHistory;
    if (sameParams(old.params, params)) return old;
    // The history is deterministic: a shorter one with the same tree and change ratio is the start
    // of this one, so it is extended rather than built again (an hour saved on the full size).
    if (!extendable(old.params, params))
      throw new Error(`${dir} holds a history with other parameters; choose another --dir`);
    // Its backups name the folder they were made from: moved, the new ones would be another tree.
    if (path.resolve(old.source) !== path.resolve(dir, 'src'))
      throw new Error(
        `${dir} holds a history made in ${path.dirname(old.source)}; it cannot be extended here`,
      );
    earlier = old;
  }
  const withRestic = params.restic ?? true;
  const layout = historyLayout(params.paths);
  const source = path.join(dir, 'src');
  const strongroomRepo = path.join(dir, 'strongroom-repo');
  const resticRepo = path.join(dir, 'restic-repo');
  const env = { ...process.env, RESTIC_PASSWORD: HISTORY_PASSWORD };
  const version = new Uint32Array(layout.files);
  const changes = Math.max(1, Math.round(layout.files * params.changeRatio));
  const step = (n: number, write: boolean, deleted: number[]): number[] => {
    if (write)
      for (const f of deleted)
        fs.writeFileSync(path.join(source, filePath(layout, f)), contents(f, version[f]!));
    const chosen = pick(n, changes, layout.files);
    for (const f of chosen) {
      version[f] = version[f]! + 1;
      if (write) fs.writeFileSync(path.join(source, filePath(layout, f)), contents(f, version[f]!));
    }
    const gone = pick(-n, Math.max(1, Math.round(changes / 100)), layout.files).filter(
      (f) => !chosen.includes(f),
    );
    if (write) for (const f of gone) fs.rmSync(path.join(source, filePath(layout, f)), { force: true });
    return gone;
  };
  // A few files are deleted at one step and come back (with their old bytes) at the next.
  let deleted: number[] = [];
  let repo: Repository;
  if (earlier) {
    // The source already is as it was at the earlier history's last step: replay the choices only.
    for (let n = 1; n < earlier.params.snapshots; n++) deleted = step(n, false, deleted);
    repo = await Repository.open(new LocalFolderStorage(strongroomRepo), HISTORY_PASSWORD);
  } else {
    fs.mkdirSync(source, { recursive: true });
    for (let f = 0; f < layout.files; f++) {
      const p = path.join(source, filePath(layout, f));
      if (f === 0 || layout.dirOf(f).leaf !== layout.dirOf(f - 1).leaf)
        fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, contents(f, 0));
    }
    repo = await Repository.init(new LocalFolderStorage(strongroomRepo), HISTORY_PASSWORD);
    if (withRestic) execFileSync('restic', ['-r', resticRepo, 'init', '--quiet'], { env, stdio: 'pipe' });
  }
  const strongroomSnapshots: string[] = [...(earlier?.strongroomSnapshots ?? [])];
  const resticSnapshots: string[] = [...(earlier?.resticSnapshots ?? [])];
  const buildSeconds = { ...(earlier?.buildSeconds ?? { strongroom: 0, restic: 0 }) };
  let history: FindHistory = {
    params,
    dir,
    source,
    password: HISTORY_PASSWORD,
    strongroomRepo,
    strongroomSnapshots,
    resticRepo: withRestic ? resticRepo : undefined,
    resticSnapshots,
    files: layout.files,
    leafDirs: layout.leafDirs,
    fileDigits: layout.fileDigits,
    buildSeconds,
  };
  for (let n = earlier?.params.snapshots ?? 0; n < params.snapshots; n++) {
    if (n > 0) deleted = step(n, true, deleted);
    // The two tools back up the same source at once (neither writes to it), which halves the wait.
    const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
      const t = process.hrtime.bigint();
      const v = await f();
      return [v, Number(process.hrtime.bigint() - t) / 1e9];
    };
    const [[r, srSeconds], [resticId, resticSeconds]] = await Promise.all([
      timed(() => backup(repo, { paths: [source] })),
      timed(async () => (withRestic ? resticBackup(resticRepo, source, env) : undefined)),
    ]);
    strongroomSnapshots.push(r.snapshotId);
    buildSeconds.strongroom += srSeconds;
    if (resticId) {
      resticSnapshots.push(resticId);
      buildSeconds.restic += resticSeconds;
    }
    // Recorded after every step, so a stopped build is resumed (as a shorter history) next time.
    history = {
      ...history,
      params: { ...params, snapshots: n + 1 },
      strongroomSnapshots,
      resticSnapshots,
      buildSeconds,
    };
    fs.writeFileSync(record, JSON.stringify(history, null, 2));
    onStep?.(n + 1, params.snapshots);
  }
  return history;
}
