/**
 * The backup configuration in the real electron-store file: validated on load and save; an
 * invalid stored configuration is refused whole, named by field, and never overwritten.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ElectronStoreSettings } from '../../src-main/adapters/electron-store-settings';
import { BackupConfigStore } from '../../src-main/services/backup/backup-config-store';
import { EMPTY_BACKUP_CONFIG } from '../../src-shared/backup-config';

let dir: string;
let file: string;
const open = () => new BackupConfigStore(new ElectronStoreSettings({ cwd: dir }));

const vault = {
  id: 'vault-000001',
  type: 'local' as const,
  name: 'USB',
  path: '/media/usb',
  repositoryId: 'ab'.repeat(16),
  passwordStored: true,
  createdAt: '2026-01-01T00:00:00.000Z',
};

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-config-'));
  file = path.join(dir, 'strongroom.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('BackupConfigStore', () => {
  it('starts empty and saves a valid change to the file', () => {
    const store = open();
    expect(store.get()).toEqual(EMPTY_BACKUP_CONFIG);
    store.update((c) => void c.vaults.push(vault));
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).backup.vaults).toEqual([vault]);
    expect(open().get().vaults).toEqual([vault]);
  });

  it('refuses a change that breaks the schema, naming the field, and keeps the file as it was', () => {
    const store = open();
    store.update((c) => void c.vaults.push(vault));
    const before = fs.readFileSync(file, 'utf8');
    expect(() =>
      store.update((c) => {
        c.vaults[0]!.name = '';
      }),
    ).toThrow(/vaults\[0\]\.name: Give the vault a name\./);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  it('refuses a hand-edited invalid file whole, naming the field; changes are refused, the file is kept', () => {
    open().update((c) => void c.vaults.push(vault));
    const edited = JSON.parse(fs.readFileSync(file, 'utf8'));
    edited.backup.items = [
      {
        id: 'item-000001',
        name: 'Docs',
        paths: ['/home/me'],
        excludes: [],
        excludePresets: [],
        vaultId: 'vault-000001',
        schedule: { kind: 'daily', at: '25:99' },
        retention: { mode: 'keep-all' },
        conditions: { catchUpMissed: true, skipOnBattery: false },
        createdAt: '2026-01-01T00:00:00.000Z',
      },
    ];
    fs.writeFileSync(file, JSON.stringify(edited));
    const store = open();
    let message = '';
    try {
      store.get();
    } catch (error) {
      message = (error as Error).message;
      expect(error).toMatchObject({ code: 'config_invalid' });
    }
    expect(message).toContain('items[0].schedule.at: Use a time such as 02:30 (24-hour clock).');
    expect(store.problem()).toBe(message);
    expect(() => store.update((c) => void c.vaults.pop())).toThrow(/not valid/);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(edited);
  });

  it('refuses a file from a newer version rather than guessing', () => {
    fs.writeFileSync(file, JSON.stringify({ backup: { ...EMPTY_BACKUP_CONFIG, version: 2 } }));
    expect(() => open().get()).toThrow(/version/);
  });
});
