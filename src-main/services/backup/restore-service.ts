/**
 * What the Restore page asks for: a vault's backups, a backup's folders, and restores, whose
 * destination is checked before anything starts. The backups list and the folders are quick queries
 * (a vault's repository session answers them); a restore is a job in the queue.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ProtectedItem, Vault } from '../../../src-shared/backup-config';
import type { ChannelInput } from '../../../src-shared/ipc-contract';
import {
  outcomeValue,
  type JobRequest,
  type LsEntry,
  type SnapshotInfo,
} from '../../../src-shared/job-protocol';
import { vaultPlace } from '../../../src-shared/repo-location';
import { ServiceError } from '../service-error';
import type { BackupConfigStore } from './backup-config-store';
import { itemTag, jobFields } from './backup-service';
import type { EngineRunner } from './engine-runner';
import type { JobQueue } from './job-queue';
import { engineError, type VaultService } from './vault-service';

export interface RestoreServiceOptions {
  config: BackupConfigStore;
  vaults: VaultService;
  queue: JobQueue;
  /** For the backups list and the folders: a vault's session. */
  runner: EngineRunner;
}

export class RestoreService {
  constructor(private readonly o: RestoreServiceOptions) {}

  async snapshots(vaultId: string, itemId?: string): Promise<SnapshotInfo[]> {
    const vault = this.o.vaults.find(vaultId);
    const outcome = await this.query(vault, async (password) => ({
      op: 'snapshots',
      repo: await this.o.vaults.repoLocation(vault),
      password,
      ...(itemId ? { tag: itemTag(itemId) } : {}),
    }));
    return outcomeValue(outcome, 'snapshots').snapshots;
  }

  async browse(vaultId: string, snapshotId: string, dir: string): Promise<LsEntry[]> {
    const vault = this.o.vaults.find(vaultId);
    const outcome = await this.query(vault, async (password) => ({
      op: 'ls',
      repo: await this.o.vaults.repoLocation(vault),
      password,
      snapshotId,
      path: dir,
    }));
    return outcomeValue(outcome, 'ls').entries;
  }

  restore(input: ChannelInput<'restore:start'>): { jobId: string } {
    const vault = this.o.vaults.find(input.vaultId);
    const item = input.itemId ? (this.o.config.get().items.find((i) => i.id === input.itemId) ?? null) : null;
    let target = '/';
    let saveAs: string | undefined;
    let stripPrefix: string | undefined;
    if (input.destination.mode === 'folder') {
      target = restoreFolder(input.destination.path, item);
      if (item && !input.destination.keepFullPaths) {
        stripPrefix = itemRoot(item.paths);
        target = itemFolder(target, item.name);
      }
    } else if (input.destination.mode === 'copy-as') {
      if (input.include.length !== 1) {
        throw new ServiceError(
          'bad_request',
          `Save a copy as… saves one file: choose exactly one (${input.include.length} chosen).`,
        );
      }
      saveAs = copyDestination(input.destination.path);
      target = path.dirname(saveAs);
    }
    const job = this.o.queue.enqueue({
      ...jobFields(vault, item, 'manual'),
      kind: 'restore',
      request: async (password) => ({
        op: 'restore',
        repo: await this.o.vaults.repoLocation(vault),
        password,
        snapshotId: input.snapshotId,
        include: input.include,
        target,
        conflict: input.conflict,
        ...(saveAs ? { saveAs } : {}),
        ...(stripPrefix ? { stripPrefix } : {}),
        ...(input.whenTooLittleSpace ? { whenTooLittleSpace: input.whenTooLittleSpace } : {}),
      }),
    });
    return { jobId: job.id };
  }

  private async query(vault: Vault, build: (password: string) => Promise<JobRequest>) {
    const password = await this.o.vaults.get(vault.id);
    if (password === null) throw new ServiceError('wrong_password', this.o.vaults.missingReason(vault.id));
    const outcome = await this.o.runner.run(
      await build(password),
      { onProgress: () => {}, onLog: () => {} },
      new AbortController().signal,
    );
    if (outcome.status !== 'success') throw engineError(outcome, vaultPlace(vault));
    return outcome;
  }
}

/**
 * What an item's files are restored relative to: its folder, or the common parent of its paths (a
 * file's folder when it protects one file). The job process widens it to cover the backup's paths.
 */
export function itemRoot(paths: string[]): string {
  // One path is the folder itself, even gone (what a restore is often for), unless it is a file.
  const folders = paths.map((p) => (paths.length === 1 && !statOrNull(p)?.isFile() ? p : path.dirname(p)));
  let root = path.resolve(folders[0] ?? '/');
  for (const f of folders.slice(1)) {
    while (root !== '/' && f !== root && !f.startsWith(`${root}/`)) root = path.dirname(root);
  }
  return root;
}

/** `<folder>/<item name>`, the name made one safe folder name (no separators, not "." or ".."). */
export function itemFolder(folder: string, name: string): string {
  const safe = name
    // eslint-disable-next-line no-control-regex
    .replace(/[/\\\x00-\x1f]/g, '_')
    .trim()
    .slice(0, 200);
  return path.join(folder, safe === '' || safe === '.' || safe === '..' ? 'Restored' : safe);
}

/**
 * "To another folder": checked before anything starts, so a folder that cannot take the files fails
 * at once with what to do, instead of a restore that ends with every file refused.
 */
function restoreFolder(raw: string, item: ProtectedItem | null): string {
  if (!path.isAbsolute(raw)) throw new ServiceError('bad_request', 'Use a full path for the restore folder.');
  const folder = path.resolve(raw);
  const inside = item?.paths.find((p) => folder === p || folder.startsWith(`${p}${path.sep}`));
  if (inside) {
    throw new ServiceError(
      'bad_request',
      `${folder} is inside ${inside}, which "${item!.name}" backs up: the restored files would be backed up again. Choose a folder outside it.`,
    );
  }
  const stat = statOrNull(folder);
  if (stat && !stat.isDirectory()) throw new ServiceError('conflict', `${folder} is a file, not a folder.`);
  const existing = stat ? folder : path.dirname(folder);
  if (!stat && !statOrNull(existing)?.isDirectory()) {
    throw new ServiceError('not_found', `The folder ${existing} does not exist.`);
  }
  try {
    fs.accessSync(existing, fs.constants.W_OK | fs.constants.X_OK);
  } catch (error) {
    const readOnly = (error as NodeJS.ErrnoException).code === 'EROFS';
    throw new ServiceError(
      'bad_request',
      `Strongroom cannot write in ${existing} (${readOnly ? 'it is on a read-only disk' : 'permission denied'}). Choose another folder.`,
    );
  }
  if (!stat) fs.mkdirSync(folder, { mode: 0o700 });
  return folder;
}

/** "Save a copy as…": a full file path (not a folder) whose folder exists. */
function copyDestination(raw: string): string {
  if (!path.isAbsolute(raw)) throw new ServiceError('bad_request', 'Use a full path for the copy.');
  const file = path.resolve(raw);
  if (statOrNull(file)?.isDirectory()) {
    throw new ServiceError('bad_request', `${file} is a folder: add the name of the file to save.`);
  }
  if (!statOrNull(path.dirname(file))?.isDirectory()) {
    throw new ServiceError('not_found', `The folder ${path.dirname(file)} does not exist.`);
  }
  return file;
}

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch {
    return null;
  }
}
