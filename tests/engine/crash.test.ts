import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { check, restore } from '../../src-engine/index';
import {
  CLI,
  newRepo,
  openRepo,
  packFiles,
  prng,
  runCli,
  tempDir,
  writeFile,
  PASSWORD,
  SMALL,
} from './helpers';

let work: string;
beforeAll(async () => {
  work = await tempDir('crash');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('a backup killed midway', () => {
  it('leaves a valid repository; the rerun reuses the packs already written and checks clean', async () => {
    const repoDir = path.join(work, 'repo');
    const src = path.join(work, 'src');
    const fileCount = 48;
    const fileSize = 1024 * 1024;
    for (let i = 0; i < fileCount; i++)
      writeFile(path.join(src, `part-${String(i).padStart(2, '0')}.bin`), prng(`crash ${i}`, fileSize));
    await newRepo(repoDir, { ...SMALL, packSize: 512 * 1024 });
    const env = { ...process.env, STRONGROOM_PASSWORD: PASSWORD };

    const child = spawn(process.execPath, [CLI, '-r', repoDir, 'backup', src], { env, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, s) => resolve(s)));
    // Kill it hard once a good number of packs are on disk, long before it could finish.
    const deadline = Date.now() + 60_000;
    while (packFiles(repoDir).length < 8 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const packsAfterKill = packFiles(repoDir).length;
    expect(packsAfterKill).toBeGreaterThanOrEqual(8);
    expect(fs.readdirSync(path.join(repoDir, 'snapshots'))).toEqual([]);

    // The repository is valid as it is: the killed run's packs are merely unindexed.
    const mid = await check(await openRepo(repoDir), { readDataPercent: 100 });
    expect(mid.ok, mid.errors.join('\n')).toBe(true);
    expect(mid.warnings.some((w) => w.includes('not in any index'))).toBe(true);

    // The dead process's lock is detected as stale and does not block the rerun (a shared lock).
    const rerun = await runCli(['-r', repoDir, '--json', 'backup', src], { STRONGROOM_PASSWORD: PASSWORD });
    expect(rerun.code, rerun.stderr).toBe(0);
    const summary = (JSON.parse(rerun.stdout) as { summary: { bytesAdded: number; bytesProcessed: number } })
      .summary;
    expect(summary.bytesProcessed).toBe(fileCount * fileSize);
    // At least the data in the killed run's packs (~0.5 MiB each) was not stored again.
    expect(summary.bytesAdded).toBeLessThan(fileCount * fileSize - (packsAfterKill - 2) * 400 * 1024);

    const prune = await runCli(['-r', repoDir, 'prune', '--break-lock'], { STRONGROOM_PASSWORD: PASSWORD });
    expect(prune.code, prune.stderr).toBe(0);
    const after = await check(await openRepo(repoDir), { readDataPercent: 100 });
    expect(after.ok, after.errors.join('\n')).toBe(true);
    expect(after.warnings).toEqual([]);
    const target = path.join(work, 'out');
    await restore(await openRepo(repoDir), 'latest', { target });
    for (const i of [0, 17, fileCount - 1]) {
      const name = `part-${String(i).padStart(2, '0')}.bin`;
      expect(
        fs.readFileSync(path.join(target, src, name)).equals(fs.readFileSync(path.join(src, name))),
      ).toBe(true);
    }
  }, 120_000);
});
