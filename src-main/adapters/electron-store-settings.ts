/**
 * SettingsStore on electron-store: one JSON file in the app's data directory, written
 * synchronously (Conf writes with writeFileSync, atomically), which is what the window's close
 * handler needs. A file that is not a JSON object (corrupt, truncated, hand-edited) is moved aside
 * as "<name>.json.corrupt-<time>" rather than silently overwritten, and the app starts from
 * defaults (and locked, as always).
 */
import fs from 'node:fs';
import path from 'node:path';
import Store from 'electron-store';
import type { SettingsStore, StoreKey } from '../services/ports';

export interface ElectronStoreSettingsOptions {
  /** Absolute directory of the file: Electron's userData, or the harness's --data-dir. */
  cwd: string;
  name?: string;
}

export class ElectronStoreSettings implements SettingsStore {
  private readonly store: Store<Record<string, unknown>>;
  readonly path: string;

  constructor({ cwd, name = 'strongroom' }: ElectronStoreSettingsOptions) {
    if (!path.isAbsolute(cwd)) throw new Error('ElectronStoreSettings needs an absolute directory');
    fs.mkdirSync(cwd, { recursive: true, mode: 0o700 });
    quarantineIfCorrupt(path.join(cwd, `${name}.json`));
    this.store = new Store<Record<string, unknown>>({
      cwd,
      name,
      // If the file goes bad while the app runs, reads answer defaults instead of throwing.
      clearInvalidConfig: true,
      configFileMode: 0o600,
      accessPropertiesByDotNotation: false,
      watch: false,
    });
    this.path = this.store.path;
  }

  read(key: StoreKey): unknown {
    return this.store.get(key);
  }

  write(key: StoreKey, value: unknown): void {
    this.store.set(key, value);
  }
}

function quarantineIfCorrupt(file: string): void {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return; // missing: a fresh start
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return;
  } catch {
    // not JSON
  }
  fs.renameSync(file, `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`);
}
