/**
 * The repository password: --password-file, STRONGROOM_PASSWORD, or a prompt on a terminal; never argv
 * (other users can read a process's arguments).
 */
import fs from 'node:fs';
import { EngineError } from '../errors';
import { flag, type Parsed } from './args';
import type { CliIo } from './output';

export async function promptPassword(io: CliIo, prompt: string): Promise<string> {
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

export function readPasswordFile(file: string): string {
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

export async function getPassword(io: CliIo, p: Parsed, confirm: boolean): Promise<string> {
  const file = flag(p, 'password-file');
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
