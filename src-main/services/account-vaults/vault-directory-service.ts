/**
 * The account's vault directory on this computer (docs/security-model.md, "Your account is your
 * key"). While the AMK is available, every vault of this computer has its row on the server: a
 * vault record (kind, repository id, name, location hints, repository password) sealed under the
 * AMK at version + 1, written when the vault is created, renamed, or first seen without a row (an
 * existing vault joins with its current password); a vault removed here has its row soft-deleted.
 * Every vault also gets its account slot in its own repository, and a folder vault the drive
 * envelope, through the job process (which is given the vault slot key and the envelope MAC key,
 * never the AMK).
 *
 * The server is not trusted with what it answers: a row that does not open under this account's
 * key for its own vault id and version (moved from another vault or account, changed), a version
 * older than one this computer has seen, or a record naming another repository than the vault's is
 * refused with words, and nothing is written over it.
 */
import fs from 'node:fs';
import {
  AccountKeyError,
  keyIdOf,
  openVaultRecord,
  parseRecoveryKey,
  recoveryKeys,
  unwrapAmk,
  sealVaultRecord,
  toBase64url,
  vaultSlotKey,
  envelopeMacKey,
} from '../../../src-shared/account-crypto';
import type { VaultRecord } from '../../../src-shared/account-keys';
import type { AccountDirectory, AccountKeys } from '../../../src-shared/account-keys-api';
import type { Vault } from '../../../src-shared/backup-config';
import type { DirectoryVaultView, LockedVaultView, VaultView } from '../../../src-shared/ipc-contract';
import type { EngineEnvelope } from '../../../src-shared/repository-key-files';
import type { AccountClient } from '../account-client';
import type { BackupConfigStore } from '../backup/backup-config-store';
import type { EngineRunner } from '../backup/engine-runner';
import { vaultPlace } from '../../../src-shared/repo-location';
import { checkedFolder, engineError, type VaultService } from '../backup/vault-service';
import type { AccountKeyHolder, RestoreOffer, UnlockedAccountKeys } from '../ports';
import { ServiceError } from '../service-error';
import type { DirectoryState } from './directory-state';
import { ownerOf, ownership } from './vault-owner';

/** The calls of AccountClient this service makes. */
export type DirectoryClient = Pick<
  AccountClient,
  'directory' | 'putDirectoryRow' | 'deleteDirectoryRow' | 'accountKeys'
> &
  Partial<Pick<AccountClient, 'archivedAccountKeys'>>;

/** One directory row as this computer reads it: its record, or why it was refused. */
export interface DirectoryEntry {
  vaultId: string;
  version: number;
  deleted: boolean;
  record: VaultRecord | null;
  /** Why the row was refused (then `record` is null); null for a good or deleted row. */
  problem: string | null;
  /** Refused because it does not open with the account's current key (made before it started fresh, or changed). */
  locked?: boolean;
}

export interface VaultDirectoryOptions {
  keys: AccountKeyHolder;
  client: DirectoryClient;
  config: BackupConfigStore;
  vaults: VaultService;
  runner: EngineRunner;
  state: DirectoryState;
  /** This computer's name, kept in records as where a vault was made and where a drive was. */
  hostName: string;
  /** Whether the account's server is the embedded local one (the password wrap's default). */
  serverIsLocal(serverUrl: string): boolean;
  /** Builds an added vault's catalogue in the background (Restore's search). */
  catalogue?: { update(vaultId: string, rebuild: boolean, trigger: 'catch-up'): unknown };
  log?: (message: string) => void;
}

export const keyUnavailable = () =>
  new ServiceError(
    'key_unavailable',
    "This account's key is not available on this computer now: unlock Strongroom with the account's password.",
  );

export class VaultDirectoryService implements RestoreOffer {
  /** The directory as last read in this unlock, so writes go on when a read needs a fresh session. */
  private entries = new Map<string, DirectoryEntry>();
  private wraps: AccountKeys | null = null;
  /** Per vault, the record and envelope generation its repository holds (checked this unlock). */
  private readonly slotsDone = new Map<string, string>();
  private readonly problemList = new Map<string, string>();
  private readonly syncRun = new KeyedBackgroundRun(
    () => this.o.keys.current(),
    (keys) => this.syncOnce(keys),
    (message) => this.o.log?.(`vault directory not brought up to date: ${message}`),
  );
  private readonly disposers: (() => void)[] = [];

  constructor(private readonly o: VaultDirectoryOptions) {}

  start(): void {
    this.disposers.push(
      this.o.keys.onChange((keys) => {
        this.entries = new Map();
        this.wraps = null;
        this.slotsDone.clear();
        this.problemList.clear();
        if (keys) void this.sync();
      }),
      this.o.config.onChange(() => {
        if (this.o.keys.current()) void this.sync();
      }),
      // A new kit or password in this unlock: the wrap rows are read again and every drive envelope
      // rewritten over the lower generation, so the old recovery key or password stops opening it.
      this.o.keys.onGenerationChange?.(() => {
        this.wraps = null;
        this.slotsDone.clear();
        if (this.o.keys.current()) void this.sync();
      }) ?? (() => {}),
      // A vault whose password was not at hand joins once it is entered.
      this.o.vaults.onPasswordsChanged(() => {
        if (this.o.keys.current()) void this.sync();
      }),
    );
  }

  dispose(): void {
    for (const d of this.disposers.splice(0)) d();
  }

  /** RestoreOffer: the directory holds vaults this computer does not have (false when it cannot tell). */
  async hasVaultsElsewhere(keys: UnlockedAccountKeys): Promise<boolean> {
    try {
      const { entries } = await this.read(keys);
      return this.views(entries).some((v) => !v.onThisComputer);
    } catch (error) {
      this.o.log?.(`vault directory not read: ${(error as Error).message}`);
      return false;
    }
  }

  /**
   * The account's vaults whose rows do not open with its current key: after "start fresh", the
   * vaults made before, kept on the server (never deleted or written over) for the old kit.
   */
  async lockedVaults(): Promise<{ vaults: LockedVaultView[] }> {
    const keys = this.requireKeys();
    const { entries, raw } = await this.read(keys);
    const updated = new Map(raw.vaults.map((r) => [r.vaultId, r.updatedAt]));
    const names = new Map(this.o.config.get().vaults.map((v) => [v.id, v.name]));
    const vaults = [...entries.values()]
      .filter((e) => e.locked && !e.deleted)
      .map((e) => ({
        vaultId: e.vaultId,
        name: names.get(e.vaultId) ?? null,
        updatedAt: updated.get(e.vaultId)!,
      }));
    return { vaults: vaults.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)) };
  }

  /**
   * The account recovery kit of a key the account had before it started fresh, found again: it
   * opens that key's archived recovery wrap, and with it the locked rows; their account-storage
   * vaults are added here (a drive vault opens with "Open a drive with a recovery key" and the
   * same kit). The old key stays in this call only. The rows stay as they are on the server.
   */
  async openLocked(
    recoveryKeyText: string,
  ): Promise<{ added: VaultView[]; drives: string[]; failed: { vaultId: string; reason: string }[] }> {
    const keys = this.requireKeys();
    if (!this.o.client.archivedAccountKeys)
      throw new ServiceError('internal', 'Not available in this version.');
    let typed: Uint8Array;
    try {
      typed = await parseRecoveryKey(recoveryKeyText);
    } catch (error) {
      if (error instanceof AccountKeyError) throw new ServiceError('bad_request', error.message);
      throw error;
    }
    const rk = await recoveryKeys(typed);
    typed.fill(0);
    rk.proof.fill(0);
    let oldAmk: Uint8Array | null = null;
    try {
      const archived = await this.o.client.archivedAccountKeys(keys.serverUrl, keys.sessionToken);
      if (archived.accountUid !== keys.accountUid) {
        throw new ServiceError(
          'conflict',
          "The account server answered another account's keys; nothing was used.",
        );
      }
      for (const a of archived.archived) {
        try {
          oldAmk = await unwrapAmk(
            a.recoveryWrap.sealed,
            rk.wrapKey,
            {
              accountUid: keys.accountUid,
              kind: 'recovery',
              generation: a.recoveryWrap.generation,
              keyId: a.keyId,
            },
            a.keyId,
          );
          break;
        } catch (error) {
          if (!(error instanceof AccountKeyError)) throw error;
        }
      }
    } finally {
      rk.wrapKey.fill(0);
    }
    if (!oldAmk) {
      throw new ServiceError(
        'wrong_password',
        'That recovery key opens none of the keys this account had before it started fresh. Nothing was added.',
      );
    }
    try {
      const raw = await this.o.client.directory(keys.serverUrl, keys.sessionToken);
      const here = new Set(this.o.config.get().vaults.map((v) => v.id));
      const added: VaultView[] = [];
      const drives: string[] = [];
      const failed: { vaultId: string; reason: string }[] = [];
      for (const row of raw.vaults) {
        if (row.deletedAt !== null || here.has(row.vaultId)) continue;
        // An older row than this computer has seen is a replay: not used.
        if (row.version < this.o.state.vaultVersion(keys.accountUid, row.vaultId)) continue;
        let record: VaultRecord;
        try {
          record = await openVaultRecord(oldAmk, row, { accountUid: keys.accountUid });
        } catch {
          continue; // sealed with another key: not this kit's
        }
        if (record.location.kind === 'local') {
          drives.push(record.name);
          continue;
        }
        // One vault that does not open any more does not keep the others from being added.
        try {
          added.push(await this.adoptAccountVault(keys, record, record.location.repository));
        } catch (error) {
          const reason = error instanceof ServiceError ? error.message : 'It could not be added.';
          failed.push({ vaultId: row.vaultId, reason: `“${record.name}”: ${reason}` });
        }
      }
      return { added, drives, failed };
    } finally {
      oldAmk.fill(0);
    }
  }

  /** The directory as last read in this unlock (a read needs a fresh session; this does not). */
  lastRead(): Map<string, DirectoryEntry> {
    return new Map(this.entries);
  }

  /** Rows refused this unlock, in words (vault id → why). */
  problems(): Map<string, string> {
    return new Map(this.problemList);
  }

  /**
   * Brings the directory and the repositories' account entries up to date with this computer's
   * vaults. Runs one at a time; calls while one waits join it. Resolves when done (never rejects:
   * what failed is logged and tried again at the next change or unlock).
   */
  sync(): Promise<void> {
    return this.syncRun.run();
  }

  /** The directory read now (fresh session), each row opened and checked. */
  async read(
    keys: UnlockedAccountKeys,
  ): Promise<{ entries: Map<string, DirectoryEntry>; raw: AccountDirectory }> {
    const raw = await this.o.client.directory(keys.serverUrl, keys.sessionToken);
    if (raw.accountUid !== keys.accountUid) {
      throw new ServiceError(
        'conflict',
        "The account server answered another account's directory; nothing was changed.",
      );
    }
    const entries = new Map<string, DirectoryEntry>();
    for (const row of raw.vaults) {
      const entry = await this.openRow(keys, row);
      entries.set(row.vaultId, entry);
      if (entry.problem) this.problemList.set(row.vaultId, entry.problem);
      else this.problemList.delete(row.vaultId);
    }
    this.entries = entries;
    return { entries, raw };
  }

  private async openRow(
    keys: UnlockedAccountKeys,
    row: AccountDirectory['vaults'][number],
  ): Promise<DirectoryEntry> {
    const base = { vaultId: row.vaultId, version: row.version, deleted: row.deletedAt !== null };
    const seen = this.o.state.vaultVersion(keys.accountUid, row.vaultId);
    if (row.version < seen) {
      return {
        ...base,
        record: null,
        problem: `The account server answered an older entry (version ${row.version}) for ${this.vaultWords(row.vaultId)} than this computer has seen (version ${seen}); it was refused and nothing was changed.`,
      };
    }
    // A deletion keeps the old sealed value under a newer version, so it no longer opens: it is gone.
    // Its version is not remembered: deletions are not sealed, and one forged high version would
    // make every genuine row "older" for good.
    if (base.deleted) return { ...base, record: null, problem: null };
    try {
      const record = await openVaultRecord(keys.amk, row, { accountUid: keys.accountUid });
      this.o.state.sawVault(keys.accountUid, row.vaultId, row.version);
      return { ...base, record, problem: null };
    } catch (error) {
      if (!(error instanceof AccountKeyError) && !(error instanceof SyntaxError) && !isZodError(error)) {
        throw error;
      }
      return {
        ...base,
        record: null,
        locked: true,
        problem: `The account server's entry for ${this.vaultWords(row.vaultId)} does not open with this account's key (it was made with the key the account had before it started fresh, or for another vault or another account, or changed); it was refused and nothing was changed.`,
      };
    }
  }

  /** "the vault "USB backup"" when this computer knows it, else its id. */
  private vaultWords(vaultId: string): string {
    let name: string | undefined;
    try {
      name = this.o.config.get().vaults.find((v) => v.id === vaultId)?.name;
    } catch {
      // An invalid configuration names nothing: the id says which row.
    }
    return name === undefined ? `the vault ${vaultId}` : `the vault "${name}"`;
  }

  private async syncOnce(keys: UnlockedAccountKeys): Promise<void> {
    await this.read(keys).catch((error: unknown) => {
      // Writes need only a full session; a stale one still writes from what was read at unlock.
      if (this.entries.size === 0) this.o.log?.(`vault directory not read: ${(error as Error).message}`);
    });
    if (!this.wraps) {
      this.wraps = await this.o.client.accountKeys(keys.serverUrl, keys.sessionToken).catch(() => null);
    }
    const vaults = this.claimed(keys);
    for (const vault of vaults) {
      try {
        await this.syncVault(keys, vault);
      } catch (error) {
        this.o.log?.(`vault "${vault.name}": account entry not written: ${(error as Error).message}`);
      }
    }
    const here = new Set(this.o.config.get().vaults.map((v) => v.id));
    for (const vaultId of this.o.state.joined(keys.accountUid)) {
      if (here.has(vaultId)) continue;
      const entry = this.entries.get(vaultId);
      if (entry && !entry.deleted && !entry.problem) {
        const version = this.nextVersion(keys, vaultId);
        await this.o.client.deleteDirectoryRow(keys.serverUrl, keys.sessionToken, vaultId, version);
        this.o.state.sawVault(keys.accountUid, vaultId, version);
        this.entries.set(vaultId, { ...entry, version, deleted: true, record: null });
      }
      this.o.state.setJoined(keys.accountUid, vaultId, false);
    }
  }

  /**
   * This computer's vaults that belong to the unlocked account, those it may claim now recorded as
   * its own first; another account's vaults are left out (they keep working for local backups).
   */
  private claimed(keys: UnlockedAccountKeys): Vault[] {
    const vaults = this.o.config.get().vaults;
    const mine = vaults.filter((v) => ownership(v, keys) !== 'foreign');
    const owner = ownerOf(keys);
    // Claimable vaults have no owner yet; an owner recorded by the embedded server's address of the
    // moment becomes "this computer's server".
    const claim = new Set(mine.filter((v) => v.owner?.server !== owner.server).map((v) => v.id));
    if (claim.size === 0) return mine;
    const updated = this.o.config.update((c) => {
      for (const v of c.vaults) {
        if (!claim.has(v.id)) continue;
        v.owner = owner;
        if (v.type === 'local') delete v.pendingOwner;
      }
    });
    return updated.vaults.filter((v) => ownership(v, keys) === 'owned');
  }

  private nextVersion(keys: UnlockedAccountKeys, vaultId: string): number {
    const known = this.entries.get(vaultId)?.version ?? 0;
    return Math.max(known, this.o.state.vaultVersion(keys.accountUid, vaultId)) + 1;
  }

  private async syncVault(keys: UnlockedAccountKeys, vault: Vault): Promise<void> {
    const entry = this.entries.get(vault.id);
    if (entry?.locked) return this.coverLocked(keys, vault);
    if (entry?.problem) return; // refused: never written over
    if (entry?.record && entry.record.repositoryId !== vault.repositoryId) {
      this.problemList.set(
        vault.id,
        `The account server's entry for the vault "${vault.name}" names another repository than the one on this computer; it was refused and nothing was changed.`,
      );
      return;
    }
    let password = await this.o.vaults.get(vault.id);
    const listed = entry && !entry.deleted ? entry.record?.repositoryPassword : undefined;
    // Another computer re-keyed the vault (or this one does not hold its password): the directory's
    // password is taken only if it opens the vault's own repository; else this computer's is written.
    if (listed !== undefined && listed !== password) {
      const adopted = await this.o.vaults.adoptPassword(vault.id, listed);
      if (adopted === 'adopted') password = listed;
      // Not known which is right until the repository answers: the directory is left as it is.
      if (adopted === 'unknown') return;
    }
    if (password === null) return; // joins once its password is entered
    const record = recordOf(vault, password, this.o.hostName, entry?.record ?? null);
    if (!entry || entry.deleted || !entry.record || canonical(entry.record) !== canonical(record)) {
      await this.putRow(keys, vault.id, record);
    }
    this.o.state.setJoined(keys.accountUid, vault.id, true);
    await this.writeAccountEntry(keys, vault, password, record);
  }

  /**
   * A row that does not open with the account's key (after "start fresh", sealed with the key it
   * had before) of a vault whose password this computer holds: the vault is covered by the key the
   * person holds now too. Its account slot (and drive envelope) of the current key first, which also
   * proves the password opens the vault, then a row the current key opens in place of the locked
   * one. The old key's account slot stays; a drive's envelope (one per account) becomes the current
   * key's, so the current kit is the one that opens that drive from now on.
   */
  private async coverLocked(keys: UnlockedAccountKeys, vault: Vault): Promise<void> {
    const password = await this.o.vaults.get(vault.id);
    if (password === null) return; // stays locked until its password is entered
    const record = recordOf(vault, password, this.o.hostName, null);
    await this.writeAccountEntry(keys, vault, password, record);
    await this.putRow(keys, vault.id, record);
    this.problemList.delete(vault.id);
    this.o.state.setJoined(keys.accountUid, vault.id, true);
  }

  private async putRow(keys: UnlockedAccountKeys, vaultId: string, record: VaultRecord): Promise<void> {
    const version = this.nextVersion(keys, vaultId);
    const sealed = await sealVaultRecord(keys.amk, record, { accountUid: keys.accountUid, version });
    await this.o.client.putDirectoryRow(keys.serverUrl, keys.sessionToken, vaultId, { version, sealed });
    // The version written (the compare-and-swap succeeded), never the answer's: a forged number there
    // would make every genuine row "older" afterwards.
    this.o.state.sawVault(keys.accountUid, vaultId, version);
    this.entries.set(vaultId, { vaultId, version, deleted: false, record, problem: null });
  }

  /**
   * Why this vault's password may not be replaced now (null: it may). Its row must open with the
   * account's key for this vault's repository, so the new password has a durable place.
   */
  rekeyProblem(entry: DirectoryEntry | undefined, vault: Vault): string | null {
    if (entry?.locked) {
      return `The account's entry for the vault "${vault.name}" does not open with the account's key yet (it was made with the key the account had before it started fresh): try again once this computer has brought it up to date.`;
    }
    if (entry?.problem) return entry.problem;
    if (!entry || entry.deleted || !entry.record) {
      return `The vault "${vault.name}" is not in the account's directory yet, so its new password would have nowhere to be kept but this computer: try again once the account server is reachable.`;
    }
    if (entry.record.repositoryId !== vault.repositoryId) {
      return `The account server's entry for the vault "${vault.name}" names another repository than the one on this computer; its password is not replaced.`;
    }
    return null;
  }

  /**
   * The re-key's new password made durable before the old slot goes: the directory row and the
   * account slot (and drive envelope) written with it. Throws when either is not written.
   */
  async recordNewPassword(vaultId: string, newPassword: string): Promise<void> {
    const keys = await heldCopy(this.o.keys.current());
    if (!keys) throw keyUnavailable();
    try {
      const vault = this.o.config.get().vaults.find((v) => v.id === vaultId);
      if (!vault) throw new ServiceError('not_found', 'The storage vault no longer exists.');
      const { entries } = await this.read(keys);
      const entry = entries.get(vaultId);
      const problem = this.rekeyProblem(entry, vault);
      if (problem) throw new ServiceError('conflict', problem);
      const record = recordOf(vault, newPassword, this.o.hostName, entry!.record);
      await this.putRow(keys, vaultId, record);
      await this.writeAccountEntry(keys, vault, newPassword, record);
    } finally {
      keys.amk.fill(0);
    }
  }

  /** The account slot and (folder vaults) the drive envelope, once per record and generation. */
  private async writeAccountEntry(
    keys: UnlockedAccountKeys,
    vault: Vault,
    password: string,
    record: VaultRecord,
  ): Promise<void> {
    const envelope = vault.type === 'local' ? this.envelopeFor(keys, vault) : null;
    const done = `${canonical(record)}|${envelope?.generation ?? 0}|${envelope?.passwordWrap ? 1 : 0}`;
    if (this.slotsDone.get(vault.id) === done) return;
    const slotKey = await vaultSlotKey(keys.amk);
    const macKey = envelope ? await envelopeMacKey(keys.amk) : null;
    const outcome = await this.o.runner.run(
      {
        op: 'accountSlot',
        repo: await this.o.vaults.repoLocation(vault),
        password,
        slotKey: toBase64url(slotKey),
        keyId: keys.keyId,
        record,
        envelope,
        envelopeMacKey: macKey ? toBase64url(macKey) : null,
      },
      {
        onProgress: () => {},
        // A drive envelope that did not verify was rewritten: that is worth a line in the log.
        onLog: (entry) => {
          if (entry.level !== 'info') this.o.log?.(`vault "${vault.name}": ${entry.message}`);
        },
      },
      new AbortController().signal,
    );
    slotKey.fill(0);
    macKey?.fill(0);
    if (outcome.status !== 'success') throw engineError(outcome, vaultPlace(vault));
    this.slotsDone.set(vault.id, done);
  }

  /** Exact copies of the server's wrap rows, the password wrap only where the person wants it. */
  private envelopeFor(
    keys: UnlockedAccountKeys,
    vault: Extract<Vault, { type: 'local' }>,
  ): EngineEnvelope | null {
    const w = this.wraps;
    if (!w || w.keyId !== keys.keyId || w.accountUid !== keys.accountUid || !w.recoveryWrap) return null;
    // The embedded server's default only for a drive this account made; another account's drive
    // gets the wrap only when the person turns it on (its holder could guess the password offline).
    const withPassword =
      vault.passwordWrapOnDrive ?? (!vault.openedWithOtherAccountKey && this.o.serverIsLocal(keys.serverUrl));
    return {
      version: 1,
      type: 'strongroom-envelope',
      created: new Date().toISOString(),
      server: new URL(keys.serverUrl).origin,
      username: keys.username,
      accountUid: keys.accountUid,
      keyId: keys.keyId,
      // The wraps' own generations (bound in their AD), never the server's unauthenticated top level.
      generation: Math.max(
        w.recoveryWrap.generation,
        withPassword && w.passwordWrapCurrent && w.passwordWrap ? w.passwordWrap.generation : 0,
      ),
      recoveryWrap: w.recoveryWrap,
      passwordWrap: withPassword && w.passwordWrapCurrent ? w.passwordWrap : null,
    };
  }

  // ---- a new computer: the directory's vaults added here ----

  /** What the directory holds, for account:computers (deleted and refused rows left out). */
  views(entries: Map<string, DirectoryEntry>): DirectoryVaultView[] {
    const here = new Set(this.o.config.get().vaults.map((v) => v.id));
    const out: DirectoryVaultView[] = [];
    for (const e of entries.values()) {
      if (!e.record || e.deleted) continue;
      out.push(viewOf(e.record, here.has(e.vaultId)));
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * "Restore files": account-storage vaults are added and usable at once (their password from the
   * record); drive vaults come back in `needFolder` (account:connectDrive adds them).
   */
  async addVaults(vaultIds: string[]): Promise<{ added: VaultView[]; needFolder: DirectoryVaultView[] }> {
    const keys = this.requireKeys();
    const { entries } = await this.read(keys);
    const here = new Set(this.o.config.get().vaults.map((v) => v.id));
    const records = vaultIds.map((id) => this.usableRecord(entries, id));
    const added: VaultView[] = [];
    const needFolder: DirectoryVaultView[] = [];
    for (const record of records) {
      if (here.has(record.vaultId)) continue;
      if (record.location.kind === 'local') {
        needFolder.push(viewOf(record, false));
        continue;
      }
      added.push(await this.adoptAccountVault(keys, record, record.location.repository));
    }
    return { added, needFolder };
  }

  /**
   * A drive vault of the directory, at the folder the person chose: opened with the record's
   * password and added only if its repository id is the record's ("That folder holds another vault").
   */
  async connectDrive(vaultId: string, folderPath: string): Promise<VaultView> {
    const keys = this.requireKeys();
    const { entries } = await this.read(keys);
    const record = this.usableRecord(entries, vaultId);
    if (record.location.kind !== 'local') {
      throw new ServiceError('bad_request', `The vault "${record.name}" is account storage, not a drive.`);
    }
    const folder = checkedFolder(folderPath);
    if (!isDirectory(folder)) {
      throw new ServiceError(
        'not_found',
        `There is no folder ${folder}. Connect the drive that holds "${record.name}".`,
      );
    }
    const vault: Vault = {
      id: record.vaultId,
      type: 'local',
      name: record.name,
      path: folder,
      repositoryId: record.repositoryId,
      passwordStored: false,
      createdAt: record.createdAt,
      owner: ownerOf(keys),
    };
    const view = await this.o.vaults.adopt(vault, record.repositoryPassword, record.name);
    this.buildCatalogue(vault.id);
    return view;
  }

  private usableRecord(entries: Map<string, DirectoryEntry>, vaultId: string): VaultRecord {
    const entry = entries.get(vaultId);
    if (entry?.problem) throw new ServiceError('conflict', entry.problem);
    if (!entry?.record || entry.deleted) {
      throw new ServiceError('not_found', "That vault is not in this account's directory (any more).");
    }
    return entry.record;
  }

  /** An account-storage vault of the directory added here, usable at once with its record's password. */
  private async adoptAccountVault(
    keys: UnlockedAccountKeys,
    record: VaultRecord,
    repository: string,
  ): Promise<VaultView> {
    const vault: Vault = {
      id: record.vaultId,
      type: 'account',
      name: record.name,
      serverUrl: new URL(keys.serverUrl).origin,
      username: keys.username,
      repository,
      repositoryId: record.repositoryId,
      passwordStored: false,
      createdAt: record.createdAt,
      owner: ownerOf(keys),
    };
    const view = await this.o.vaults.adopt(vault, record.repositoryPassword, record.name);
    this.buildCatalogue(vault.id);
    return view;
  }

  private buildCatalogue(vaultId: string): void {
    try {
      this.o.catalogue?.update(vaultId, false, 'catch-up');
    } catch (error) {
      this.o.log?.(`catalogue not queued: ${(error as Error).message}`);
    }
  }

  private requireKeys(): UnlockedAccountKeys {
    const keys = this.o.keys.current();
    if (!keys) throw keyUnavailable();
    return keys;
  }
}

/**
 * A copy of the held keys for one background run, checked against its key id: the holder zeroes
 * its AMK at lock, and a run still going then must never seal anything with zeros. The caller
 * zeroes the copy when done. Null when locked (or the key is already gone).
 */
export async function heldCopy(keys: UnlockedAccountKeys | null): Promise<UnlockedAccountKeys | null> {
  if (!keys) return null;
  const copy = { ...keys, amk: new Uint8Array(keys.amk) };
  if ((await keyIdOf(copy.amk)) !== keys.keyId) {
    copy.amk.fill(0);
    return null;
  }
  return copy;
}

/**
 * Background work on the held keys, one run at a time: calls while a run waits join it, each run
 * gets its own checked copy of the keys (zeroed after), and a failure is logged, never thrown, so
 * the next change or unlock tries again.
 */
export class KeyedBackgroundRun {
  private chain: Promise<void> = Promise.resolve();
  private pending = false;

  constructor(
    private readonly keys: () => UnlockedAccountKeys | null,
    private readonly work: (keys: UnlockedAccountKeys) => Promise<void>,
    private readonly failed: (message: string) => void,
  ) {}

  run(): Promise<void> {
    if (this.pending) return this.chain;
    this.pending = true;
    this.chain = this.chain.then(async () => {
      this.pending = false;
      const keys = await heldCopy(this.keys());
      if (!keys) return;
      try {
        await this.work(keys);
      } catch (error) {
        this.failed((error as Error).message);
      } finally {
        keys.amk.fill(0);
      }
    });
    return this.chain;
  }
}

/** The record this computer writes for a vault, keeping when and where it was first made. */
export function recordOf(
  vault: Vault,
  password: string,
  hostName: string,
  previous: VaultRecord | null,
): VaultRecord {
  return {
    vaultId: vault.id,
    name: vault.name,
    repositoryId: vault.repositoryId,
    repositoryPassword: password,
    location:
      vault.type === 'local'
        ? { kind: 'local', path: vault.path, host: hostName.slice(0, 255) }
        : { kind: 'account', repository: vault.repository },
    createdAt: previous?.createdAt ?? vault.createdAt,
    createdOn: previous?.createdOn ?? hostName.slice(0, 255),
  };
}

function viewOf(record: VaultRecord, onThisComputer: boolean): DirectoryVaultView {
  const local = record.location.kind === 'local';
  return {
    vaultId: record.vaultId,
    name: record.name,
    kind: record.location.kind,
    onThisComputer,
    locationHint: record.location.kind === 'local' ? record.location.path : null,
    needsFolder: local && !onThisComputer,
  };
}

/** Field by field, whatever order the keys were written in. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function isZodError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ZodError';
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
