/**
 * strongroom-backup: the engine's command line, shaped like restic's, one module per command (restic's
 * cmd_*.go). This file parses, opens the repository and maps errors to exit codes. Passwords come from
 * STRONGROOM_PASSWORD, --password-file or a terminal prompt, recovery keys from STRONGROOM_RECOVERY_KEY
 * or --recovery-key-file (open-repository.ts), never from argv.
 */
import { EngineError } from '../errors';
import { openRepositoryStorage } from '../storage';
import { checkFlags, GLOBAL_FLAGS, has, flag, parseArgs as parseWith, UsageError, type Parsed } from './args';
import type { CliCommand } from './command';
import { EXIT, Output, type CliIo } from './output';
import { openRepository, takeRecoveryKeyText } from './open-repository';
import { initCommand } from './init';
import { backupCommand } from './backup';
import { snapshotsCommand } from './snapshots';
import { lsCommand } from './ls';
import { restoreCommand } from './restore';
import { checkCommand } from './check';
import { forgetCommand } from './forget';
import { pruneCommand } from './prune';
import { unlockCommand } from './unlock';
import { keyCommand } from './key';
import { repairCommand } from './repair';
import { findCommand } from './find';
import { diffCommand } from './diff';

export type { CliIo } from './output';
export { EXIT } from './output';

const COMMANDS: CliCommand[] = [
  initCommand,
  backupCommand,
  snapshotsCommand,
  lsCommand,
  findCommand,
  diffCommand,
  restoreCommand,
  checkCommand,
  forgetCommand,
  pruneCommand,
  unlockCommand,
  keyCommand,
  repairCommand,
];

const USAGE = `usage: strongroom-backup --repo DIR [--password-file FILE | --recovery-key-file FILE] [--json] [--break-lock] COMMAND [options]

commands:
${COMMANDS.map((c) => `  ${c.usage.replace(/\n/g, '\n  ')}`).join('\n')}

The password: STRONGROOM_PASSWORD, --password-file FILE, or a prompt on a terminal. A folder vault made
by the app also opens with its account's recovery key: --recovery-key-file FILE or STRONGROOM_RECOVERY_KEY.
The repository: --repo DIR (-r DIR) or STRONGROOM_REPOSITORY.
Exit codes: 0 ok, 1 error, 2 usage error, 3 incomplete (backup: some files could not be read, or
changed while they were read; restore: some paths could not be restored; each is listed on stderr).
Notes and metadata that could not be kept are listed too, and exit 0.`;

/** Every flag of every command: a flag's kind (value or switch) must be known before the command is. */
const ALL_FLAGS = {
  value: [...GLOBAL_FLAGS.value, ...COMMANDS.flatMap((c) => c.flags.value)],
  bool: [...GLOBAL_FLAGS.bool, ...COMMANDS.flatMap((c) => c.flags.bool)],
};

export function parseArgs(argv: string[]): Parsed {
  return parseWith(argv, ALL_FLAGS);
}

export async function runCli(argv: string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  let p: Parsed;
  try {
    p = parseArgs(argv);
  } catch (err) {
    io.stderr.write(`strongroom-backup: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  if (has(p, 'help') || !p.command || p.command === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return p.command || has(p, 'help') ? EXIT.ok : EXIT.usage;
  }
  const out = new Output(io, has(p, 'json'), has(p, 'quiet'), has(p, 'no-progress'));
  try {
    const command = COMMANDS.find((c) => c.name === p.command);
    if (!command) throw new UsageError(`unknown command "${p.command}"`);
    checkFlags(p, command.name, command.flags);
    const repoDir = flag(p, 'repo') ?? io.env.STRONGROOM_REPOSITORY;
    if (!repoDir) throw new UsageError('no repository: pass --repo DIR or set STRONGROOM_REPOSITORY');
    const storage = openRepositoryStorage(repoDir, io.env);
    const ctx = { args: p, io, out, storage, signal, breakLock: has(p, 'break-lock') };
    const recoveryKey = takeRecoveryKeyText(io, p);
    if (!command.opensRepository) {
      if (recoveryKey !== undefined)
        throw new UsageError(`${command.name} takes a password; a recovery key opens an existing vault`);
      return await command.run(ctx);
    }
    // Files skipped because they cannot be used are said as they are found, whatever the command.
    const repo = await openRepository(storage, io, p, out, recoveryKey);
    return await command.run({ ...ctx, repo });
  } catch (err) {
    out.endProgress();
    if (err instanceof UsageError) {
      io.stderr.write(`strongroom-backup: ${err.message}\n`);
      if (out.json)
        io.stdout.write(`${JSON.stringify({ error: { code: 'USAGE', message: err.message } })}\n`);
      return EXIT.usage;
    }
    const code = err instanceof EngineError ? err.code : 'INTERNAL';
    const status = err instanceof EngineError ? err.status : undefined;
    const message = (err as Error).message;
    io.stderr.write(`strongroom-backup: ${message}\n`);
    if (out.json)
      io.stdout.write(`${JSON.stringify({ error: { code, message, ...(status ? { status } : {}) } })}\n`);
    return EXIT.error;
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
