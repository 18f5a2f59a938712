/**
 * How a command opens its repository: with the password (--password-file, STRONGROOM_PASSWORD or a
 * prompt), or, for a folder vault made by the app, with the account's recovery key
 * (--recovery-key-file or STRONGROOM_RECOVERY_KEY) through the drive envelope. The recovery key is
 * read once and never echoed; it is taken out of the environment so no worker inherits it.
 */
import fs from 'node:fs';
import { EngineError } from '../errors';
import { Repository } from '../repository/repository';
import { recoveryKeyFromText } from '../repository/keys';
import type { Storage } from '../storage';
import { flag, UsageError, type Parsed } from './args';
import type { CliIo, Output } from './output';
import { getPassword } from './password';

/** A recovery key is 56 characters in groups; a file much larger than that is not one. */
const RECOVERY_KEY_FILE_MAX = 4096;

/** The recovery key's text, if one was given; never in argv. */
export function takeRecoveryKeyText(io: CliIo, p: Parsed): string | undefined {
  const file = flag(p, 'recovery-key-file');
  const env = io.env.STRONGROOM_RECOVERY_KEY;
  delete io.env.STRONGROOM_RECOVERY_KEY;
  if (file === undefined) return env || undefined;
  let text: string;
  try {
    if (fs.statSync(file).size > RECOVERY_KEY_FILE_MAX) throw new Error('too large to be a recovery key');
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `cannot read recovery key file ${file}: ${(err as Error).message}`,
    );
  }
  if (!text.trim()) throw new EngineError('INVALID_ARGUMENT', `recovery key file ${file} is empty`);
  return text;
}

export async function openRepository(
  storage: Storage,
  io: CliIo,
  p: Parsed,
  out: Output,
  recoveryKeyText: string | undefined,
): Promise<Repository> {
  const onProblem = out.problem.bind(out);
  if (recoveryKeyText === undefined) {
    return Repository.open(storage, await getPassword(io, p, false), { onProblem });
  }
  if (flag(p, 'password-file') !== undefined || io.env.STRONGROOM_PASSWORD) {
    throw new UsageError('give either a password or a recovery key, not both');
  }
  const key = await recoveryKeyFromText(recoveryKeyText);
  try {
    return await Repository.openWithRecoveryKey(storage, key, { onProblem });
  } finally {
    key.fill(0);
  }
}
