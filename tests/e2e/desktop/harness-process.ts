/**
 * Starts `npm run harness` as a person would, in its own process group, and reads the URL it
 * prints. Each test gives it a fresh data directory (a fresh install) or reuses one (a restart).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const READY = /harness ready at (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/;

export interface RunningHarness {
  url: string;
  /** Without serverUrl: the embedded account server the harness started (its printed address). */
  localServerUrl: string | null;
  dataDir: string;
  output(): string;
  /** Only with testClock: moves the harness's clock forward (idle lock) and waits until it has. */
  skipClock(ms: number): Promise<void>;
  stop(): Promise<void>;
}

/** A keyring of its own, made and unlocked with a throwaway password, then locked; then the harness. */
const LOCKED_KEYCHAIN_SCRIPT = [
  'export XDG_DATA_HOME=$(mktemp -d) XDG_RUNTIME_DIR=$(mktemp -d)',
  'chmod 700 "$XDG_RUNTIME_DIR"',
  'eval "$(printf x | gnome-keyring-daemon --unlock --components=secrets)"',
  'dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets ' +
    'org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null',
  'exec npm "$@"',
].join('\n');

export function freshDataDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'strongroom-harness-e2e-'));
}

export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
}

/** Without serverUrl the harness starts its embedded local account server, as the app does. */
export async function startHarness(options: {
  dataDir: string;
  serverUrl?: string;
  /** Starts it with --test-clock: skipClock() then moves its time forward. */
  testClock?: boolean;
  /**
   * Gives it a keychain of its own (a private D-Bus session and gnome-keyring), locked before the
   * harness starts, as a person's keyring is when it was not unlocked at log-in. Private, so the
   * other specs running meanwhile keep their unlocked one.
   */
  lockedKeychain?: boolean;
}): Promise<RunningHarness> {
  const serverArgs = options.serverUrl ? ['--server', options.serverUrl] : [];
  const clockArgs = options.testClock ? ['--test-clock'] : [];
  const harnessArgs = [
    'run',
    '--silent',
    'harness',
    '--',
    '--data-dir',
    options.dataDir,
    ...serverArgs,
    ...clockArgs,
  ];
  const [command, args] = options.lockedKeychain
    ? ['dbus-run-session', ['--', 'bash', '-c', LOCKED_KEYCHAIN_SCRIPT, 'harness', ...harnessArgs]]
    : ['npm', harnessArgs];
  const child = spawn(command, args, {
    cwd: ROOT,
    detached: true,
    stdio: [options.testClock ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the harness did not say it was ready within 30 s:\n${output}`));
    }, 30_000);
    const check = () => {
      const match = READY.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the harness exited (${code}) before it was ready:\n${output}`));
    });
  });

  return {
    url,
    localServerUrl: /local account server at (http:\/\/\S+)/.exec(output)?.[1] ?? null,
    dataDir: options.dataDir,
    output: () => output,
    async skipClock(ms: number) {
      if (!child.stdin) throw new Error('start the harness with testClock to skip its clock');
      const done = `clock skipped ${ms}`;
      const before = output.split(done).length;
      child.stdin.write(`skip-clock ${ms}\n`);
      const deadline = Date.now() + 10_000;
      while (output.split(done).length === before) {
        if (Date.now() > deadline) throw new Error(`the harness did not skip its clock:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    stop: () => stopGroup(child),
  };
}

/**
 * SIGTERM to the whole group (npm, tsx, node): the harness locks and exits. npm may exit before
 * its children, so this waits until no process of the group is left; SIGKILL if one hangs.
 */
async function stopGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || !groupAlive(pid)) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 10_000;
  while (groupAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
