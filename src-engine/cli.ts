/**
 * strongroom-backup: the engine's command line, shaped like restic's. Passwords come from
 * STRONGROOM_PASSWORD, --password-file or a terminal prompt, never from argv (other users can read argv).
 */
import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from './errors';
import { openRepositoryStorage } from './storage';
import { Repository } from './repository';
import { backup, type BackupProgress } from './backup';
import { restore, type ConflictMode } from './restore';
import { check } from './check';
import { prune } from './prune';
import { applyPolicy, groupSnapshots, policyIsEmpty, type KeepPolicy } from './forget';
import { listTree } from './ls';
import { describeLock, isStale } from './lock';

const USAGE = `usage: strongroom-backup --repo DIR [--password-file FILE] [--json] [--break-lock] COMMAND [options]

commands:
  init                                   create a repository in DIR (must be empty or absent)
  backup PATH... [--exclude PATTERN]... [--tag TAG]... [--host NAME] [--parent ID | --force]
  snapshots [--host NAME] [--tag TAG]    list snapshots, oldest first
  ls SNAPSHOT [PATH]                     list a snapshot's files ("latest" = newest snapshot)
  restore SNAPSHOT --target DIR [--include PATH]... [--conflict overwrite|skip|keep-both]
  check [--read-data | --read-data-subset N%]
  forget [--keep-last N] [--keep-hourly N] [--keep-daily N] [--keep-weekly N] [--keep-monthly N]
         [--keep-yearly N] [--keep-tag TAG]... [--host NAME] [--dry-run] [--prune] [SNAPSHOT...]
  prune [--dry-run]                      delete data no snapshot uses (exclusive lock)
  unlock [--remove-all]                  remove stale locks (or every lock)
  key list | key add [--new-password-file FILE] | key remove ID

The password: STRONGROOM_PASSWORD, --password-file FILE, or a prompt on a terminal.
The repository: --repo DIR (-r DIR) or STRONGROOM_REPOSITORY.
Exit codes: 0 ok, 1 error, 2 usage error, 3 backup finished but some files could not be read.`;

class UsageError extends Error {}

interface Parsed {
  command: string | undefined;
  positional: string[];
  flags: Map<string, string[]>;
}

const VALUE_FLAGS = new Set([
  'repo',
  'password-file',
  'new-password-file',
  'exclude',
  'tag',
  'host',
  'parent',
  'target',
  'include',
  'conflict',
  'read-data-subset',
  'keep-last',
  'keep-hourly',
  'keep-daily',
  'keep-weekly',
  'keep-monthly',
  'keep-yearly',
  'keep-tag',
]);
const BOOL_FLAGS = new Set([
  'json',
  'break-lock',
  'force',
  'read-data',
  'dry-run',
  'prune',
  'remove-all',
  'help',
  'quiet',
  'no-progress',
]);
const ALIASES: Record<string, string> = {
  r: 'repo',
  h: 'help',
  q: 'quiet',
  e: 'exclude',
  t: 'target',
  i: 'include',
};

export function parseArgs(argv: string[]): Parsed {
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a.length > 1) {
      let name = a.replace(/^--?/, '');
      let value: string | undefined;
      const eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.slice(eq + 1);
        name = name.slice(0, eq);
      }
      name = ALIASES[name] ?? name;
      if (name === 'password' || name === 'p') {
        throw new UsageError(
          'passwords are never accepted on the command line (other users can read it); use STRONGROOM_PASSWORD or --password-file FILE',
        );
      }
      if (VALUE_FLAGS.has(name)) {
        if (value === undefined) {
          value = argv[++i];
          if (value === undefined) throw new UsageError(`--${name} needs a value`);
        }
        flags.set(name, [...(flags.get(name) ?? []), value]);
      } else if (BOOL_FLAGS.has(name)) {
        if (value !== undefined) throw new UsageError(`--${name} takes no value`);
        flags.set(name, ['']);
      } else throw new UsageError(`unknown option ${a}`);
    } else positional.push(a);
  }
  return { command: positional.shift(), positional, flags };
}

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => void };
  env: NodeJS.ProcessEnv;
}

function fmtBytes(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${u[i]}`;
}

function fmtEta(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '--:--';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h > 0
    ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`
    : `${m}:${String(sec).padStart(2, '0')}`;
}

async function promptPassword(io: CliIo, prompt: string): Promise<string> {
  const stdin = io.stdin;
  if (!stdin.isTTY || !stdin.setRawMode) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      'no password: set STRONGROOM_PASSWORD, pass --password-file FILE, or run on a terminal',
    );
  }
  io.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let pw = '';
    const onData = (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          done();
          io.stderr.write('\n');
          resolve(pw);
          return;
        }
        if (ch === '\u0003') {
          done();
          io.stderr.write('\n');
          reject(new EngineError('CANCELLED', 'cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') pw = pw.slice(0, -1);
        else pw += ch;
      }
    };
    const done = () => {
      stdin.removeListener('data', onData);
      stdin.setRawMode!(false);
      stdin.pause();
    };
    stdin.on('data', onData);
  });
}

function readPasswordFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new EngineError('INVALID_ARGUMENT', `cannot read password file ${file}: ${(err as Error).message}`);
  }
  // Only the first line counts, so an editor's trailing newline is not part of the password.
  const pw = text.split(/\r?\n/)[0] ?? '';
  if (!pw) throw new EngineError('INVALID_ARGUMENT', `password file ${file} is empty`);
  return pw;
}

async function getPassword(io: CliIo, p: Parsed, confirm: boolean): Promise<string> {
  const file = p.flags.get('password-file')?.[0];
  if (file) return readPasswordFile(file);
  const env = io.env.STRONGROOM_PASSWORD;
  if (env) return env;
  const pw = await promptPassword(io, 'repository password: ');
  if (confirm) {
    const again = await promptPassword(io, 'enter the password again: ');
    if (again !== pw) throw new EngineError('INVALID_ARGUMENT', 'the passwords do not match');
  }
  if (!pw) throw new EngineError('INVALID_ARGUMENT', 'the password must not be empty');
  return pw;
}

function int(p: Parsed, name: string): number | undefined {
  const v = p.flags.get(name)?.[0];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} needs a whole number, not "${v}"`);
  return Number(v);
}

export async function runCli(argv: string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  let p: Parsed;
  try {
    p = parseArgs(argv);
  } catch (err) {
    io.stderr.write(`strongroom-backup: ${(err as Error).message}\n`);
    return 2;
  }
  if (p.flags.has('help') || !p.command || p.command === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return p.command || p.flags.has('help') ? 0 : 2;
  }
  const json = p.flags.has('json');
  const quiet = p.flags.has('quiet');
  const out = (text: string, obj: unknown) =>
    io.stdout.write(json ? `${JSON.stringify(obj)}\n` : text.endsWith('\n') || !text ? text : `${text}\n`);
  const warn = (m: string) => {
    if (!json) io.stderr.write(`warning: ${m}\n`);
  };
  const showProgress = !json && !quiet && !p.flags.has('no-progress') && io.stderr.isTTY === true;
  const breakLock = p.flags.has('break-lock');
  try {
    const repoDir = p.flags.get('repo')?.[0] ?? io.env.STRONGROOM_REPOSITORY;
    if (!repoDir) throw new UsageError('no repository: pass --repo DIR or set STRONGROOM_REPOSITORY');
    const storage = openRepositoryStorage(repoDir, io.env);
    const cmd = p.command;
    if (cmd === 'init') {
      const pw = await getPassword(io, p, true);
      const repo = await Repository.init(storage, pw);
      out(`created repository ${repo.config.id.slice(0, 10)} at ${storage.location}`, {
        id: repo.config.id,
        location: storage.location,
      });
      return 0;
    }
    const known = ['backup', 'snapshots', 'ls', 'restore', 'check', 'forget', 'prune', 'unlock', 'key'];
    if (!known.includes(cmd)) throw new UsageError(`unknown command "${cmd}"`);
    const repo = await Repository.open(storage, await getPassword(io, p, false));
    const bar = (line: string) => {
      if (!showProgress) return;
      const cols = io.stderr.columns ?? 100;
      io.stderr.write(`\r${line.slice(0, cols - 1).padEnd(cols - 1)}`);
    };
    const endBar = () => showProgress && io.stderr.write('\n');

    switch (cmd) {
      case 'backup': {
        if (p.positional.length === 0) throw new UsageError('backup needs at least one PATH');
        if (p.flags.has('force') && p.flags.has('parent'))
          throw new UsageError('--force and --parent exclude each other');
        const r = await backup(repo, {
          paths: p.positional,
          excludes: p.flags.get('exclude') ?? [],
          tags: p.flags.get('tag') ?? [],
          host: p.flags.get('host')?.[0],
          parent: p.flags.has('force') ? null : p.flags.get('parent')?.[0],
          breakLock,
          signal,
          onWarning: warn,
          onProgress: (pr: BackupProgress) => {
            if (pr.phase === 'scan') bar(`scanning: ${pr.filesTotal} files, ${fmtBytes(pr.bytesTotal)}`);
            else {
              const pct = pr.bytesTotal ? Math.min(100, (pr.bytesDone / pr.bytesTotal) * 100) : 100;
              const w = 20;
              const fill = Math.round((pct / 100) * w);
              bar(
                `[${'#'.repeat(fill)}${'.'.repeat(w - fill)}] ${pct.toFixed(0)}% ${pr.filesDone}/${pr.filesTotal} files ` +
                  `${fmtBytes(pr.bytesDone)}/${fmtBytes(pr.bytesTotal)} ${fmtBytes(pr.rate)}/s ETA ${fmtEta(pr.eta)} ${pr.currentFile}`,
              );
            }
          },
        });
        endBar();
        const s = r.snapshot.summary;
        out(
          `snapshot ${r.snapshotId.slice(0, 8)} saved${r.snapshot.partial ? ' (PARTIAL: some files could not be read)' : ''}\n` +
            `files: ${s.filesNew} new, ${s.filesChanged} changed, ${s.filesUnmodified} unmodified; ${s.dirs} dirs\n` +
            `read ${fmtBytes(s.bytesProcessed)}, added ${fmtBytes(s.bytesAdded)} to the repository in ${(s.durationMs / 1000).toFixed(1)} s`,
          { id: r.snapshotId, ...r.snapshot },
        );
        return r.snapshot.partial ? 3 : 0;
      }
      case 'snapshots': {
        let snaps = await repo.listSnapshots();
        const host = p.flags.get('host')?.[0];
        const tags = p.flags.get('tag');
        if (host) snaps = snaps.filter((s) => s.host === host);
        if (tags) snaps = snaps.filter((s) => tags.some((t) => s.tags.includes(t)));
        const lines = snaps.map(
          (s) =>
            `${s.id.slice(0, 8)}  ${s.time.replace('T', ' ').slice(0, 19)}  ${s.host}  ${s.tags.join(',') || '-'}  ${s.paths.join(' ')}${s.partial ? '  (partial)' : ''}`,
        );
        out(
          snaps.length
            ? `ID        Time                 Host  Tags  Paths\n${lines.join('\n')}`
            : 'no snapshots',
          snaps,
        );
        return 0;
      }
      case 'ls': {
        const ref = p.positional[0];
        if (!ref) throw new UsageError('ls needs a SNAPSHOT (an id or "latest")');
        await repo.loadIndex({ recover: false });
        const snap = await repo.findSnapshot(ref);
        const nodes = await listTree(repo, snap.tree, p.positional[1] ?? '/');
        out(
          nodes
            .map(
              (n) =>
                `${n.type === 'dir' ? 'd' : n.type === 'symlink' ? 'l' : '-'} ${(n.mode & 0o7777).toString(8).padStart(4, '0')} ${String(n.size ?? '').padStart(12)} ${n.mtime}  ${n.path}${n.target !== undefined ? ` -> ${n.target}` : ''}`,
            )
            .join('\n'),
          { snapshot: snap.id, nodes },
        );
        return 0;
      }
      case 'restore': {
        const ref = p.positional[0];
        const target = p.flags.get('target')?.[0];
        if (!ref) throw new UsageError('restore needs a SNAPSHOT (an id or "latest")');
        if (!target)
          throw new UsageError('restore needs --target DIR (use --target / for the original place)');
        const conflict = (p.flags.get('conflict')?.[0] ?? 'overwrite') as ConflictMode;
        if (!['skip', 'overwrite', 'keep-both'].includes(conflict))
          throw new UsageError('--conflict is overwrite, skip or keep-both');
        const r = await restore(repo, ref, {
          target,
          include: p.flags.get('include'),
          conflict,
          signal,
          breakLock,
          onWarning: warn,
          onProgress: (pr) => {
            const pct = pr.bytesTotal ? Math.min(100, (pr.bytesDone / pr.bytesTotal) * 100) : 100;
            bar(
              `restoring ${pct.toFixed(0)}% ${pr.filesDone}/${pr.filesTotal} files ${fmtBytes(pr.bytesDone)}/${fmtBytes(pr.bytesTotal)} ${fmtBytes(pr.rate)}/s ETA ${fmtEta(pr.eta)}`,
            );
          },
        });
        endBar();
        out(
          `restored ${r.filesRestored} files (${fmtBytes(r.bytesRestored)}), ${r.dirs} dirs, ${r.symlinks} symlinks to ${path.resolve(target)}` +
            (r.filesSkipped ? `; skipped ${r.filesSkipped} existing files` : ''),
          r,
        );
        return 0;
      }
      case 'check': {
        let pct = p.flags.has('read-data') ? 100 : 0;
        const subset = p.flags.get('read-data-subset')?.[0];
        if (subset !== undefined) {
          const m = /^(\d+(?:\.\d+)?)%?$/.exec(subset);
          if (!m || Number(m[1]) <= 0 || Number(m[1]) > 100)
            throw new UsageError('--read-data-subset takes a percentage, e.g. 10%');
          pct = Number(m[1]);
        }
        const r = await check(repo, {
          readDataPercent: pct,
          breakLock,
          onProgress: (d, t, phase) => bar(`check ${phase}: ${d}/${t} packs`),
        });
        endBar();
        for (const w of r.warnings) warn(w);
        const lines = [
          `checked ${r.packsChecked} packs, ${r.snapshots} snapshots${pct ? `, read ${r.packsRead} packs in full` : ''}`,
          ...r.damagedPacks.map(
            (d) =>
              `DAMAGED pack ${d.pack}: ${d.reason}\n  affects: ${d.affects.join(', ') || '(no snapshot)'}`,
          ),
          ...r.errors.filter((e) => !e.startsWith('damaged pack')).map((e) => `error: ${e}`),
          r.ok ? 'no errors were found' : `${r.errors.length} errors found`,
        ];
        out(lines.join('\n'), r);
        return r.ok ? 0 : 1;
      }
      case 'forget': {
        const policy: KeepPolicy = {
          last: int(p, 'keep-last'),
          hourly: int(p, 'keep-hourly'),
          daily: int(p, 'keep-daily'),
          weekly: int(p, 'keep-weekly'),
          monthly: int(p, 'keep-monthly'),
          yearly: int(p, 'keep-yearly'),
          tags: p.flags.get('keep-tag'),
        };
        const dry = p.flags.has('dry-run');
        const lock = await repo.lock(true, 'forget', { breakStale: breakLock });
        let removed: string[] = [];
        const kept: string[] = [];
        try {
          let snaps = await repo.listSnapshots();
          const host = p.flags.get('host')?.[0];
          if (host) snaps = snaps.filter((s) => s.host === host);
          if (p.positional.length > 0) {
            for (const ref of p.positional) removed.push((await repo.findSnapshot(ref)).id);
          } else {
            if (policyIsEmpty(policy))
              throw new UsageError(
                'forget needs a --keep-* policy or SNAPSHOT ids; refusing to remove everything',
              );
            for (const g of groupSnapshots(snaps).values()) {
              const r = applyPolicy(g, policy);
              removed.push(...r.remove.map((s) => s.id));
              kept.push(...r.keep.map((s) => s.id));
            }
          }
          removed = [...new Set(removed)];
          if (!dry) for (const id of removed) await repo.removeSnapshot(id);
        } finally {
          await lock.release();
        }
        out(
          `${dry ? 'would remove' : 'removed'} ${removed.length} snapshots${removed.length ? `: ${removed.map((s) => s.slice(0, 8)).join(' ')}` : ''}; kept ${kept.length}`,
          { removed, kept, dryRun: dry },
        );
        if (p.flags.has('prune') && !dry) {
          const r = await prune(repo, { breakLock });
          out(
            `prune: deleted ${r.packsDeleted} packs, repacked ${r.packsRepacked}, freed ${fmtBytes(r.bytesFreed)}`,
            { prune: r },
          );
        }
        return 0;
      }
      case 'prune': {
        const r = await prune(repo, {
          dryRun: p.flags.has('dry-run'),
          breakLock,
          onProgress: (d, t) => bar(`repacking ${d}/${t}`),
        });
        endBar();
        out(
          `${p.flags.has('dry-run') ? 'would delete' : 'deleted'} ${r.packsDeleted} packs, repacked ${r.packsRepacked} into ${r.packsWritten}, ` +
            `removed ${r.blobsRemoved} blobs, freed ${fmtBytes(Math.max(0, r.bytesFreed))}`,
          r,
        );
        return 0;
      }
      case 'unlock': {
        const all = p.flags.has('remove-all');
        const removed: string[] = [];
        for (const id of await repo.listLocks()) {
          const info = await repo.readLock(id);
          if (all || !info || isStale(info)) {
            await repo.removeLock(id);
            removed.push(info ? describeLock(id, info) : `unreadable lock ${id.slice(0, 8)}`);
          }
        }
        out(removed.length ? `removed ${removed.join('\n')}` : 'no stale locks', { removed });
        return 0;
      }
      case 'key': {
        const sub = p.positional[0];
        if (sub === 'list') {
          const keys = await repo.listKeys();
          out(keys.map((k) => `${k.id.slice(0, 8)}  ${k.created}  ${k.username}@${k.host}`).join('\n'), keys);
          return 0;
        }
        if (sub === 'add') {
          const f = p.flags.get('new-password-file')?.[0];
          let pw: string;
          if (f) pw = readPasswordFile(f);
          else {
            pw = await promptPassword(io, 'new password: ');
            if ((await promptPassword(io, 'enter the new password again: ')) !== pw) {
              throw new EngineError('INVALID_ARGUMENT', 'the passwords do not match');
            }
          }
          const id = await repo.addKey(pw);
          out(`added key ${id.slice(0, 8)}`, { id });
          return 0;
        }
        if (sub === 'remove') {
          const id = p.positional[1];
          if (!id) throw new UsageError('key remove needs a key ID (see key list)');
          await repo.removeKey(id);
          out(`removed key ${id}`, { removed: id });
          return 0;
        }
        throw new UsageError('key takes list, add or remove');
      }
    }
    return 2;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`strongroom-backup: ${err.message}\n`);
      if (json) io.stdout.write(`${JSON.stringify({ error: { code: 'USAGE', message: err.message } })}\n`);
      return 2;
    }
    const code = err instanceof EngineError ? err.code : 'INTERNAL';
    const message = (err as Error).message;
    io.stderr.write(`strongroom-backup: ${message}\n`);
    if (json) io.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
    return 1;
  }
}

/** Entry point when run as a program (bin/strongroom-backup.js). */
export async function main(): Promise<void> {
  const ac = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    // First Ctrl-C stops cleanly (packs written so far are indexed); a second one exits at once.
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\ninterrupted: finishing the current files and leaving the repository valid...\n');
    ac.abort();
  });
  const code = await runCli(
    process.argv.slice(2),
    { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env },
    ac.signal,
  );
  process.exitCode = code;
}
