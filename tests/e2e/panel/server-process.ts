/**
 * The account server as a person runs it: `tsx src-server/cli.ts --data-dir <fresh> --port 0`,
 * a real process with the default (OWASP) password hashing, read from its `listening on` line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../../..');
const tsx = join(repo, 'node_modules', '.bin', 'tsx');
const cli = join(repo, 'src-server', 'cli.ts');

export interface ServerProcess {
  url: string;
  dataDir: string;
  /** Runs `user add NAME` with the password on stdin, as an administrator would. */
  addUser(name: string, password: string): void;
  stop(): Promise<void>;
}

export async function startServerProcess(extraArgs: string[] = []): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-panel-e2e-'));
  // Its own process group, so stop() ends tsx and the node process it starts, and nothing else.
  const child: ChildProcess = spawn(tsx, [cli, '--data-dir', dataDir, '--port', '0', ...extraArgs], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening:\n${output}`));
    });
  });

  return {
    url,
    dataDir,
    addUser(name, password) {
      execFileSync(tsx, [cli, 'user', 'add', name, '--data-dir', dataDir], {
        cwd: repo,
        input: `${password}\n`,
      });
    },
    async stop() {
      if (child.exitCode === null && child.pid !== undefined) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(-child.pid, 'SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The current code, computed by Debian's oathtool: independent of the server's TOTP code. */
export function oathtoolCode(secretBase32: string, at?: Date): string {
  const args = ['--totp', '-b'];
  if (at)
    args.push(
      '--now',
      at
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC'),
    );
  return execFileSync('oathtool', [...args, secretBase32], { encoding: 'utf8' }).trim();
}

/** The 30-second TOTP step of a moment. */
export function totpStep(ms: number = Date.now()): number {
  return Math.floor(ms / 30_000);
}

/** Waits until the clock is in a later step than `step` (a code is accepted only once). */
export async function waitForStepAfter(step: number): Promise<void> {
  const wait = (step + 1) * 30_000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait + 250));
}
