/**
 * The storage benchmarks' server processes and what /proc says about them: the account server
 * (bench/storage-server.ts), `rclone serve restic`, s3rver; CPU seconds, peak memory, load.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const SERVER_ENTRY = fileURLToPath(new URL('./storage-server.ts', import.meta.url));
const S3RVER_ENTRY = fileURLToPath(new URL('./storage-s3rver.ts', import.meta.url));
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export interface ServerStats {
  cpuSeconds: number;
  peakMiB: number;
}

/** CPU seconds so far and peak resident memory since the last resetPeak, from /proc. */
export function serverStats(pid: number): ServerStats {
  // Fields after the command name (which is in parentheses and may hold spaces): utime is the 14th.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds, peakMiB: Number(hwm?.[1] ?? 0) / 1024 };
}

/** Resident memory now, in MiB. */
export function residentMiB(pid: number): number {
  const rss = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(rss?.[1] ?? 0) / 1024;
}

/** Resets VmHWM to the current resident size, so the next reading is this step's peak. */
export function resetPeak(pid: number): void {
  fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** "load average 1.2 0.9 0.7": every table prints it before and after, as the machine is shared. */
export function loadAverage(): string {
  return `load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on ${port}`);
}

export interface Running {
  child: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

function running(child: ChildProcess): Running {
  return {
    child,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface StrongroomServer extends Running {
  port: number;
  /** The first account; `accounts` has all of them. */
  username: string;
  token: string;
  accounts: Array<{ username: string; token: string }>;
}

/** The account server in its own process, with `accounts` accounts and a device token each. */
export async function startStrongroom(
  dataDir: string,
  opts: { accounts?: number; storage?: string; s3Endpoint?: string; profileDir?: string } = {},
): Promise<StrongroomServer> {
  const nodeArgs = opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(opts.profileDir)}`] : [];
  const args = [dataDir, '--accounts', String(opts.accounts ?? 1)];
  if (opts.storage) args.push('--storage', opts.storage);
  if (opts.s3Endpoint) args.push('--s3-endpoint', opts.s3Endpoint);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', SERVER_ENTRY, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the account server exited with ${code}`)));
  });
  const info = JSON.parse(line) as { port: number; accounts: Array<{ username: string; token: string }> };
  return { ...running(child), port: info.port, accounts: info.accounts, ...info.accounts[0]! };
}

export async function startRclone(folder: string): Promise<Running & { port: number }> {
  const port = await freePort();
  fs.mkdirSync(folder, { recursive: true });
  const child = spawn('rclone', ['serve', 'restic', '--addr', `127.0.0.1:${port}`, folder], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForPort(port, child, 'rclone serve restic');
  return { ...running(child), port };
}

/** s3rver in its own process (its memory is not the account server's), one bucket. */
export async function startS3rver(folder: string): Promise<Running & { endpoint: string; bucket: string }> {
  const port = await freePort();
  fs.mkdirSync(folder, { recursive: true });
  const child = spawn(process.execPath, ['--import', 'tsx', S3RVER_ENTRY, folder, String(port)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForPort(port, child, 's3rver');
  return { ...running(child), endpoint: `http://127.0.0.1:${port}`, bucket: 'bench' };
}
