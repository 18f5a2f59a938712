/**
 * The storage's administration commands, called from cli.ts:
 *   user set-quota NAME SIZE|none     an account's storage quota (e.g. 50G, 500MiB)
 *   storage reindex                   rebuild the object table from the store
 */
import type { AccountServerServices } from './app';
import { reindexStorage } from './storage/reindex';

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

export async function storageCommand(services: AccountServerServices, args: string[]): Promise<string> {
  const [action, ...extra] = args;
  if (action !== 'reindex') throw new Error(`Unknown storage command: ${action ?? '(none)'}`);
  if (extra.length > 0) throw new Error(`Unexpected argument: ${extra[0]}`);
  const r = await reindexStorage(services.storage, services.accounts, services.clock);
  let out = `Reindexed ${services.storage.store.description}: ${r.objects} files, ${r.added} added to the table, ${r.dropped} rows without a file dropped.\n`;
  if (r.skipped.length > 0)
    out += `${r.skipped.length} objects are not repository files of a known account (left alone).\n`;
  return out;
}
