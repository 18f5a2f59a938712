import type { ComputerView, DirectoryVaultView } from '../../../src-shared/ipc-contract';

/**
 * Pure helpers for the account's keys as a person reads them: the recovery key typed back, and the
 * sentence that offers another computer's backups. No DOM, so they are unit-tested in Node.
 */

/** Crockford's base32 (no I, L, O or U): what a recovery key is written in. */
const CROCKFORD = /^[0-9A-HJKMNP-TV-Z]*$/;
export const RECOVERY_KEY_CHARS = 56;

/**
 * What a typed recovery key becomes before it is sent: spaces, dashes and case ignored, I and L read
 * as 1 and O as 0 (as Crockford's base32 does). Main checks its checksum again.
 */
export function normalizeRecoveryKey(typed: string): string {
  return typed
    .toUpperCase()
    .replace(/[\s-]+/g, '')
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0');
}

/** Groups of four, as the kit prints them: easier to check against the paper. */
export function groupRecoveryKey(key: string): string {
  const clean = normalizeRecoveryKey(key);
  const groups: string[] = [];
  for (let i = 0; i < clean.length; i += 4) groups.push(clean.slice(i, i + 4));
  return groups.join(' ');
}

/** What can be told about a typed recovery key before asking main; null when it may be right. */
export function recoveryKeyProblem(typed: string): string | null {
  const key = normalizeRecoveryKey(typed);
  if (!key) return 'Enter the recovery key from your account recovery kit.';
  if (!CROCKFORD.test(key))
    return 'A recovery key has only the digits 0-9 and the letters A-Z without U. Check it against your kit.';
  if (key.length !== RECOVERY_KEY_CHARS) {
    const groups = Math.ceil(key.length / 4);
    return `A recovery key is 14 groups of four characters; this one has ${key.length} characters (${groups} groups). Check it against your kit.`;
  }
  return null;
}

/** "3 days ago", "2 hours ago", "just now": how long ago, coarse on purpose. */
export function timeAgo(iso: string, now: Date = new Date()): string {
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return 'unknown';
  const minutes = Math.max(0, Math.floor((now.getTime() - then) / 60_000));
  if (minutes < 1) return 'just now';
  if (minutes < 60) return minutes === 1 ? '1 minute ago' : `${minutes} minutes ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return hours === 1 ? '1 hour ago' : `${hours} hours ago`;
  const days = Math.floor(hours / 24);
  return days === 1 ? '1 day ago' : `${days} days ago`;
}

/** "laptop (last backup 3 days ago, 2 vaults)": a computer as the restore offer names it. */
export function describeComputer(computer: ComputerView, now: Date = new Date()): string {
  const facts: string[] = [];
  if (computer.lastBackupAt) facts.push(`last backup ${timeAgo(computer.lastBackupAt, now)}`);
  const vaults = computer.vaultIds.length;
  if (vaults > 0) facts.push(vaults === 1 ? '1 vault' : `${vaults} vaults`);
  return facts.length > 0 ? `${computer.name} (${facts.join(', ')})` : computer.name;
}

/**
 * "This account has backups from 2 computers: laptop (last backup 3 days ago, 2 vaults), desktop."
 * Only the other computers are named: this one's own backups are already here.
 */
export function backupsOfferSentence(computers: ComputerView[], now: Date = new Date()): string {
  const others = computers.filter((c) => !c.isThisComputer);
  const count = others.length === 1 ? '1 computer' : `${others.length} computers`;
  return `This account has backups from ${count}: ${others.map((c) => describeComputer(c, now)).join(', ')}.`;
}

/** The other computers worth offering: those with vaults this computer does not have, or items to continue. */
export function computersToOffer(computers: ComputerView[], vaults: DirectoryVaultView[]): ComputerView[] {
  const missing = new Set(vaults.filter((v) => !v.onThisComputer).map((v) => v.vaultId));
  return computers.filter(
    (c) => !c.isThisComputer && (c.vaultIds.some((id) => missing.has(id)) || c.itemCount > 0),
  );
}

/** "Connect the drive that holds 'USB backup'": the question for a drive vault Restore needs. */
export function connectDriveTitle(vault: DirectoryVaultView): string {
  return `Connect the drive that holds '${vault.name}'`;
}
