/**
 * Storage vaults: create ("new" makes a repository through the EngineRunner, "existing" opens one
 * to check its password and read its id), in a folder or as account storage on the account server
 * the app signs in to; rename, remove (forgets the vault, never touches the repository), and their
 * passwords: in the OS keychain ("vault:<id>") when the person keeps it on this computer, so
 * scheduled backups run while locked; otherwise in memory from entry until the app locks.
 * Passwords (and the device token) never leave main except to the job process.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  isAbsolutePath,
  type PendingVaultOwner,
  type Vault,
  type VaultOwner,
} from '../../../src-shared/backup-config';
import type { AccountStorageUsage, ChannelInput, VaultView } from '../../../src-shared/ipc-contract';
import {
  outcomeValue,
  type JobOutcome,
  type JobRequest,
  type RepoLocation,
} from '../../../src-shared/job-protocol';
import type { Clock, SecretStore } from '../ports';
import { ServiceError } from '../service-error';
import type { AccountStorageAccess } from './account-storage';
import type { BackupConfigStore } from './backup-config-store';
import type { EngineRunner } from './engine-runner';
import type { RepoPlace } from './repository-sessions';
import type { VaultPasswords } from './job-queue';
import { accountRepositoryUrl, vaultLocation, vaultPlace } from '../../../src-shared/repo-location';

/**
 * vault:create's input: "new" may leave the password out (main then makes a random one that the
 * account's directory keeps); a folder vault may carry its choice of the drive's password wrap.
 */
export type CreateVaultInput = ChannelInput<'vault:create'>;

/** A new vault's repository password when the person sets none: 256 random bits, base64url. */
export function randomRepositoryPassword(): string {
  return crypto.randomBytes(32).toString('base64url');
}

export function vaultSecretAccount(vaultId: string): string {
  return `vault:${vaultId}`;
}

export function newConfigId(): string {
  return crypto.randomUUID();
}

export interface VaultServiceOptions {
  config: BackupConfigStore;
  secrets: SecretStore;
  runner: EngineRunner;
  clock: Clock;
  /** The account server's storage, for account-storage vaults. */
  accountStorage: AccountStorageAccess;
  /** Whether the account's directory can keep a vault's password now (its key is in memory). */
  accountKeepsPasswords?: () => boolean;
  /** The unlocked account a vault made now belongs to; null while its key is not available. */
  owner?: () => VaultOwner | null;
  /** The repository sessions, ended when their vault is removed or its password replaced. */
  sessions?: { endAt(place: RepoPlace): Promise<void> };
  /** Without an owner (the key not available): the session's account, the only one that may claim it. */
  pendingOwner?: () => PendingVaultOwner | null;
}

export class VaultService implements VaultPasswords {
  /** Passwords entered since the last unlock, for vaults that do not keep theirs. */
  private readonly memory = new Map<string, string>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly o: VaultServiceOptions) {}

  list(): Vault[] {
    return this.o.config.get().vaults;
  }

  find(vaultId: string): Vault {
    const vault = this.list().find((v) => v.id === vaultId);
    if (!vault) throw new ServiceError('not_found', 'That storage vault does not exist (any more).');
    return vault;
  }

  view(vault: Vault): VaultView {
    return {
      id: vault.id,
      name: vault.name,
      type: vault.type,
      location: vaultLocation(vault),
      repositoryId: vault.repositoryId,
      passwordStored: vault.passwordStored,
      passwordAvailable: vault.passwordStored || this.memory.has(vault.id),
      itemCount: this.o.config.get().items.filter((i) => i.vaultId === vault.id).length,
      createdAt: vault.createdAt,
      ...(vault.type === 'local' && vault.openedWithOtherAccountKey
        ? { openedWithOtherAccountKey: true }
        : {}),
    };
  }

  async create(input: CreateVaultInput): Promise<VaultView> {
    if (input.password === undefined && input.mode !== 'new') {
      throw new ServiceError('bad_request', 'Enter the password of the existing vault.');
    }
    if (input.password === undefined && !input.storePassword && !this.o.accountKeepsPasswords?.()) {
      // Kept nowhere but memory, a password nobody typed would be gone at the next lock.
      throw new ServiceError(
        'bad_request',
        "This account's key is not available now, so nothing would keep a made-up password: enter a password of your own, or keep it on this computer.",
      );
    }
    const password = input.password ?? randomRepositoryPassword();
    const config = this.o.config.get();
    let target: { place: string; repo: RepoLocation; vault: DistributiveOmit<Vault, 'repositoryId'> };
    const owner = this.o.owner?.() ?? null;
    const pendingOwner = owner ? null : (this.o.pendingOwner?.() ?? null);
    const base = {
      id: newConfigId(),
      name: input.name,
      passwordStored: input.storePassword,
      createdAt: new Date(this.o.clock.now()).toISOString(),
      ...(owner ? { owner } : {}),
    };
    if (input.type === 'local') {
      const folder = checkedFolder(input.path);
      const same = config.vaults.find((v) => v.type === 'local' && path.resolve(v.path) === folder);
      if (same) throw new ServiceError('conflict', `The vault "${same.name}" already uses ${folder}.`);
      if (input.mode === 'new') prepareNewRepositoryFolder(folder);
      else checkExistingRepositoryFolder(folder);
      target = {
        place: `in ${folder}`,
        repo: { kind: 'local', path: folder },
        vault: {
          ...base,
          type: 'local',
          path: folder,
          ...(pendingOwner ? { pendingOwner } : {}),
          ...(input.type === 'local' && input.passwordWrapOnDrive !== undefined
            ? { passwordWrapOnDrive: input.passwordWrapOnDrive }
            : input.mode !== 'new'
              ? { passwordWrapOnDrive: false } // not made by this account: only the person turns it on
              : {}),
        },
      };
    } else {
      const account = await this.o.accountStorage.current();
      const same = config.vaults.find(
        (v) =>
          v.type === 'account' &&
          new URL(v.serverUrl).origin === account.serverUrl &&
          v.username === account.username &&
          v.repository === input.repository,
      );
      if (same) {
        throw new ServiceError(
          'conflict',
          `The vault "${same.name}" already uses the repository "${input.repository}" on ${account.serverUrl}.`,
        );
      }
      const url = accountRepositoryUrl(account.serverUrl, account.username, input.repository);
      target = {
        place: `in the account storage "${input.repository}" on ${account.serverUrl}`,
        repo: { kind: 'account', url, token: account.token },
        vault: {
          ...base,
          type: 'account',
          serverUrl: account.serverUrl,
          username: account.username,
          repository: input.repository,
        },
      };
    }

    const secretAccount = vaultSecretAccount(base.id);
    if (input.storePassword) {
      // Before the repository exists: a keychain that cannot keep it fails early, with nothing made.
      try {
        await this.o.secrets.set(secretAccount, password);
      } catch {
        throw new ServiceError(
          'internal',
          "This computer's keychain could not keep the password. Choose not to keep it on this computer, or fix the keychain and try again.",
        );
      }
    }
    let repositoryId: string;
    try {
      repositoryId = await this.repositoryId(
        { op: input.mode === 'new' ? 'init' : 'open', repo: target.repo, password },
        target.place,
      );
    } catch (error) {
      if (input.storePassword) await this.o.secrets.delete(secretAccount).catch(() => false);
      throw error;
    }
    const vault = { ...target.vault, repositoryId } as Vault;
    this.o.config.update((c) => void c.vaults.push(vault));
    if (!input.storePassword) this.memory.set(base.id, password);
    this.passwordsChanged();
    return this.view(vault);
  }

  /**
   * Adds a vault this account already has (from its directory, on another computer): the same vault
   * id, its repository opened with `password` at `repo` and checked to be the one `repositoryId`
   * names. The password is kept in the keychain when the keychain works, else in memory until lock.
   */
  async adopt(vault: Vault, password: string, expectedName: string): Promise<VaultView> {
    const config = this.o.config.get();
    if (config.vaults.some((v) => v.id === vault.id)) {
      throw new ServiceError('conflict', `The vault "${vault.name}" is already on this computer.`);
    }
    if (vault.type === 'local') {
      const same = config.vaults.find((v) => v.type === 'local' && path.resolve(v.path) === vault.path);
      if (same) throw new ServiceError('conflict', `The vault "${same.name}" already uses ${vault.path}.`);
    }
    const place = vaultPlace(vault);
    const another = new ServiceError('conflict', `That folder holds another vault, not "${expectedName}".`);
    const id = await this.repositoryId(
      { op: 'open', repo: await this.repoLocation(vault), password },
      place,
    ).catch((error: unknown) => {
      // The vault's own password opens its repository: a folder it does not open holds another one.
      if (vault.type === 'local' && error instanceof ServiceError && error.code === 'wrong_password')
        throw another;
      throw error;
    });
    if (id !== vault.repositoryId) {
      throw new ServiceError(
        'conflict',
        vault.type === 'local'
          ? another.message
          : `The repository ${place} is another vault, not "${expectedName}"; nothing was added.`,
      );
    }
    let stored = false;
    try {
      await this.o.secrets.set(vaultSecretAccount(vault.id), password);
      stored = true;
    } catch {
      // No working keychain: held in memory until lock, like a password not kept here.
    }
    const added = { ...vault, passwordStored: stored } as Vault;
    this.o.config.update((c) => void c.vaults.push(added));
    if (!stored) this.memory.set(vault.id, password);
    this.passwordsChanged();
    return this.view(added);
  }

  /**
   * Re-keys a vault (the computer that knew its password was revoked): a password slot for a new
   * random password is added and the one the current password opened removed. The new password is
   * kept as the old one was (keychain, else memory). With `makeDurable`, the old slot goes only
   * after it has put the new password where the account keeps it (a failure there keeps both slots
   * and the old password held here, so nothing is lost).
   */
  async rekey(vaultId: string, makeDurable?: (newPassword: string) => Promise<void>): Promise<void> {
    const vault = this.find(vaultId);
    const password = await this.get(vaultId);
    if (password === null) throw new ServiceError('wrong_password', this.missingReason(vaultId));
    const newPassword = randomRepositoryPassword();
    const repo = await this.repoLocation(vault);
    const step = async (which: 'add' | 'remove' | undefined) => {
      const outcome = await this.o.runner.run(
        { op: 'rekey', repo, password, newPassword, ...(which ? { step: which } : {}) },
        { onProgress: () => {}, onLog: () => {} },
        new AbortController().signal,
      );
      if (outcome.status !== 'success') throw engineError(outcome, vaultPlace(vault));
    };
    if (!makeDurable) {
      await step(undefined);
      await this.keep(vault, newPassword);
      return;
    }
    await step('add');
    await makeDurable(newPassword);
    await this.keep(vault, newPassword);
    await step('remove');
  }

  /**
   * The account's directory holds another password for this vault (re-keyed on another computer):
   * kept here only if it opens the vault's own repository. `refused`: it does not open it (or opens
   * another repository); `unknown`: the repository could not be reached to tell (a drive not
   * connected, a server away).
   */
  async adoptPassword(vaultId: string, password: string): Promise<'adopted' | 'refused' | 'unknown'> {
    const vault = this.find(vaultId);
    try {
      const id = await this.repositoryId(
        { op: 'open', repo: await this.repoLocation(vault), password },
        vaultPlace(vault),
      );
      if (id !== vault.repositoryId) return 'refused';
    } catch (error) {
      return error instanceof ServiceError && error.code === 'wrong_password' ? 'refused' : 'unknown';
    }
    await this.keep(vault, password);
    return 'adopted';
  }

  /** In memory at once (so it is never lost in between), then in the keychain where the vault keeps it. */
  private async keep(vault: Vault, password: string): Promise<void> {
    this.memory.set(vault.id, password);
    // A session opened with the old password answers nothing more.
    await this.endSession(vault);
    if (vault.passwordStored) {
      try {
        await this.o.secrets.set(vaultSecretAccount(vault.id), password);
        this.memory.delete(vault.id);
      } catch {
        // The keychain refused: held in memory until lock; the account's directory keeps it too.
      }
    }
    this.passwordsChanged();
  }

  /** Where the job process finds the vault's repository (with the device token for account storage). */
  async repoLocation(vault: Vault): Promise<RepoLocation> {
    return vault.type === 'local'
      ? { kind: 'local', path: vault.path }
      : this.o.accountStorage.locationFor(vault);
  }

  /**
   * Where each vault's repository is now (without tokens), for ending the sessions of places no vault
   * uses any more. An account vault this computer cannot reach now (signed in elsewhere) has none.
   */
  async places(): Promise<RepoPlace[]> {
    const out: RepoPlace[] = [];
    for (const vault of this.list()) {
      const place = await this.placeOf(vault).catch(() => null);
      if (place) out.push(place);
    }
    return out;
  }

  private async placeOf(vault: Vault): Promise<RepoPlace> {
    const location = await this.repoLocation(vault);
    return location.kind === 'local'
      ? { kind: 'local', path: location.path }
      : { kind: 'account', url: location.url };
  }

  private async endSession(vault: Vault): Promise<void> {
    if (!this.o.sessions) return;
    const place: RepoPlace =
      vault.type === 'local'
        ? { kind: 'local', path: vault.path }
        : await this.placeOf(vault).catch(() => ({
            kind: 'account' as const,
            url: accountRepositoryUrl(vault.serverUrl, vault.username, vault.repository),
          }));
    await this.o.sessions.endAt(place);
  }

  /** An account-storage vault's storage use and quota, from its server. */
  storageUsage(vaultId: string): Promise<AccountStorageUsage> {
    const vault = this.find(vaultId);
    if (vault.type !== 'account') {
      throw new ServiceError('bad_request', `The vault "${vault.name}" is a folder, not account storage.`);
    }
    return this.o.accountStorage.usage(vault);
  }

  rename(vaultId: string, name: string): VaultView {
    this.find(vaultId);
    const config = this.o.config.update((c) => {
      const v = c.vaults.find((x) => x.id === vaultId)!;
      v.name = name;
    });
    return this.view(config.vaults.find((v) => v.id === vaultId)!);
  }

  /** Forgets the vault and its password; the repository and its backups stay where they are. */
  async remove(vaultId: string): Promise<void> {
    const vault = this.find(vaultId);
    const users = this.o.config.get().items.filter((i) => i.vaultId === vaultId);
    if (users.length > 0) {
      const names = users.map((i) => `"${i.name}"`).join(', ');
      throw new ServiceError(
        'conflict',
        `This vault is used by ${names}. Remove those protected items or move them to another vault first.`,
      );
    }
    this.o.config.update((c) => {
      c.vaults = c.vaults.filter((v) => v.id !== vaultId);
    });
    this.memory.delete(vaultId);
    await this.endSession(vault);
    await this.o.secrets.delete(vaultSecretAccount(vaultId)).catch(() => false);
  }

  /** Checks the password against the repository, then holds it in memory until the app locks. */
  async enterPassword(vaultId: string, password: string): Promise<VaultView> {
    const vault = this.find(vaultId);
    const place = vaultPlace(vault);
    const id = await this.repositoryId({ op: 'open', repo: await this.repoLocation(vault), password }, place);
    if (id !== vault.repositoryId) {
      throw new ServiceError(
        'conflict',
        `The repository ${place} is not the one this vault was created with (its id changed).`,
      );
    }
    this.memory.set(vaultId, password);
    this.passwordsChanged();
    return this.view(vault);
  }

  /** The app locked: passwords that are not kept on this computer are forgotten. */
  forgetEnteredPasswords(): void {
    this.memory.clear();
  }

  async get(vaultId: string): Promise<string | null> {
    const remembered = this.memory.get(vaultId);
    if (remembered !== undefined) return remembered;
    const vault = this.list().find((v) => v.id === vaultId);
    if (!vault?.passwordStored) return null;
    return this.o.secrets.get(vaultSecretAccount(vaultId));
  }

  missingReason(vaultId: string): string {
    const vault = this.list().find((v) => v.id === vaultId);
    if (!vault) return 'The storage vault no longer exists.';
    return vault.passwordStored
      ? `The password of the vault "${vault.name}" is not in this computer's keychain. Unlock Strongroom and enter it for the vault.`
      : `Waiting for the password of the vault "${vault.name}": it is not kept on this computer. Unlock Strongroom and enter it for the vault.`;
  }

  onPasswordsChanged(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private passwordsChanged(): void {
    for (const l of [...this.listeners]) l();
  }

  private async repositoryId(request: JobRequest, place: string): Promise<string> {
    const outcome = await this.o.runner.run(
      request,
      { onProgress: () => {}, onLog: () => {} },
      new AbortController().signal,
    );
    if (outcome.status !== 'success') throw engineError(outcome, place);
    return outcomeValue(outcome, request.op === 'init' ? 'init' : 'open').repositoryId;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * An engine outcome that failed, as words a person acts on. `place` says where the repository is,
 * as it follows "the backup repository": "in /media/backup", "in the account storage "photos" on …".
 */
export function engineError(outcome: JobOutcome, place: string): ServiceError {
  switch (outcome.errorCode) {
    case 'WRONG_PASSWORD':
      return new ServiceError(
        'wrong_password',
        `That password does not open the backup repository ${place}.`,
      );
    case 'NO_REPOSITORY':
      return new ServiceError('not_found', `There is no Strongroom backup repository ${place}.`);
    case 'REPOSITORY_EXISTS':
      return new ServiceError(
        'conflict',
        `There is already a backup repository ${place}. Add it as an existing vault.`,
      );
    case 'LOCKED':
      return new ServiceError(
        'conflict',
        `The repository ${place} is busy (locked by another backup). Try again later.`,
      );
    case 'UNREACHABLE':
      return new ServiceError('unreachable', outcome.message);
    default:
      return new ServiceError('internal', outcome.message || `The repository ${place} could not be used.`);
  }
}

/** An absolute, normalised folder path; refuses relative ones with the field's words. */
export function checkedFolder(raw: string): string {
  if (!isAbsolutePath(raw) || !path.isAbsolute(raw)) {
    throw new ServiceError('bad_request', 'Use a full path (for example /media/backup/strongroom).');
  }
  return path.resolve(raw);
}

/** "new": the folder is made if missing (its parent must exist); an existing one must be an empty folder. */
function prepareNewRepositoryFolder(folder: string): void {
  let stat: fs.Stats | null = null;
  try {
    stat = fs.statSync(folder);
  } catch {
    // does not exist yet
  }
  if (stat) {
    if (!stat.isDirectory()) throw new ServiceError('conflict', `${folder} is a file, not a folder.`);
    if (fs.readdirSync(folder).length > 0) {
      throw new ServiceError(
        'conflict',
        `${folder} is not empty. Choose an empty or new folder for a new vault, or add this one as an existing vault.`,
      );
    }
    return;
  }
  if (!isDirectory(path.dirname(folder))) {
    throw new ServiceError('not_found', `The folder ${path.dirname(folder)} does not exist.`);
  }
  try {
    fs.mkdirSync(folder, { mode: 0o700 });
  } catch {
    throw new ServiceError('conflict', `Strongroom cannot create the folder ${folder} (no permission?).`);
  }
}

function checkExistingRepositoryFolder(folder: string): void {
  if (!isDirectory(folder)) {
    throw new ServiceError('not_found', `There is no folder ${folder}, so no backup repository there.`);
  }
  if (fs.readdirSync(folder).length === 0) {
    throw new ServiceError(
      'not_found',
      `${folder} is empty: there is no backup repository there. Create a new vault instead.`,
    );
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
