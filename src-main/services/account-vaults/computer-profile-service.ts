/**
 * Computer profiles (docs/security-model.md, "Your account is your key"): each computer keeps its
 * own profile on the account server, sealed under the AMK (protected items with their exclusions,
 * schedules and retention; preferences; its vaults; its last backup), at version + 1 whenever its
 * backup configuration changes and after each backup. From the profiles and the vault directory a
 * new computer learns which computers have backups (account:computers) and can continue one of
 * them here (account:takeOver): its vaults added, its items and schedules made this computer's with
 * their folders mapped, and, if asked, the old computer ended (profile tombstone, device wrap and
 * device revoked).
 */
import fs from 'node:fs';
import { AccountKeyError, openProfile, sealProfile } from '../../../src-shared/account-crypto';
import type { ComputerProfile, ProfileRow } from '../../../src-shared/account-keys';
import type { AccountDirectory } from '../../../src-shared/account-keys-api';
import type { BackupConfig, ProtectedItem } from '../../../src-shared/backup-config';
import type { AccountComputersView, ComputerView, ProtectedItemView } from '../../../src-shared/ipc-contract';
import type { AccountClient } from '../account-client';
import type { BackupConfigStore } from '../backup/backup-config-store';
import type { VaultService } from '../backup/vault-service';
import type { AccountKeyHolder, Clock, UnlockedAccountKeys } from '../ports';
import { ServiceError } from '../service-error';
import type { DirectoryState } from './directory-state';
import { ownership, vaultsOf } from './vault-owner';
import {
  canonical,
  KeyedBackgroundRun,
  keyUnavailable,
  type VaultDirectoryService,
} from './vault-directory-service';

export type ProfileClient = Pick<
  AccountClient,
  'putProfile' | 'deleteProfile' | 'deleteDeviceWrap' | 'devices' | 'revokeDeviceById'
>;

/** One profile row as this computer reads it: the profile, or why it was refused. */
interface ProfileEntry {
  row: ProfileRow;
  profile: ComputerProfile | null;
  problem: string | null;
}

export interface ComputerProfileOptions {
  keys: AccountKeyHolder;
  client: ProfileClient;
  config: BackupConfigStore;
  directory: VaultDirectoryService;
  /** Re-keys the old computer's vaults when it is revoked. */
  vaults: Pick<VaultService, 'rekey'>;
  state: DirectoryState;
  clock: Clock;
  /** This computer's name as people know it. */
  computerName: string;
  platform: string;
  /** The end of the newest successful backup of an item, from the job history. */
  lastSuccessAt(itemId: string): string | null;
  /** Told after every job, so a backup's end updates the profile. */
  onJobEnded?(listener: (job: { kind: string; status: string }) => void): () => void;
  itemView(item: ProtectedItem): ProtectedItemView;
  log?: (message: string) => void;
}

export interface TakeOverInput {
  computerId: string;
  pathMap: { from: string; to: string }[];
  revokeOld: boolean;
}

/** Proves the person is there (password and code again) before another computer is ended. */
export type ConfirmRevoke = () => Promise<unknown>;

export class ComputerProfileService {
  /** What this computer last wrote (its profile without the time), so unchanged config writes nothing. */
  private written: string | null = null;
  private readonly writeRun = new KeyedBackgroundRun(
    () => this.o.keys.current(),
    (keys) => this.writeOwnOnce(keys),
    (message) => this.o.log?.(`this computer's profile not written: ${message}`),
  );
  private readonly disposers: (() => void)[] = [];

  constructor(private readonly o: ComputerProfileOptions) {}

  start(): void {
    this.disposers.push(
      this.o.keys.onChange((keys) => {
        this.written = null;
        if (keys) void this.writeOwn();
      }),
      this.o.config.onChange(() => {
        if (this.o.keys.current()) void this.writeOwn();
      }),
    );
    if (this.o.onJobEnded) {
      this.disposers.push(
        this.o.onJobEnded((job) => {
          const ran = job.status === 'success' || job.status === 'warning';
          if (job.kind === 'backup' && ran && this.o.keys.current()) void this.writeOwn();
        }),
      );
    }
  }

  dispose(): void {
    for (const d of this.disposers.splice(0)) d();
  }

  /** This computer's profile as it is now. */
  ownProfile(keys: UnlockedAccountKeys, config: BackupConfig = this.o.config.get()): ComputerProfile {
    const last = config.items
      .map((i) => this.o.lastSuccessAt(i.id))
      .filter((t): t is string => t !== null)
      .sort()
      .pop();
    return {
      computerId: keys.computerId,
      computerName: this.o.computerName.slice(0, 255) || 'This computer',
      platform: this.o.platform.slice(0, 32),
      items: config.items,
      preferences: config.preferences,
      updatedAt: new Date(this.o.clock.now()).toISOString(),
      vaultIds: config.vaults.map((v) => v.id),
      lastBackupAt: last ?? null,
    };
  }

  /**
   * Writes this computer's profile when it changed since the last write of this unlock. One at a
   * time; never rejects (a failure is logged and the next change tries again).
   */
  writeOwn(): Promise<void> {
    return this.writeRun.run();
  }

  private async writeOwnOnce(keys: UnlockedAccountKeys): Promise<void> {
    // This computer's items, folders and schedules go only to the account that owns its vaults.
    const config = this.o.config.get();
    if (config.vaults.some((v) => ownership(v, keys) === 'foreign')) return;
    const profile = this.ownProfile(keys, config);
    const { updatedAt: _, ...unchanging } = profile;
    const digest = canonical(unchanging);
    if (digest === this.written) return;
    if (this.o.state.profileVersion(keys.accountUid, keys.computerId) === 0 || this.written === null) {
      // The stored version is learnt from the directory (read at unlock, while the session is fresh).
      await this.readProfiles(keys).catch(() => null);
    }
    // Answers the version written (the compare-and-swap succeeded), never the answer's own number.
    const put = async (): Promise<number> => {
      const version = this.o.state.profileVersion(keys.accountUid, keys.computerId) + 1;
      const sealed = await sealProfile(keys.amk, profile, { accountUid: keys.accountUid, version });
      await this.o.client.putProfile(keys.serverUrl, keys.sessionToken, keys.computerId, { version, sealed });
      return version;
    };
    let written: number;
    try {
      written = await put();
    } catch (error) {
      if (!(error instanceof ServiceError) || error.code !== 'conflict') throw error;
      await this.readProfiles(keys);
      written = await put();
    }
    this.o.state.sawProfile(keys.accountUid, keys.computerId, written);
    this.written = digest;
  }

  /** Every profile row, opened and checked (older versions and rows that do not open are refused). */
  private async readProfiles(keys: UnlockedAccountKeys): Promise<{
    profiles: Map<string, ProfileEntry>;
    directory: Awaited<ReturnType<VaultDirectoryService['read']>>;
  }> {
    const directory = await this.o.directory.read(keys);
    const profiles = new Map<string, ProfileEntry>();
    for (const row of directory.raw.computers) profiles.set(row.computerId, await this.openRow(keys, row));
    return { profiles, directory };
  }

  private async openRow(
    keys: UnlockedAccountKeys,
    row: AccountDirectory['computers'][number],
  ): Promise<ProfileEntry> {
    const seen = this.o.state.profileVersion(keys.accountUid, row.computerId);
    if (row.version < seen) {
      return {
        row,
        profile: null,
        problem: `The account server answered an older profile (version ${row.version}) of a computer than this computer has seen (version ${seen}); it was refused.`,
      };
    }
    // A tombstone keeps the old sealed value under a newer version: it no longer opens, it is gone.
    // Its version is not remembered: nothing authenticates it, and one forged high version would
    // make every genuine row "older" for good.
    if (row.deletedAt !== null) return { row, profile: null, problem: null };
    try {
      const profile = await openProfile(keys.amk, row, { accountUid: keys.accountUid });
      // Remembered only once the row opened under this account's key for this version.
      this.o.state.sawProfile(keys.accountUid, row.computerId, row.version);
      return { row, profile, problem: null };
    } catch (error) {
      if (!(error instanceof AccountKeyError) && !(error instanceof SyntaxError) && !isZodError(error)) {
        throw error;
      }
      return {
        row,
        profile: null,
        problem: `The account server's profile of the computer ${row.computerId} does not open with this account's key (made for another computer or account, or changed); it was refused.`,
      };
    }
  }

  /** True when the directory holds vaults this computer does not have ("This account has backups…"). */
  async offerRestore(): Promise<boolean> {
    const keys = this.o.keys.current();
    if (!keys) return false;
    const { entries } = await this.o.directory.read(keys);
    return this.o.directory.views(entries).some((v) => !v.onThisComputer);
  }

  /** account:computers: which computers have backups, their vaults, and the vaults not here yet. */
  async computers(): Promise<AccountComputersView> {
    const keys = this.requireKeys();
    const { profiles, directory } = await this.readProfiles(keys);
    const vaults = this.o.directory.views(directory.entries);
    const computers: ComputerView[] = [];
    for (const { row, profile } of profiles.values()) {
      if (!profile) continue;
      const lastBackupAt = [row.lastBackupAt, profile.lastBackupAt ?? null]
        .filter((t): t is string => t !== null)
        .sort()
        .pop();
      computers.push({
        computerId: row.computerId,
        name: profile.computerName,
        isThisComputer: row.computerId === keys.computerId,
        lastBackupAt: lastBackupAt ?? null,
        vaultIds: vaultIdsOf(profile),
        itemCount: profile.items.length,
        hasProfile: true,
      });
    }
    if (!computers.some((c) => c.isThisComputer)) {
      const config = this.o.config.get();
      const mine = vaultsOf(config.vaults, keys).map((v) => v.id);
      computers.push({
        computerId: keys.computerId,
        name: this.o.computerName || 'This computer',
        isThisComputer: true,
        lastBackupAt: null,
        vaultIds: mine,
        itemCount: config.items.filter((i) => mine.includes(i.vaultId)).length,
        hasProfile: false,
      });
    }
    computers.sort(
      (a, b) =>
        Number(b.isThisComputer) - Number(a.isThisComputer) ||
        (b.lastBackupAt ?? '').localeCompare(a.lastBackupAt ?? '') ||
        a.name.localeCompare(b.name),
    );
    for (const p of profiles.values()) if (p.problem) this.o.log?.(p.problem);
    return { thisComputerId: keys.computerId, computers, vaults };
  }

  /**
   * "Continue <computer>'s backups on this computer". Nothing is taken while a folder is missing
   * here (returned in `missingPaths`) or a drive vault of that computer is not connected yet. With
   * `revokeOld`, `confirmRevoke` runs once those checks pass and before anything changes, so a
   * missing folder does not spend the person's code; without it nothing is ended.
   */
  async takeOver(
    input: TakeOverInput,
    confirmRevoke?: ConfirmRevoke,
  ): Promise<{ items: ProtectedItemView[]; missingPaths: string[] }> {
    const keys = this.requireKeys();
    if (input.computerId === keys.computerId) {
      throw new ServiceError('bad_request', 'That is this computer: there is nothing to take over.');
    }
    const { profiles, directory } = await this.readProfiles(keys);
    const entry = profiles.get(input.computerId);
    if (entry?.problem) throw new ServiceError('conflict', entry.problem);
    const profile = entry?.profile;
    if (!entry || !profile) {
      throw new ServiceError('not_found', 'That computer has no backups in this account (any more).');
    }

    const mapped = profile.items.map((item) => ({
      ...item,
      paths: item.paths.map((p) => mapPath(p, input.pathMap) ?? p),
    }));
    const missingPaths = profile.items.flatMap((item, i) =>
      item.paths.filter((_, j) => !fs.existsSync(mapped[i]!.paths[j]!)),
    );
    if (missingPaths.length > 0) return { items: [], missingPaths: [...new Set(missingPaths)] };

    const config = this.o.config.get();
    const here = new Set(config.vaults.map((v) => v.id));
    const needed = [...new Set([...vaultIdsOf(profile), ...profile.items.map((i) => i.vaultId)])].filter(
      (id) => !here.has(id),
    );
    const drives: string[] = [];
    for (const id of needed) {
      const e = directory.entries.get(id);
      if (e?.problem) throw new ServiceError('conflict', e.problem);
      if (!e?.record || e.deleted) {
        if (profile.items.some((i) => i.vaultId === id)) {
          throw new ServiceError(
            'not_found',
            "A vault that computer backs up to is not in this account's directory; nothing was taken.",
          );
        }
        continue;
      }
      if (e.record.location.kind === 'local') drives.push(e.record.name);
    }
    if (drives.length > 0) {
      throw new ServiceError(
        'conflict',
        `Connect the drive that holds ${drives.map((d) => `"${d}"`).join(', ')} first, then continue; nothing was taken.`,
      );
    }
    if (input.revokeOld) {
      if (!confirmRevoke) {
        throw new ServiceError('bad_request', 'Enter your password to stop backups from the other computer.');
      }
      await confirmRevoke();
    }
    if (needed.length > 0) {
      const addable = needed.filter((id) => directory.entries.get(id)?.record);
      await this.o.directory.addVaults(addable);
    }

    const existing = new Set(this.o.config.get().items.map((i) => i.id));
    const taken = mapped.filter((i) => !existing.has(i.id));
    const updated = this.o.config.update((c) => void c.items.push(...taken));

    if (input.revokeOld) {
      await this.endComputer(keys, entry.row);
      await this.rekeyVaults(vaultIdsOf(profile));
    }
    const ids = new Set(taken.map((i) => i.id));
    return {
      items: updated.items.filter((i) => ids.has(i.id)).map((i) => this.o.itemView(i)),
      missingPaths: [],
    };
  }

  /**
   * Every vault the ended computer used gets a new password (its keychain held the old one), and the
   * directory the new records. Each is tried; failures are said together at the end.
   */
  private async rekeyVaults(vaultIds: string[]): Promise<void> {
    const here = new Map(this.o.config.get().vaults.map((v) => [v.id, v.name]));
    const failed: string[] = [];
    for (const id of vaultIds) {
      if (!here.has(id)) continue;
      try {
        await this.o.vaults.rekey(id);
      } catch (error) {
        failed.push(`"${here.get(id)}" (${(error as Error).message})`);
      }
    }
    await this.o.directory.sync();
    if (failed.length > 0) {
      throw new ServiceError(
        'internal',
        `The old computer was ended and its items taken, but these vaults keep their old password: ${failed.join('; ')}. Its keychain may still hold it.`,
      );
    }
  }

  /** The old computer's profile ends (tombstone), its device wrap goes and its devices are revoked. */
  private async endComputer(keys: UnlockedAccountKeys, row: ProfileRow): Promise<void> {
    const version = Math.max(row.version, this.o.state.profileVersion(keys.accountUid, row.computerId)) + 1;
    await this.o.client.deleteProfile(keys.serverUrl, keys.sessionToken, row.computerId, version);
    this.o.state.sawProfile(keys.accountUid, row.computerId, version);
    await this.o.client.deleteDeviceWrap(keys.serverUrl, keys.sessionToken, row.computerId);
    const { devices } = await this.o.client.devices(keys.serverUrl, keys.sessionToken);
    for (const d of devices) {
      if (d.computerId === row.computerId) {
        await this.o.client.revokeDeviceById(keys.serverUrl, keys.sessionToken, d.id);
      }
    }
  }

  private requireKeys(): UnlockedAccountKeys {
    const keys = this.o.keys.current();
    if (!keys) throw keyUnavailable();
    return keys;
  }
}

function vaultIdsOf(profile: ComputerProfile): string[] {
  return [...new Set([...(profile.vaultIds ?? []), ...profile.items.map((i) => i.vaultId)])];
}

/** `p` under the longest matching `from`, moved under its `to`; null when no entry maps it. */
export function mapPath(p: string, pathMap: { from: string; to: string }[]): string | null {
  const sorted = [...pathMap].sort((a, b) => b.from.length - a.from.length);
  for (const { from, to } of sorted) {
    const f = from.replace(/[\\/]+$/, '');
    const t = to.replace(/[\\/]+$/, '');
    if (f === '') continue;
    if (p === f) return t;
    // The rest of the path takes the target's separator (a Windows computer's folders mapped here).
    const sep = t.includes('\\') && !t.includes('/') ? '\\' : '/';
    if (p.startsWith(`${f}\\`)) return t + p.slice(f.length).replace(/\\/g, sep);
    if (p.startsWith(`${f}/`)) return t + p.slice(f.length).replace(/\//g, sep);
  }
  return null;
}

function isZodError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ZodError';
}
