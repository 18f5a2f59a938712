/** ElectronStoreSettings on a real file in a temp dir (electron is the test shim; electron-store is real). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ElectronStoreSettings } from '../../src-main/adapters/electron-store-settings';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-store-test-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('ElectronStoreSettings', () => {
  it('writes synchronously: the file holds the value as soon as write returns', () => {
    const dir = tempDir();
    const store = new ElectronStoreSettings({ cwd: dir });
    store.write('lock', { locked: true, lockedAt: '2026-11-28T00:00:00.000Z', reason: 'close' });
    const onDisk = JSON.parse(fs.readFileSync(path.join(dir, 'strongroom.json'), 'utf8'));
    expect(onDisk.lock).toEqual({ locked: true, lockedAt: '2026-11-28T00:00:00.000Z', reason: 'close' });
  });

  it('reads back what another instance wrote (the next launch)', () => {
    const dir = tempDir();
    new ElectronStoreSettings({ cwd: dir }).write('settings', { autoLockMinutes: 5, lockOnSuspend: false });
    expect(new ElectronStoreSettings({ cwd: dir }).read('settings')).toEqual({
      autoLockMinutes: 5,
      lockOnSuspend: false,
    });
  });

  it('keeps the file private to the user', () => {
    if (process.platform === 'win32') return;
    const dir = tempDir();
    const store = new ElectronStoreSettings({ cwd: dir });
    store.write('remembered', { serverUrl: null, username: 'alice' });
    expect(fs.statSync(store.path).mode & 0o077).toBe(0);
  });

  it.each([
    ['truncated JSON', '{"lock": {"locked": tr'],
    ['not JSON at all', '\u0000\u0001binary'],
    ['JSON that is not an object', '["locked", false]'],
  ])('moves a %s file aside and starts from nothing', (_label, content) => {
    const dir = tempDir();
    const file = path.join(dir, 'strongroom.json');
    fs.writeFileSync(file, content);
    const store = new ElectronStoreSettings({ cwd: dir });
    expect(store.read('lock')).toBeUndefined();
    const aside = fs.readdirSync(dir).filter((f) => f.startsWith('strongroom.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, aside[0]!), 'utf8')).toBe(content);
  });

  it('answers nothing instead of throwing when the file goes bad while running', () => {
    const dir = tempDir();
    const store = new ElectronStoreSettings({ cwd: dir });
    store.write('settings', { autoLockMinutes: 30, lockOnSuspend: true });
    fs.writeFileSync(store.path, '{oops');
    expect(store.read('settings')).toBeUndefined();
  });

  it('refuses a relative directory', () => {
    expect(() => new ElectronStoreSettings({ cwd: 'relative/dir' })).toThrow(/absolute/);
  });
});
