/**
 * The storage's administration commands, called from cli.ts:
 *   user set-quota NAME SIZE|none     an account's storage quota (e.g. 50G, 500MiB)
 *   storage reindex                   rebuild the object table from the store
 *   storage purge USER [REPO] [--delete-repository] [--yes]
 *                                     remove recently deleted files (or a whole repository) now
 */
import type { AccountServerServices } from './app';
import { reindexStorage } from './storage/reindex';
import type { PurgeSummary } from './storage/storage-service';
import type { StorageFlagValues } from './storage-flags';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/** '50G' (binary, like restic), '500MB' (decimal), '1048576'; null for 'none'. */
export function parseSize(text: string, field: string): number | null {
  if (text.trim().toLowerCase() === 'none') return null;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new Error(`${field}: not a size: ${text} (examples: 500M, 50G, 2T, none)`);
  }
  return Math.round(Number(match[1]) * unit);
}

export function formatSize(bytes: number | null): string {
  if (bytes === null) return 'unlimited';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function setQuotaCommand(services: AccountServerServices, name: string, size: string): string {
  const bytes = parseSize(size, 'SIZE');
  const account = services.accounts.byUsername(name.trim().toLowerCase());
  if (!account) throw new Error(`No account named ${name.trim().toLowerCase()}.`);
  services.storage.table.setQuota(account.id, bytes);
  return `Storage quota of ${account.username}: ${formatSize(bytes)} (${formatSize(services.storage.usedBytes(account.id))} used).\n`;
}

export async function storageCommand(
  services: AccountServerServices,
  args: string[],
  flags: Pick<StorageFlagValues, 'yes' | 'delete-repository'> = {},
): Promise<string> {
  const [action, ...extra] = args;
  if (action === 'purge') return purgeCommand(services, extra, flags);
  if (action !== 'reindex') throw new Error(`Unknown storage command: ${action ?? '(none)'}`);
  if (extra.length > 0) throw new Error(`Unexpected argument: ${extra[0]}`);
  const r = await reindexStorage(services.storage, services.accounts, services.clock);
  let out = `Reindexed ${services.storage.store.description}: ${r.objects} files, ${r.added} added to the table, ${r.dropped} rows without a file dropped.\n`;
  if (r.skipped.length > 0)
    out += `${r.skipped.length} objects are not repository files of a known account (left alone).\n`;
  return out;
}

/**
 * `storage purge USER [REPO]`: without --yes it only says what it would remove, so the command
 * cannot destroy anything by being typed once; --delete-repository (with REPO) removes every
 * file of the repository, live ones too, and the repository itself.
 */
async function purgeCommand(
  services: AccountServerServices,
  args: string[],
  flags: Pick<StorageFlagValues, 'yes' | 'delete-repository'>,
): Promise<string> {
  const [name, repo, ...extra] = args;
  if (!name) throw new Error('storage purge needs a USER (and optionally a REPO).');
  if (extra.length > 0) throw new Error(`Unexpected argument: ${extra[0]}`);
  const whole = flags['delete-repository'] ?? false;
  if (whole && repo === undefined) throw new Error('--delete-repository needs the REPO to delete.');
  const username = name.trim().toLowerCase();
  const account = services.accounts.byUsername(username);
  if (!account) throw new Error(`No account named ${username}.`);
  const dryRun = !flags.yes;
  const summary = await services.storage.adminPurge(
    { id: account.id, username },
    { ...(repo !== undefined ? { repo } : {}), wholeRepository: whole, dryRun },
  );
  return describePurge(username, summary, whole, dryRun);
}

function describePurge(username: string, s: PurgeSummary, whole: boolean, dryRun: boolean): string {
  if (whole) {
    const r = s.repositories[0]!;
    const what = `the whole repository ${username}/${r.name}: every file, live and recently deleted (${r.files} files, ${formatSize(r.bytes)}), and the repository itself`;
    return dryRun
      ? `Would delete ${what}. This cannot be undone.\nNothing was removed: run again with --yes to delete it.\n`
      : `Deleted ${what}.\n`;
  }
  if (s.files === 0) return `${username} has no recently deleted files${dryRun ? '' : ' to purge'}.\n`;
  let out = dryRun
    ? `Would remove for good these recently deleted files of ${username}:\n`
    : `Removed for good these recently deleted files of ${username}:\n`;
  for (const r of s.repositories) out += `  ${r.name}: ${r.files} files, ${formatSize(r.bytes)}\n`;
  out += `In all ${s.files} files, ${formatSize(s.bytes)}.\n`;
  if (dryRun) out += 'Nothing was removed: run again with --yes to remove them.\n';
  return out;
}
