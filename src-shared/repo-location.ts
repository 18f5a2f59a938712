/**
 * Where a vault's repository lives, in the words messages use, for both vault types: a folder on
 * this computer, or account storage on the account server (restic's REST protocol under
 * /storage/<username>/<repository>/). Shared by main and the job process; never includes a token.
 */
import type { Vault } from './backup-config';
import type { RepoLocation } from './job-protocol';

/** The repository's base URL on the account server, ending in '/'. */
export function accountRepositoryUrl(serverUrl: string, username: string, repository: string): string {
  const base = new URL(serverUrl).origin;
  return `${base}/storage/${encodeURIComponent(username)}/${encodeURIComponent(repository)}/`;
}

/** "photos" and "https://backup.example.com" from an account repository URL. */
export function accountRepositoryParts(url: string): {
  origin: string;
  username: string;
  repository: string;
} {
  const u = new URL(url);
  const [, username = '', repository = ''] = u.pathname.split('/').filter(Boolean);
  return {
    origin: u.origin,
    username: decodeURIComponent(username),
    repository: decodeURIComponent(repository),
  };
}

/** The place, as it follows "the vault": "at /media/backup", "in the account storage "photos" on https://…". */
export function repoPlace(location: RepoLocation): string {
  if (location.kind === 'local') return `at ${location.path}`;
  const { origin, repository } = accountRepositoryParts(location.url);
  return `in the account storage "${repository}" on ${origin}`;
}

/** Where a vault's repository is, as it follows "the backup repository": "in /media/backup", "in the account storage …". */
export function vaultPlace(vault: Vault): string {
  return vault.type === 'local'
    ? `in ${vault.path}`
    : `in the account storage "${vault.repository}" on ${new URL(vault.serverUrl).origin}`;
}

/** What a person recognises in the vault list: the folder, or the repository and the server. */
export function vaultLocation(vault: Vault): string {
  return vault.type === 'local'
    ? vault.path
    : `Repository "${vault.repository}" of ${vault.username} on ${new URL(vault.serverUrl).origin}`;
}
