/** Wall time, CPU seconds and peak memory of a command, from `/usr/bin/time -v` around it. */
import { execFileSync, spawnSync } from 'node:child_process';

const MiB = 1024 * 1024;

export interface Measure {
  seconds: number;
  /** user + system CPU time */
  cpuSeconds: number;
  maxRssMiB: number;
}

export function measure(
  label: string,
  cmd: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
  cwd?: string,
): Measure {
  // Flush the previous step's dirty pages first, so no tool pays for another's writeback.
  spawnSync('sync');
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...argv], {
    env,
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * MiB,
  });
  const err = r.stderr ?? '';
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(err);
  const user = /User time \(seconds\): ([\d.]+)/.exec(err);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(err);
  if (r.status !== 0 || !rss || !wall || !user || !sys) {
    throw new Error(
      `${label} failed (exit ${r.status}):\n${err.slice(-3000)}\n${(r.stdout ?? '').slice(-2000)}`,
    );
  }
  const seconds = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
  return { seconds, cpuSeconds: Number(user[1]) + Number(sys[1]), maxRssMiB: Number(rss[1]) / 1024 };
}

export function duBytes(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

export function sameTree(a: string, b: string): boolean {
  const r = spawnSync('diff', ['-rq', '--no-dereference', a, b], { encoding: 'utf8' });
  if (r.status !== 0) console.log((r.stdout ?? '').split('\n').slice(0, 5).join('\n'));
  return r.status === 0;
}
