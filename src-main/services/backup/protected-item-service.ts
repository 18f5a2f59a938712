/**
 * Protected items: save (new or edited; validated with the one schema, its vault must exist and
 * every folder or file must exist on this computer, checked here in main) and remove (the item
 * goes; its job history and its backups in the vault stay).
 */
import fs from 'node:fs';
import path from 'node:path';
import { protectedItem, type ProtectedItem } from '../../../src-shared/backup-config';
import { describeConfigIssue } from '../../../src-shared/backup-config';
import type { ChannelInput } from '../../../src-shared/ipc-contract';
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
      if (!fs.existsSync(p)) {
        throw new ServiceError('bad_request', `${p} does not exist on this computer. Check the path.`);
      }
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

  remove(itemId: string): void {
    this.find(itemId);
    this.config.update((c) => {
      c.items = c.items.filter((i) => i.id !== itemId);
    });
    this.schedule.itemRemoved(itemId);
  }
}
