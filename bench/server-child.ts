/**
 * The real account server (`src-server/cli.ts`) as a child process on loopback, for the benches
 * that measure it from outside: its pid, so its own CPU time can be read from /proc.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src-server/cli.ts', import.meta.url));

export interface ServerChild {
  url: string;
  pid: number;
  /** User + system CPU seconds the server process has used so far. */
  cpuSeconds(): number;
  stop(): void;
}

/** `--trust-proxy` lets each request claim its own client address (X-Forwarded-For). */
export async function startServerChild(dataDir: string, extraArgs: string[] = []): Promise<ServerChild> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, '--data-dir', dataDir, '--port', '0', '--trust-proxy', ...extraArgs],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^listening on (\S+)$/m.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const pid = child.pid!;
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 a second on Linux).
  const cpuSeconds = () => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  return { url, pid, cpuSeconds, stop: () => child.kill('SIGTERM') };
}
