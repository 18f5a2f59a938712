import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { backup, check, restore, EngineError, LocalFolderStorage, Repository } from '../../src-engine/index';
import { newRepo, openRepo, PASSWORD, prng, tempDir, writeFile } from './helpers';

let work: string;
beforeAll(async () => {
  work = await tempDir('errors');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A folder storage whose disk is "full" for the kinds of file named. */
class FullDiskStorage extends LocalFolderStorage {
  constructor(
    root: string,
    private readonly fullFor: RegExp,
  ) {
    super(root);
  }
  override async write(name: string, data: Uint8Array | Uint8Array[]): Promise<void> {
    if (this.fullFor.test(name)) {
      const err = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      const { describeIoError } = await import('../../src-engine/errors');
      throw describeIoError(err, 'writing', name);
    }
    return super.write(name, data);
  }
}

describe('clear errors that lose nothing', () => {
  it('names a wrong password', async () => {
    const dir = path.join(work, 'pw');
    await newRepo(dir);
    const err = await openRepo(dir, 'wrong').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('WRONG_PASSWORD');
    expect((err as EngineError).message).toMatch(/wrong password/);
  });

  it('names a missing repository and a damaged config', async () => {
    await expect(openRepo(path.join(work, 'absent'))).rejects.toMatchObject({ code: 'NO_REPOSITORY' });
    const dir = path.join(work, 'damaged');
    await newRepo(dir);
    const cfg = path.join(dir, 'config');
    const bytes = fs.readFileSync(cfg);
    bytes[bytes.length - 3]! ^= 1;
    fs.writeFileSync(cfg, bytes);
    await expect(openRepo(dir)).rejects.toThrow(/config: authentication failed/);
  });

  it('a full disk fails the backup with a clear error and leaves earlier snapshots intact', async () => {
    const dir = path.join(work, 'full');
    const src = path.join(work, 'full-src');
    writeFile(path.join(src, 'a.bin'), prng('full a', 100_000));
    const repo = await newRepo(dir);
    const first = await backup(repo, { paths: [src] });
    writeFile(path.join(src, 'b.bin'), prng('full b', 100_000));
    const full = await Repository.open(new FullDiskStorage(dir, /^snapshots\//), PASSWORD);
    const err = await backup(full, { paths: [src] }).catch((e: unknown) => e);
    expect((err as EngineError).code).toBe('DISK_FULL');
    expect((err as Error).message).toMatch(
      /disk full while writing snapshots\/.*nothing already stored was lost/,
    );
    const after = await openRepo(dir);
    expect((await after.listSnapshots()).map((s) => s.id)).toEqual([first.snapshotId]);
    expect((await check(after, { readDataPercent: 100 })).ok).toBe(true);
    const target = path.join(work, 'full-out');
    await restore(after, first.snapshotId, { target });
    expect(fs.readFileSync(path.join(target, src, 'a.bin')).equals(prng('full a', 100_000))).toBe(true);
  });

  it('refuses a backup of a path that does not exist', async () => {
    const repo = await newRepo(path.join(work, 'nopath'));
    await expect(backup(repo, { paths: [path.join(work, 'no-such-dir')] })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
