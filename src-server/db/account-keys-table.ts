/**
 * Every SQL statement on the rows the server keeps for an account's keys without being able to
 * read them: the wraps of the account master key, the vault directory, the computer profiles,
 * and the forgotten-password flow's tickets. Blobs arrive here already sealed with the server key;
 * the conditions that make a version check and its write one step live here.
 */
import type { Db } from './database';

export type WrapKind = 'password' | 'recovery' | 'device';

export interface WrapRow {
  account_id: number;
  kind: WrapKind;
  /** '' for the password and recovery wraps. */
  computer_id: string;
  generation: number;
  wrap_sealed: string;
  proof_mac: string | null;
  written_at: number;
}

export interface ArchivedWrapRow {
  account_id: number;
  key_id: string;
  generation: number;
  wrap_sealed: string;
  archived_at: number;
}

export interface SealedRow {
  account_id: number;
  /** The vault id or the computer id. */
  row_id: string;
  version: number;
  sealed: string;
  updated_at: number;
  deleted_at: number | null;
}

export type SealedTable = 'vault_directory' | 'computer_profiles';
const ROW_ID: Record<SealedTable, string> = { vault_directory: 'vault_id', computer_profiles: 'computer_id' };

export interface TicketRow {
  ticket_hash: string;
  account_id: number;
  generation: number;
  expires_at: number;
  used_at: number | null;
}

export class AccountKeysTable {
  constructor(private readonly db: Db) {}

  // ---- wraps --------------------------------------------------------------------------------

  wraps(accountId: number): WrapRow[] {
    return this.db
      .prepare<[number], WrapRow>(
        'SELECT * FROM account_wraps WHERE account_id = ? ORDER BY kind, computer_id',
      )
      .all(accountId);
  }

  wrap(accountId: number, kind: WrapKind, computerId = ''): WrapRow | undefined {
    return this.db
      .prepare<[number, string, string], WrapRow>(
        'SELECT * FROM account_wraps WHERE account_id = ? AND kind = ? AND computer_id = ?',
      )
      .get(accountId, kind, computerId);
  }

  putWrap(row: WrapRow): void {
    this.db
      .prepare(
        `INSERT INTO account_wraps (account_id, kind, computer_id, generation, wrap_sealed, proof_mac, written_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id, kind, computer_id) DO UPDATE SET generation = excluded.generation,
           wrap_sealed = excluded.wrap_sealed, proof_mac = excluded.proof_mac, written_at = excluded.written_at`,
      )
      .run(
        row.account_id,
        row.kind,
        row.computer_id,
        row.generation,
        row.wrap_sealed,
        row.proof_mac,
        row.written_at,
      );
  }

  deleteWrap(accountId: number, kind: WrapKind, computerId = ''): boolean {
    return (
      this.db
        .prepare('DELETE FROM account_wraps WHERE account_id = ? AND kind = ? AND computer_id = ?')
        .run(accountId, kind, computerId).changes === 1
    );
  }

  deleteAllWraps(accountId: number): void {
    this.db.prepare('DELETE FROM account_wraps WHERE account_id = ?').run(accountId);
  }

  // ---- recovery wraps of replaced keys ("start fresh") ----------------------------------------

  /** Keeps a replaced key's recovery wrap (already sealed with the server key), once per key id. */
  archiveRecoveryWrap(row: ArchivedWrapRow): void {
    this.db
      .prepare(
        `INSERT INTO archived_recovery_wraps (account_id, key_id, generation, wrap_sealed, archived_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .run(row.account_id, row.key_id, row.generation, row.wrap_sealed, row.archived_at);
  }

  archivedRecoveryWraps(accountId: number): ArchivedWrapRow[] {
    return this.db
      .prepare<[number], ArchivedWrapRow>(
        'SELECT * FROM archived_recovery_wraps WHERE account_id = ? ORDER BY archived_at DESC, key_id',
      )
      .all(accountId);
  }

  // ---- directory and profiles ---------------------------------------------------------------

  rows(table: SealedTable, accountId: number): SealedRow[] {
    return this.db
      .prepare<[number], SealedRow>(
        `SELECT account_id, ${ROW_ID[table]} AS row_id, version, sealed, updated_at, deleted_at FROM ${table} WHERE account_id = ? ORDER BY ${ROW_ID[table]}`,
      )
      .all(accountId);
  }

  row(table: SealedTable, accountId: number, rowId: string): SealedRow | undefined {
    return this.db
      .prepare<[number, string], SealedRow>(
        `SELECT account_id, ${ROW_ID[table]} AS row_id, version, sealed, updated_at, deleted_at FROM ${table} WHERE account_id = ? AND ${ROW_ID[table]} = ?`,
      )
      .get(accountId, rowId);
  }

  /**
   * Writes version `row.version` only over version - 1 (or no row, for version 1); a delete keeps
   * the row and its sealed value and marks it. False: another write came first.
   */
  writeRow(table: SealedTable, row: SealedRow): boolean {
    const id = ROW_ID[table];
    if (row.version === 1) {
      return (
        this.db
          .prepare(
            `INSERT INTO ${table} (account_id, ${id}, version, sealed, updated_at, deleted_at)
             VALUES (?, ?, 1, ?, ?, ?) ON CONFLICT DO NOTHING`,
          )
          .run(row.account_id, row.row_id, row.sealed, row.updated_at, row.deleted_at).changes === 1
      );
    }
    return (
      this.db
        .prepare(
          `UPDATE ${table} SET version = ?, sealed = ?, updated_at = ?, deleted_at = ?
           WHERE account_id = ? AND ${id} = ? AND version = ?`,
        )
        .run(
          row.version,
          row.sealed,
          row.updated_at,
          row.deleted_at,
          row.account_id,
          row.row_id,
          row.version - 1,
        ).changes === 1
    );
  }

  /** The newest backup report of any device signed in from this computer (ms), or null. */
  lastBackupAt(accountId: number, computerId: string): number | null {
    return (
      this.db
        .prepare<[number, string], { at: number | null }>(
          `SELECT MAX(r.received_at) AS at FROM job_reports r JOIN devices d ON d.id = r.device_id
           WHERE r.account_id = ? AND d.computer_id = ? AND json_extract(r.report, '$.kind') = 'backup'`,
        )
        .get(accountId, computerId)?.at ?? null
    );
  }

  // ---- forgotten-password tickets -----------------------------------------------------------

  insertTicket(row: Omit<TicketRow, 'used_at'>): void {
    this.db
      .prepare(
        'INSERT INTO recovery_tickets (ticket_hash, account_id, generation, expires_at) VALUES (?, ?, ?, ?)',
      )
      .run(row.ticket_hash, row.account_id, row.generation, row.expires_at);
  }

  /** Uses a live ticket up: the conditional UPDATE is the single use. Undefined if unknown, used or expired. */
  useTicket(ticketHash: string, now: number): TicketRow | undefined {
    const used = this.db
      .prepare(
        'UPDATE recovery_tickets SET used_at = ? WHERE ticket_hash = ? AND used_at IS NULL AND expires_at > ?',
      )
      .run(now, ticketHash, now);
    if (used.changes !== 1) return undefined;
    return this.db
      .prepare<[string], TicketRow>('SELECT * FROM recovery_tickets WHERE ticket_hash = ?')
      .get(ticketHash);
  }

  sweepTickets(before: number): void {
    this.db.prepare('DELETE FROM recovery_tickets WHERE expires_at < ?').run(before);
  }
}
