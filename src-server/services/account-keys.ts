/**
 * The rows of an account's keys the server keeps and cannot read (docs/security-model.md): the
 * account master key (AMK) wrapped by the password, the recovery key and remembered computers'
 * device keys; the vault directory; the computer profiles. Every credential change is one
 * transaction whose compare-and-swap on the account's generation lets exactly one of two
 * concurrent changes through; directory and profile rows do the same with their version. Every
 * blob is sealed once more with the server key, its context naming table, account and row.
 *
 * Who may call what (fresh or full session, this computer's own session, never the panel for a
 * write) is the gate's and the routes' business; this checks what the rows must be.
 */
import type { z } from 'zod';
import {
  passwordKdf,
  type DeviceWrap,
  type DirectoryVaultRow,
  type PasswordKdf,
  type PasswordWrap,
  type ProfileRow,
  type RecoveryWrap,
} from '../../src-shared/account-keys';
import type {
  AccountKeys as AccountKeysView,
  AccountDirectory,
  ArchivedAccountKeys,
  createAccountKeysInput,
  deviceWrapInput,
  putDirectoryRowInput,
  replaceAccountKeysInput,
  rewrapPasswordInput,
} from '../../src-shared/account-keys-api';
import type { CredentialColumns } from '../db/accounts-table';
import type { AccountKeysTable, SealedRow, SealedTable, WrapKind, WrapRow } from '../db/account-keys-table';
import type { Db } from '../db/database';
import type { AccountRecords, AccountRow } from './account-records';
import type { AuditLog, RequestContext } from './audit-log';
import { parseKdf, type AuthKeys } from './auth-keys';
import type { Clock } from './clock';
import type { ServerKey } from './server-key';
import { ServiceError } from './service-error';

export interface AccountKeysDeps {
  db: Db;
  clock: Clock;
  key: ServerKey;
  authKeys: AuthKeys;
  accounts: AccountRecords;
  keyRows: AccountKeysTable;
  audit: AuditLog;
}

type Wrap = PasswordWrap | RecoveryWrap | DeviceWrap;

export class AccountKeys {
  constructor(private readonly d: AccountKeysDeps) {}

  /** Drops forgotten-password tickets past their ten minutes (also done at each new ticket). */
  sweep(): void {
    this.d.keyRows.sweepTickets(this.d.clock.now());
  }

  // ---- reading -------------------------------------------------------------------------------

  /** The account's wraps; a device wrap only for `computerId` (the asking session's computer). */
  read(account: AccountRow, computerId: string | null): AccountKeysView {
    const rows = this.d.keyRows.wraps(account.id);
    const find = (kind: WrapKind, computer = '') =>
      rows.find((r) => r.kind === kind && r.computer_id === computer);
    const device = computerId === null ? undefined : find('device', computerId);
    return {
      accountUid: account.account_uid,
      generation: account.key_generation,
      keyId: account.key_id,
      passwordWrap: this.openWrap<PasswordWrap>(account, find('password')),
      passwordWrapCurrent: account.password_wrap_current === 1,
      recoveryWrap: this.openWrap<RecoveryWrap>(account, find('recovery')),
      deviceWrap: this.openWrap<DeviceWrap>(account, device),
    };
  }

  /** The recovery wrap and the MAC of its proof (the forgotten-password flow). */
  recovery(account: AccountRow): { wrap: RecoveryWrap | null; proofMac: string | null } {
    const row = this.d.keyRows.wrap(account.id, 'recovery');
    return { wrap: this.openWrap<RecoveryWrap>(account, row), proofMac: row?.proof_mac ?? null };
  }

  // ---- credential changes (generation compare-and-swap) --------------------------------------

  /** The first AMK, made by the app: password, recovery and (optionally) this computer's device wraps at generation + 1. */
  create(
    account: AccountRow,
    computerId: string | null,
    input: z.output<typeof createAccountKeysInput>,
    ctx: RequestContext,
  ): { generation: number } {
    if (account.key_id !== null) {
      throw new ServiceError('keys_exist', 'This account already has its key: unlock with it instead.');
    }
    const at = input.generation + 1;
    this.checkNewKeyRows(account, computerId, input, at);
    this.change(account, input.generation, { key_id: input.keyId, password_wrap_current: 1 }, () =>
      this.putNewKeyRows(account, input),
    );
    this.d.audit.record(account.id, 'account_key_created', ctx);
    return { generation: at };
  }

  /**
   * "Start fresh" (the caller checked the password and code again): a new AMK at generation + 1,
   * only while the password wrap is not current (after a reset, nothing else recovered the old
   * key). Every old wrap goes, except the recovery wrap, archived under the old key id: the old
   * recovery kit still opens the old key, and with it the old vaults' rows, which stay.
   */
  replace(
    account: AccountRow,
    computerId: string | null,
    input: z.output<typeof replaceAccountKeysInput>,
    ctx: RequestContext,
  ): { generation: number } {
    this.requireKey(account);
    if (account.password_wrap_current === 1) {
      throw new ServiceError(
        'keys_exist',
        "This account's key still opens with its password: starting fresh is only for after a reset.",
      );
    }
    const at = input.generation + 1;
    this.checkNewKeyRows(account, computerId, input, at);
    // One transaction: the key id archived is the one the compare-and-swap replaces.
    this.d.db
      .transaction(() => {
        const oldKeyId = this.d.accounts.byId(account.id)?.key_id ?? null;
        const old = this.d.keyRows.wrap(account.id, 'recovery');
        this.change(account, input.generation, { key_id: input.keyId, password_wrap_current: 1 }, () => {
          if (old && oldKeyId !== null) this.archive(account, oldKeyId, old);
          this.d.keyRows.deleteAllWraps(account.id);
          this.putNewKeyRows(account, input);
        });
      })
      .immediate();
    this.d.audit.record(account.id, 'account_key_replaced', ctx);
    return { generation: at };
  }

  /** The recovery wraps of keys replaced by "start fresh", newest first. */
  archived(account: AccountRow): ArchivedAccountKeys {
    return {
      accountUid: account.account_uid,
      archived: this.d.keyRows.archivedRecoveryWraps(account.id).map((row) => ({
        keyId: row.key_id,
        recoveryWrap: JSON.parse(
          this.d.key.decrypt(row.wrap_sealed, archivedContext(account, row.key_id)).toString('utf8'),
        ) as RecoveryWrap,
        archivedAt: row.archived_at,
      })),
    };
  }

  private archive(account: AccountRow, keyId: string, row: WrapRow): void {
    const wrap = this.openWrap<RecoveryWrap>(account, row)!;
    this.d.keyRows.archiveRecoveryWrap({
      account_id: account.id,
      key_id: keyId,
      generation: row.generation,
      wrap_sealed: this.d.key.encrypt(Buffer.from(JSON.stringify(wrap)), archivedContext(account, keyId)),
      archived_at: this.d.clock.now(),
    });
  }

  private checkNewKeyRows(
    account: AccountRow,
    computerId: string | null,
    input: z.output<typeof createAccountKeysInput>,
    at: number,
  ): void {
    this.checkPasswordWrap(account, input.passwordWrap, at);
    writtenAt(input.recovery.wrap, at);
    if (input.deviceWrap) this.checkDeviceWrap(computerId, input.deviceWrap.computerId, input.deviceWrap, at);
  }

  private putNewKeyRows(account: AccountRow, input: z.output<typeof createAccountKeysInput>): void {
    this.putWrap(account, input.passwordWrap);
    this.putWrap(account, input.recovery.wrap, input.recovery.proof);
    if (input.deviceWrap) this.putWrap(account, input.deviceWrap);
  }

  /** After a reset: the AMK wrapped by the current password (its kdf is the account's). */
  rewrapPassword(
    account: AccountRow,
    input: z.output<typeof rewrapPasswordInput>,
    ctx: RequestContext,
  ): { generation: number } {
    this.requireKey(account);
    // Over a current wrap, a bad one would stop the key opening with the password everywhere.
    if (account.password_wrap_current === 1) {
      throw new ServiceError(
        'keys_exist',
        "This account's key already opens with its password: it is re-wrapped only after a reset.",
      );
    }
    const at = input.generation + 1;
    this.checkPasswordWrap(account, input.passwordWrap, at);
    this.change(account, input.generation, { password_wrap_current: 1 }, () =>
      this.putWrap(account, input.passwordWrap),
    );
    this.d.audit.record(account.id, 'account_key_rewrapped', ctx);
    return { generation: at };
  }

  /** A new recovery key (the caller checked the password and code again): the old one stops working. */
  newRecoveryKey(
    account: AccountRow,
    input: { generation: number; recovery: { proof: string; wrap: RecoveryWrap } },
    ctx: RequestContext,
  ): { generation: number } {
    this.requireKey(account);
    const at = input.generation + 1;
    writtenAt(input.recovery.wrap, at);
    this.change(account, input.generation, {}, () =>
      this.putWrap(account, input.recovery.wrap, input.recovery.proof),
    );
    this.d.audit.record(account.id, 'recovery_key_changed', ctx);
    return { generation: at };
  }

  /** "Remember this computer": the AMK wrapped by its device key, only from that computer's own session. */
  putDeviceWrap(
    account: AccountRow,
    sessionComputerId: string | null,
    computerId: string,
    input: z.output<typeof deviceWrapInput>,
    ctx: RequestContext,
  ): { generation: number } {
    this.requireKey(account);
    const at = input.generation + 1;
    this.checkDeviceWrap(sessionComputerId, computerId, input.wrap, at);
    this.change(account, input.generation, {}, () => this.putWrap(account, input.wrap));
    this.d.audit.record(account.id, 'device_key_added', ctx);
    return { generation: at };
  }

  /** Forgets a computer's device key (this one's, or an old computer being revoked). */
  deleteDeviceWrap(account: AccountRow, computerId: string, ctx: RequestContext): void {
    if (this.d.keyRows.deleteWrap(account.id, 'device', computerId)) {
      this.d.audit.record(account.id, 'device_key_removed', ctx);
    }
  }

  /**
   * One credential change: `columns` and generation + 1 by compare-and-swap on `expected`, and
   * `write` in the same transaction; a temporary password can change nothing here (it never
   * wraps an AMK). Exactly one of two concurrent changes at the same generation gets through.
   */
  change(
    account: AccountRow,
    expected: number,
    columns: CredentialColumns,
    write: () => void,
    opts: { allowTemporary?: boolean } = {},
  ): void {
    const { db, accounts } = this.d;
    db.transaction(() => {
      if (
        !accounts.table.changeCredentials(account.id, expected, columns, {
          unlessTemporary: !opts.allowTemporary,
        })
      ) {
        const now = accounts.byId(account.id);
        if (now && now.key_generation === expected && now.password_temporary === 1) {
          throw new ServiceError(
            'password_change_required',
            'The administrator set this password: choose a new one before anything else.',
          );
        }
        throw generationConflict();
      }
      write();
    }).immediate();
  }

  /** Writes a wrap row (sealed again with the server key); a recovery wrap with its proof's MAC. */
  putWrap(account: AccountRow, wrap: Wrap, recoveryProof?: string): void {
    const computerId = wrap.kind === 'device' ? wrap.computerId : '';
    this.d.keyRows.putWrap({
      account_id: account.id,
      kind: wrap.kind,
      computer_id: computerId,
      generation: wrap.generation,
      wrap_sealed: this.d.key.encrypt(
        Buffer.from(JSON.stringify(wrap)),
        wrapContext(account, wrap.kind, computerId, wrap.generation),
      ),
      proof_mac:
        recoveryProof === undefined
          ? null
          : this.d.authKeys.recoveryProofMac(account.account_uid, recoveryProof),
      written_at: this.d.clock.now(),
    });
  }

  /** A new password wrap: at the generation it is written at, by the account's current password's kdf (or `kdf`). */
  checkPasswordWrap(account: AccountRow, wrap: PasswordWrap, at: number, kdf?: PasswordKdf): void {
    writtenAt(wrap, at);
    const expected = kdf ?? (account.auth_kdf === null ? null : parseKdf(account.auth_kdf));
    if (expected === null || !sameKdf(wrap.kdf, expected)) {
      throw new ServiceError(
        'bad_request',
        "The password wrap must be made with the password's own key-derivation settings and salt.",
      );
    }
  }

  private checkDeviceWrap(
    sessionComputerId: string | null,
    computerId: string,
    wrap: DeviceWrap,
    at: number,
  ) {
    if (sessionComputerId === null || sessionComputerId !== computerId) {
      throw new ServiceError('forbidden_scope', "Only a computer's own session may remember it.");
    }
    if (wrap.computerId !== computerId) {
      throw new ServiceError('bad_request', 'The device wrap names another computer.');
    }
    writtenAt(wrap, at);
  }

  private requireKey(account: AccountRow): void {
    if (account.key_id === null) {
      throw new ServiceError('not_found', 'This account has no key yet: the Strongroom app makes it first.');
    }
  }

  private openWrap<W extends Wrap>(account: AccountRow, row: WrapRow | undefined): W | null {
    if (!row) return null;
    const bytes = this.d.key.decrypt(
      row.wrap_sealed,
      wrapContext(account, row.kind, row.computer_id, row.generation),
    );
    return JSON.parse(bytes.toString('utf8')) as W;
  }

  // ---- directory and profiles (version compare-and-swap, soft deletes) ------------------------

  directory(account: AccountRow): AccountDirectory {
    return {
      accountUid: account.account_uid,
      vaults: this.d.keyRows.rows('vault_directory', account.id).map((r) => this.vaultView(account, r)),
      computers: this.d.keyRows
        .rows('computer_profiles', account.id)
        .map((r) => this.profileView(account, r)),
    };
  }

  putVault(
    account: AccountRow,
    vaultId: string,
    input: z.output<typeof putDirectoryRowInput>,
  ): DirectoryVaultRow {
    return this.vaultView(
      account,
      this.write('vault_directory', account, vaultId, input.version, input.sealed),
    );
  }

  deleteVault(account: AccountRow, vaultId: string, version: number): DirectoryVaultRow {
    return this.vaultView(account, this.write('vault_directory', account, vaultId, version, null));
  }

  /** Only the session's own computer writes its profile. */
  putProfile(
    account: AccountRow,
    sessionComputerId: string | null,
    computerId: string,
    input: z.output<typeof putDirectoryRowInput>,
  ): ProfileRow {
    if (sessionComputerId !== computerId) {
      throw new ServiceError('forbidden_scope', "Only a computer's own session writes its profile.");
    }
    return this.profileView(
      account,
      this.write('computer_profiles', account, computerId, input.version, input.sealed),
    );
  }

  /** Any computer's profile may be marked deleted (a takeover by another computer). */
  deleteProfile(account: AccountRow, computerId: string, version: number): ProfileRow {
    return this.profileView(account, this.write('computer_profiles', account, computerId, version, null));
  }

  /** `sealed` null: a soft delete, keeping the stored value. */
  private write(
    table: SealedTable,
    account: AccountRow,
    rowId: string,
    version: number,
    sealed: string | null,
  ): SealedRow {
    const { db, keyRows, clock, key } = this.d;
    return db
      .transaction(() => {
        const stored = keyRows.row(table, account.id, rowId);
        if (sealed === null && !stored) throw new ServiceError('not_found', 'There is no such row.');
        if (version !== (stored?.version ?? 0) + 1) throw versionConflict(stored?.version ?? 0);
        const now = clock.now();
        const value =
          sealed ??
          key.decrypt(stored!.sealed, rowContext(table, account, rowId, stored!.version)).toString('utf8');
        const row: SealedRow = {
          account_id: account.id,
          row_id: rowId,
          version,
          sealed: key.encrypt(Buffer.from(value), rowContext(table, account, rowId, version)),
          updated_at: now,
          deleted_at: sealed === null ? now : null,
        };
        if (!keyRows.writeRow(table, row)) throw versionConflict(stored?.version ?? 0);
        return row;
      })
      .immediate();
  }

  private opened(table: SealedTable, account: AccountRow, row: SealedRow): string {
    return this.d.key
      .decrypt(row.sealed, rowContext(table, account, row.row_id, row.version))
      .toString('utf8');
  }

  private vaultView(account: AccountRow, row: SealedRow): DirectoryVaultRow {
    return {
      vaultId: row.row_id,
      version: row.version,
      sealed: this.opened('vault_directory', account, row),
      updatedAt: iso(row.updated_at),
      deletedAt: row.deleted_at === null ? null : iso(row.deleted_at),
    };
  }

  private profileView(account: AccountRow, row: SealedRow): ProfileRow {
    const lastBackup = this.d.keyRows.lastBackupAt(account.id, row.row_id);
    return {
      computerId: row.row_id,
      version: row.version,
      sealed: this.opened('computer_profiles', account, row),
      updatedAt: iso(row.updated_at),
      deletedAt: row.deleted_at === null ? null : iso(row.deleted_at),
      lastBackupAt: lastBackup === null ? null : iso(lastBackup),
    };
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function wrapContext(account: AccountRow, kind: WrapKind, computerId: string, generation: number): string {
  return ['account_wraps', account.account_uid, kind, computerId, generation].join('\n');
}

function archivedContext(account: AccountRow, keyId: string): string {
  return ['archived_recovery_wraps', account.account_uid, keyId].join('\n');
}

function rowContext(table: SealedTable, account: AccountRow, rowId: string, version: number): string {
  return [table, account.account_uid, rowId, version].join('\n');
}

/** Each new wrap row carries the generation it is written at (bound in its associated data). */
export function writtenAt(wrap: { generation: number }, at: number): void {
  if (wrap.generation !== at) {
    throw new ServiceError('bad_request', `A new wrap row carries the generation it is written at (${at}).`);
  }
}

export function sameKdf(a: PasswordKdf, b: PasswordKdf): boolean {
  return JSON.stringify(passwordKdf.parse(a)) === JSON.stringify(passwordKdf.parse(b));
}

export function generationConflict(): ServiceError {
  return new ServiceError(
    'generation_conflict',
    "This account's credentials were changed meanwhile (by another computer or the administrator); nothing was changed. Read them again.",
  );
}

function versionConflict(stored: number): ServiceError {
  return new ServiceError(
    'version_conflict',
    `This row was changed meanwhile: its version is ${stored}, and a write must name ${stored + 1}.`,
  );
}
