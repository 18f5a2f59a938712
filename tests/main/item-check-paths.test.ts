/**
 * What main says of a path before an item is saved with it, on a real file system: the guide and
 * the item form show these words where the path was typed, and saving refuses the same paths.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathProblemHere } from '../../src-main/services/backup/protected-item-service';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-paths-'));
  fs.mkdirSync(path.join(dir, 'folder'));
  fs.writeFileSync(path.join(dir, 'file.txt'), 'x');
  execFileSync('mkfifo', [path.join(dir, 'pipe')]);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('pathProblemHere', () => {
  it('has nothing to say of a folder or a file that can be read', () => {
    expect(pathProblemHere(path.join(dir, 'folder'))).toBeNull();
    expect(pathProblemHere(path.join(dir, 'file.txt'))).toBeNull();
  });

  it('says a missing folder does not exist, also when a file stands where a folder was expected', () => {
    expect(pathProblemHere(path.join(dir, 'does-not-exist'))).toBe(
      `${path.join(dir, 'does-not-exist')} does not exist on this computer. Check the path.`,
    );
    expect(pathProblemHere(path.join(dir, 'file.txt', 'inside'))).toMatch(/does not exist on this computer/);
  });

  it('refuses a relative path and something that is neither a folder nor a file', () => {
    expect(pathProblemHere('Documents')).toMatch(/^Documents is not a full path/);
    expect(pathProblemHere(path.join(dir, 'pipe'))).toBe(
      `${path.join(dir, 'pipe')} is not a folder or a file.`,
    );
  });

  // root reads everything, so only an ordinary user can see this refusal.
  const isRoot = process.getuid?.() === 0;
  if (isRoot)
    console.log('note: running as root, which reads every folder: the permission-denied check is skipped');
  it.skipIf(isRoot)('says a folder it may not list cannot be read', () => {
    const closed = path.join(dir, 'closed');
    fs.mkdirSync(closed, { mode: 0o000 });
    try {
      expect(pathProblemHere(closed)).toMatch(/cannot be read by Strongroom \(permission denied\)/);
    } finally {
      fs.chmodSync(closed, 0o700);
    }
  });
});
