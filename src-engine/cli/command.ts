/** What a command module provides, and what the runner hands it. */
import type { Repository } from '../repository/repository';
import type { Storage } from '../storage';
import type { FlagSpec, Parsed } from './args';
import type { CliIo, Output } from './output';

export interface CommandContext {
  args: Parsed;
  io: CliIo;
  out: Output;
  storage: Storage;
  signal: AbortSignal | undefined;
  breakLock: boolean;
}

export interface OpenedContext extends CommandContext {
  repo: Repository;
}

interface CommandBase {
  name: string;
  /** Its lines of the usage text. */
  usage: string;
  flags: FlagSpec;
}

/** Most commands work on an opened repository (the runner asks for the password and opens it). */
export interface RepositoryCommand extends CommandBase {
  opensRepository: true;
  run(ctx: OpenedContext): Promise<number>;
}

/** `init` creates one instead. */
export interface StorageCommand extends CommandBase {
  opensRepository: false;
  run(ctx: CommandContext): Promise<number>;
}

export type CliCommand = RepositoryCommand | StorageCommand;
