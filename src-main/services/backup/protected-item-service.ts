/**
 * Protected items: save (new or edited; validated with the one schema, its vault must exist and
 * every folder or file must exist on this computer, checked here in main) and remove (the item
 * goes; its job history and its backups in the vault stay).
 */
import fs from 'node:fs';
import path from 'node:path';
import { protectedItem, type ProtectedItem } from '../../../src-shared/backup-config';
import { describeConfigIssue } from '../../../src-shared/backup-config';
import type { ChannelInput, PathCheck } from '../../../src-shared/ipc-contract';
import type { Clock } from '../ports';
import { ServiceError } from '../service-error';
import type { BackupConfigStore } from './backup-config-store';
import { newConfigId } from './vault-service';

export type ProtectedItemInput = ChannelInput<'item:save'>;

export interface ScheduleWatcher {
  scheduleChanged(itemId: string): void;
  itemRemoved(itemId: string): void;
}

export class ProtectedItemService {
  constructor(
    private readonly config: BackupConfigStore,
    private readonly clock: Clock,
    private readonly schedule: ScheduleWatcher,
  ) {}

  find(itemId: string): ProtectedItem {
    const item = this.config.get().items.find((i) => i.id === itemId);
    if (!item) throw new ServiceError('not_found', 'That protected item does not exist (any more).');
    return item;
  }

  save(input: ProtectedItemInput): ProtectedItem {
    const current = this.config.get();
    const previous = input.id ? current.items.find((i) => i.id === input.id) : undefined;
    if (input.id && !previous)
      throw new ServiceError('not_found', 'That protected item does not exist (any more).');
    if (!current.vaults.some((v) => v.id === input.vaultId)) {
      throw new ServiceError(
        'not_found',
        'Choose a storage vault: the one chosen does not exist (any more).',
      );
    }
    const candidate = {
      ...input,
      paths: input.paths.map((p) => (path.isAbsolute(p) ? path.resolve(p) : p)),
      id: previous?.id ?? newConfigId(),
      createdAt: previous?.createdAt ?? new Date(this.clock.now()).toISOString(),
    };
    const parsed = protectedItem.safeParse(candidate);
    if (!parsed.success) throw new ServiceError('bad_request', describeConfigIssue(parsed.error));
    const item = parsed.data;
    for (const p of item.paths) {
      const problem = pathProblemHere(p);
      if (problem) throw new ServiceError('bad_request', problem);
    }
    // Before saving: the scheduler looks at the saved item at once, and a new or changed schedule
    // must count from now (no catch-up for slots from before it existed).
    if (!previous || JSON.stringify(previous.schedule) !== JSON.stringify(item.schedule)) {
      this.schedule.scheduleChanged(item.id);
    }
    this.config.update((c) => {
      const i = c.items.findIndex((x) => x.id === item.id);
      if (i >= 0) c.items[i] = item;
      else c.items.push(item);
    });
    return item;
  }

  /** Each path with what stops it from being backed up here, if anything. */
  checkPaths(paths: string[]): PathCheck[] {
    return paths.map((p) => ({ path: p, problem: pathProblemHere(p) }));
  }

  remove(itemId: string): void {
    this.find(itemId);
    this.config.update((c) => {
      c.items = c.items.filter((i) => i.id !== itemId);
    });
    this.schedule.itemRemoved(itemId);
  }
}

/**
 * Why a path cannot be backed up from this computer, in words, or null. A folder needs read and
 * search permission to be listed; anything but a folder, a file or a link to one is refused here
 * rather than left for the first backup to find.
 */
export function pathProblemHere(p: string): string | null {
  if (!path.isAbsolute(p))
    return `${p} is not a full path. Use a full path (for example /home/me/Documents).`;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      return `${p} does not exist on this computer. Check the path.`;
    return `${p} cannot be read here (${code ?? 'error'}).`;
  }
  if (!stat.isDirectory() && !stat.isFile()) return `${p} is not a folder or a file.`;
  try {
    fs.accessSync(p, stat.isDirectory() ? fs.constants.R_OK | fs.constants.X_OK : fs.constants.R_OK);
  } catch {
    return `${p} cannot be read by Strongroom (permission denied). Choose another, or allow reading it.`;
  }
  return null;
}
