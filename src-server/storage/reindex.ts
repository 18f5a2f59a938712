/**
 * Rebuilds the object table from the store after a disaster (a lost or restored database):
 * every object in the store gets a row (kept if it had one, so recently deleted marks and
 * writers survive), and rows whose object is gone are dropped.
 */
import type { AccountRecords } from '../services/account-records';
import type { Clock } from '../services/clock';
import type { FileType } from './object-table';
import { OBJECT_NAME_PATTERN, REPO_NAME_PATTERN, type StorageService } from './storage-service';

export interface ReindexResult {
  objects: number;
  added: number;
  dropped: number;
  /** Keys that are not a repository file of a known account (left alone). */
  skipped: string[];
}

export function parseObjectKey(
  key: string,
): { username: string; repo: string; type: FileType; name: string } | null {
  const parts = key.split('/');
  const [username, repo] = parts;
  if (!username || !repo || !REPO_NAME_PATTERN.test(repo)) return null;
  if (parts.length === 3 && parts[2] === 'config') return { username, repo, type: 'config', name: '' };
  const type = parts[2] as FileType;
  const name = parts[parts.length - 1]!;
  if (!OBJECT_NAME_PATTERN.test(name)) return null;
  if (type === 'data' && parts.length === 5 && parts[3] === name.slice(0, 2))
    return { username, repo, type, name };
  if (['keys', 'locks', 'snapshots', 'index'].includes(type) && parts.length === 4)
    return { username, repo, type, name };
  return null;
}

export async function reindexStorage(
  storage: StorageService,
  accounts: AccountRecords,
  clock: Clock,
): Promise<ReindexResult> {
  const result: ReindexResult = { objects: 0, added: 0, dropped: 0, skipped: [] };
  const seen = new Set<string>();
  for await (const object of storage.store.list('')) {
    const parsed = parseObjectKey(object.key);
    const account = parsed && accounts.byUsername(parsed.username);
    if (!parsed || !account) {
      result.skipped.push(object.key);
      continue;
    }
    result.objects++;
    const repo = storage.table.ensureRepo(account.id, parsed.repo, clock.now());
    seen.add(`${repo.id}/${parsed.type}/${parsed.name}`);
    const added = storage.table.insert({
      repo_id: repo.id,
      type: parsed.type,
      name: parsed.name,
      size: object.size,
      created_at: clock.now(),
      writer_id: null,
      writer_name: null,
    });
    if (added) result.added++;
  }
  for (const account of accounts.list()) {
    const row = accounts.byUsername(account.username)!;
    for (const repo of storage.table.listRepos(row.id)) {
      for (const type of ['config', 'data', 'keys', 'locks', 'snapshots', 'index'] as const) {
        for (const object of storage.table.listByType(repo.id, type)) {
          if (seen.has(`${repo.id}/${type}/${object.name}`)) continue;
          storage.table.remove(repo.id, type, object.name);
          result.dropped++;
        }
      }
    }
  }
  return result;
}
