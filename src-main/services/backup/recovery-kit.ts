/**
 * The recovery kit: a small text file with what it takes to restore a vault without this computer
 * (its location, or for account storage the server, username and repository; repository id,
 * password, and the `strongroom-backup` commands). Never this device's token: restoring elsewhere
 * uses a storage token made in the panel. Written only after
 * the account password was checked again; mode 0600; never over an existing file (the person
 * chooses another name), so an older kit or anything else is never replaced by surprise.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Vault } from '../../../src-shared/backup-config';
import type { ChannelInput } from '../../../src-shared/ipc-contract';
import type { Clock } from '../ports';
import { ServiceError } from '../service-error';
import type { VaultService } from './vault-service';
import { accountRepositoryUrl } from '../../../src-shared/repo-location';

export function recoveryKitText(vault: Vault, password: string, createdAt: Date): string {
  const head = [
    'STRONGROOM RECOVERY KIT',
    '=======================',
    '',
    'Keep this file somewhere safe and private (a password manager, a printed copy in a drawer).',
    'Anyone who has it can read your backups. Without the password below, nobody can restore',
    'them: not you, not Strongroom, not anyone.',
    '',
    `Vault:          ${vault.name}`,
  ];
  const facts = [
    `Repository id:  ${vault.repositoryId}`,
    `Password:       ${password}`,
    `Kit made:       ${createdAt.toISOString()}`,
    '',
    'How to restore without the app',
    '------------------------------',
  ];
  const tail = [
    'It asks for the password above (or reads it from the STRONGROOM_PASSWORD environment',
    'variable). To restore one backup, use its id from "snapshots" instead of "latest".',
    '',
  ];
  if (vault.type === 'local') {
    const repo = shellQuote(vault.path);
    return [
      ...head,
      `Location:       ${vault.path}`,
      ...facts,
      'With the strongroom-backup command (it comes with Strongroom), and the vault folder reachable:',
      '',
      `  strongroom-backup --repo ${repo} snapshots`,
      `  strongroom-backup --repo ${repo} restore latest --target /path/to/restore/into`,
      '',
      ...tail,
    ].join('\n');
  }
  const server = new URL(vault.serverUrl).origin;
  const repo = shellQuote(`rest:${accountRepositoryUrl(vault.serverUrl, vault.username, vault.repository)}`);
  return [
    ...head,
    'Type:           Strongroom account storage (the server keeps only encrypted data)',
    `Server:         ${server}`,
    `Username:       ${vault.username}`,
    `Repository:     ${vault.repository}`,
    ...facts,
    'From any computer, with the strongroom-backup command (it comes with Strongroom):',
    '',
    `1. Sign in to the web panel at ${server} as ${vault.username}, open Storage, and create a`,
    "   storage token (it is shown once). This computer's own device token is not in this kit.",
    '2. Give the token to the command through the environment (never on the command line):',
    '',
    '     export STRONGROOM_STORAGE_TOKEN=<the storage token>',
    `     strongroom-backup --repo ${repo} snapshots`,
    `     strongroom-backup --repo ${repo} restore latest --target /path/to/restore/into`,
    '',
    ...tail,
  ].join('\n');
}

/** Checks the destination: absolute, its folder exists, no file there yet. Returns it normalised. */
export function checkKitDestination(raw: string): string {
  if (!path.isAbsolute(raw)) {
    throw new ServiceError(
      'bad_request',
      'Use a full path for the recovery kit (for example /home/me/strongroom-kit.txt).',
    );
  }
  const file = path.resolve(raw);
  let parent: fs.Stats;
  try {
    parent = fs.statSync(path.dirname(file));
  } catch {
    throw new ServiceError('not_found', `The folder ${path.dirname(file)} does not exist.`);
  }
  if (!parent.isDirectory()) throw new ServiceError('not_found', `${path.dirname(file)} is not a folder.`);
  if (fs.existsSync(file)) {
    throw new ServiceError(
      'conflict',
      `${file} already exists. Choose another name; Strongroom never replaces a file.`,
    );
  }
  return file;
}

/** Writes the kit, readable by its owner only; fails rather than replace a file that appeared meanwhile. */
export function writeRecoveryKit(file: string, text: string): void {
  try {
    fs.writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new ServiceError(
        'conflict',
        `${file} already exists. Choose another name; Strongroom never replaces a file.`,
      );
    }
    throw new ServiceError(
      'internal',
      `The recovery kit could not be written to ${file} (${code ?? 'error'}).`,
    );
  }
  // The umask may have narrowed it further, never widened; make sure it is exactly 0600.
  fs.chmodSync(file, 0o600);
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface RecoveryKitServiceOptions {
  vaults: VaultService;
  clock: Clock;
  /** Checks the account password again (against the account server); throws when wrong. */
  verifyAccountPassword(password: string): Promise<void>;
  /** True when the vault belongs to another account than the unlocked one (its kit is not this one's to save). */
  belongsToAnother(vault: Vault): boolean;
}

/** "Save recovery kit" for a vault: the account password again, then the kit where the person chose. */
export class RecoveryKitService {
  constructor(private readonly o: RecoveryKitServiceOptions) {}

  async saveRecoveryKit(input: ChannelInput<'vault:saveRecoveryKit'>): Promise<{ path: string }> {
    const vault = this.o.vaults.find(input.vaultId);
    if (this.o.belongsToAnother(vault)) {
      throw new ServiceError(
        'conflict',
        `The vault "${vault.name}" belongs to another account: unlock Strongroom with that account to save its recovery kit.`,
      );
    }
    const file = checkKitDestination(input.destinationPath);
    await this.o.verifyAccountPassword(input.accountPassword);
    const password = await this.o.vaults.get(vault.id);
    if (password === null) {
      throw new ServiceError('wrong_password', this.o.vaults.missingReason(vault.id));
    }
    writeRecoveryKit(file, recoveryKitText(vault, password, new Date(this.o.clock.now())));
    return { path: file };
  }
}
