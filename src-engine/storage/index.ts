/** The engine's storages; `./storage` imports keep working through this file. */
import { RestHttpStorage, storageTokenFromEnv } from './http';
import { LocalFolderStorage } from './local-folder';
import type { Storage, StorageDescriptor } from './storage';

export { LocalFolderStorage } from './local-folder';
export { RestHttpStorage, parseRestUrl, storageTokenFromEnv, type RestTimeouts } from './http';
export { packName, type FileKind, type Storage, type StorageDescriptor, type TempFile } from './storage';

export function openStorage(d: StorageDescriptor): Storage {
  return d.kind === 'rest' ? new RestHttpStorage(d.url, d.token, d.timeouts) : new LocalFolderStorage(d.path);
}

/** The CLI's --repo: a folder, or rest:http(s)://... with the token from the environment. */
export function openRepositoryStorage(repo: string, env: NodeJS.ProcessEnv): Storage {
  if (repo.startsWith('rest:')) return new RestHttpStorage(repo, storageTokenFromEnv(env));
  return new LocalFolderStorage(repo);
}
