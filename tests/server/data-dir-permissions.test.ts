/** A data directory made beforehand with loose permissions is tightened to 0700, or refused clearly. */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openServices } from '../../src-server/app';
import { startTestAccountServer } from '../support/account-server';
import { ManualClock } from './helpers';

const CLI = fileURLToPath(new URL('../../src-server/cli.ts', import.meta.url));
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function looseDir(): string {
  const parent = mkdtempSync(join(tmpdir(), 'strongroom-perm-'));
  dirs.push(parent);
  chmodSync(parent, 0o755);
  const dir = join(parent, 'data');
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755); // past the umask
  return dir;
}

const mode = (path: string) => statSync(path).mode & 0o777;

const onWindows = process.platform === 'win32';
const asRoot = process.getuid?.() === 0;
if (onWindows) console.warn('[skipped] data directory permissions: Windows has no POSIX modes');
else if (!asRoot)
  console.warn(
    '[skipped] "refuses to start when it cannot tighten it": needs root, to run the CLI as nobody',
  );

describe.skipIf(onWindows)('the data directory’s permissions', () => {
  it('tightens a directory made with 0755 to 0700 when the server starts', async () => {
    const dir = looseDir();
    expect(mode(dir)).toBe(0o755);
    const server = await startTestAccountServer({ dataDir: dir, clock: new ManualClock() });
    try {
      expect(mode(dir)).toBe(0o700);
    } finally {
      await server.close();
    }
  });

  it('tightens it for the administrator’s commands too', () => {
    const dir = looseDir();
    openServices(dir).db.close();
    expect(mode(dir)).toBe(0o700);
  });

  it.skipIf(!asRoot)(
    'refuses to start, saying what to do, when it cannot tighten it (a directory of another user)',
    async () => {
      // Run the CLI as "nobody": the directory belongs to root, so nobody may not chmod it.
      const dir = looseDir();
      const result = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', CLI, 'serve', '--data-dir', dir, '--port', '0', '--no-build-panel'],
          {
            uid: 65534,
            gid: 65534,
            stdio: ['ignore', 'pipe', 'pipe'],
            env: { ...process.env, HOME: '/tmp' },
          },
        );
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (status) => resolve({ status, stderr }));
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(dir);
      expect(result.stderr).toMatch(/0755/);
      expect(result.stderr).toMatch(/chmod 700/);
      expect(mode(dir)).toBe(0o755);
    },
  );
});
