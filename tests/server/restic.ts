/** Runs Debian's restic against a server in this process (asynchronously: the server must keep serving). */
import { execFile } from 'node:child_process';

export interface ResticResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function restic(
  repo: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<ResticResult> {
  return new Promise((resolve) => {
    execFile(
      'restic',
      ['--no-cache', '--quiet', ...args],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: process.env.HOME ?? '/tmp',
          RESTIC_REPOSITORY: repo,
          RESTIC_PASSWORD: 'restic test password',
          ...env,
        },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

/** Fails with restic's own words when it did not exit 0. */
export async function resticOk(repo: string, args: string[]): Promise<string> {
  const result = await restic(repo, args);
  if (result.code !== 0) throw new Error(`restic ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}
