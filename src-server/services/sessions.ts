import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Device } from '../../src-shared/http-api';
import type { Db } from '../db/database';
import type { Clock } from './clock';
import { LastSeen } from './last-seen';
import type { ServerKey } from './server-key';
import { ServiceError } from './service-error';

export const SESSION_IDLE_MS = 30 * 60 * 1000;
export const SESSION_MAX_MS = 12 * 60 * 60 * 1000;

// Bearer tokens say their scope in a prefix, so one lookup knows which table to ask.
const SESSION_TOKEN_PREFIX = 'srs_';
const DEVICE_TOKEN_PREFIX = 'srd_';

export interface SessionRow {
  id_hash: string;
  account_id: number;
  kind: 'cookie' | 'bearer';
  device_id: string | null;
  created_at: number;
  last_seen_at: number;
  /**
   * When this session passed a full sign-in (password and, with TOTP on, a code; or a TOTP
   * enrolment confirmed in it). Null for one that has not, e.g. held at enrolment by --require-totp.
   */
  full_at: number | null;
  /** The computer (installation id) a desktop signed in from; null for the panel. */
  computer_id: string | null;
}

export interface DeviceRow {
  id: string;
  account_id: number;
  name: string;
  token_hash: string;
  created_at: number;
  last_seen_at: number | null;
  revoked_at: number | null;
  revoked_reason: string | null;
  /** 'storage': a named token made in the panel for command-line storage use (restic). */
  kind: 'device' | 'storage';
  /** A storage token made from a desktop session: the device it belongs to (revoked with it). */
  creator_device_id: string | null;
  /** The computer a device signed in from; null for storage tokens and older devices. */
  computer_id: string | null;
  /** The name the owner gave it in the panel, if any (kept by the computer's later sign-ins). */
  custom_name: string | null;
}

/** Why a sign-in was ended for the account, told to whoever presents its token afterwards. */
export type EndReason = 'password_changed';

const PASSWORD_CHANGED_MESSAGE =
  'The password of this account was changed, which signed out every device and session. Sign in again with the new password.';

/** 256 random bits, URL-safe. */
function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens are 256-bit random, so one fast hash suffices: a stolen table yields no usable token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * Sign-in sessions (panel cookies and desktop session-scope bearer tokens) and per-device
 * tokens (device scope). Only hashes are stored.
 */
export class SessionStore {
  /** Uses not yet written; flushLastSeen() writes them (the server calls it every few seconds). */
  readonly lastSeen: LastSeen;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly key: ServerKey,
  ) {
    this.lastSeen = new LastSeen(db);
  }

  /** `full`: opened by a full sign-in (see SessionRow.full_at). */
  create(
    accountId: number,
    kind: 'cookie' | 'bearer',
    deviceId: string | null,
    full: boolean,
    computerId: string | null = null,
  ): { token: string; row: SessionRow } {
    const token = (kind === 'bearer' ? SESSION_TOKEN_PREFIX : '') + newSecretToken();
    const now = this.clock.now();
    const row: SessionRow = {
      id_hash: hashToken(token),
      account_id: accountId,
      kind,
      device_id: deviceId,
      created_at: now,
      last_seen_at: now,
      full_at: full ? now : null,
      computer_id: computerId,
    };
    this.db
      .prepare(
        'INSERT INTO sessions (id_hash, account_id, kind, device_id, created_at, last_seen_at, full_at, computer_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        row.id_hash,
        row.account_id,
        row.kind,
        row.device_id,
        row.created_at,
        row.last_seen_at,
        row.full_at,
        row.computer_id,
      );
    return { token, row };
  }

  /** The session has now passed a full sign-in (a TOTP enrolment confirmed in it, or a reauthentication). */
  markFull(idHash: string): void {
    this.db.prepare('UPDATE sessions SET full_at = ? WHERE id_hash = ?').run(this.clock.now(), idHash);
  }

  expiresAt(row: SessionRow): number {
    return Math.min(row.last_seen_at + SESSION_IDLE_MS, row.created_at + SESSION_MAX_MS);
  }

  /**
   * Finds a live session and marks it used (in memory); an idle or too-old one is refused, and
   * left for the sweep: checking a token writes nothing.
   */
  resume(token: string, kind: 'cookie' | 'bearer'): SessionRow {
    const row = this.db
      .prepare<[string, string], SessionRow>('SELECT * FROM sessions WHERE id_hash = ? AND kind = ?')
      .get(hashToken(token), kind);
    if (!row) {
      const ended = this.db
        .prepare<[string], { reason: EndReason }>('SELECT reason FROM ended_sessions WHERE id_hash = ?')
        .get(hashToken(token));
      if (ended) throw new ServiceError(ended.reason, PASSWORD_CHANGED_MESSAGE);
      throw new ServiceError('not_signed_in', 'Please sign in.');
    }
    const now = this.clock.now();
    const used = {
      ...row,
      last_seen_at: Math.max(row.last_seen_at, this.lastSeen.pendingSession(row.id_hash) ?? 0),
    };
    if (now >= this.expiresAt(used)) {
      throw new ServiceError('session_expired', 'Your session has expired. Please sign in again.');
    }
    this.lastSeen.session(row.id_hash, now);
    return { ...used, last_seen_at: now };
  }

  end(token: string): void {
    const idHash = hashToken(token);
    this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(idHash);
    this.lastSeen.forgetSession(idHash);
  }

  /** Writes the batched last-seen times; false (and they are kept) if the database refused. */
  flushLastSeen(): boolean {
    return this.lastSeen.flush();
  }

  /** Ends every session of the account but the one given (device tokens stay). */
  endOthers(accountId: number, keepIdHash: string): void {
    this.db.prepare('DELETE FROM sessions WHERE account_id = ? AND id_hash != ?').run(accountId, keepIdHash);
  }

  /**
   * After a password change (its own, a temporary one replaced, a forgotten one, the
   * administrator's reset): every session of the account but `keepIdHash` (the one that made the
   * change; null when none stays) ends, and every device and storage token is revoked, each
   * remembering why, so its next request is told "password changed" rather than "sign in".
   */
  endAllForPasswordChange(accountId: number, keepIdHash: string | null): void {
    const now = this.clock.now();
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT OR REPLACE INTO ended_sessions (id_hash, account_id, reason, ended_at)
           SELECT id_hash, account_id, 'password_changed', ? FROM sessions WHERE account_id = ? AND id_hash IS NOT ?`,
        )
        .run(now, accountId, keepIdHash);
      this.db
        .prepare('DELETE FROM sessions WHERE account_id = ? AND id_hash IS NOT ?')
        .run(accountId, keepIdHash);
      this.db
        .prepare(
          "UPDATE devices SET revoked_at = ?, revoked_reason = 'password_changed' WHERE account_id = ? AND revoked_at IS NULL",
        )
        .run(now, accountId);
    })();
  }

  /**
   * Ties a session that had no device to one registered from it, as device sign-in ties its own
   * session: revoking the device then ends that session too.
   */
  linkDevice(idHash: string, deviceId: string): void {
    this.db
      .prepare('UPDATE sessions SET device_id = ? WHERE id_hash = ? AND device_id IS NULL')
      .run(deviceId, idHash);
  }

  /** The CSRF token belongs to the session: a keyed hash of its id, so nothing more is stored. */
  csrfToken(sessionToken: string): string {
    return this.key.mac('csrf', sessionToken);
  }

  csrfMatches(sessionToken: string, presented: string | undefined): boolean {
    if (typeof presented !== 'string') return false;
    const expected = Buffer.from(this.csrfToken(sessionToken));
    const given = Buffer.from(presented);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  static isDeviceBearer(token: string): boolean {
    return token.startsWith(DEVICE_TOKEN_PREFIX);
  }

  // ---- devices ----------------------------------------------------------------------

  /** Issues a device token (backup work: /api/device/* and the storage). */
  createDevice(
    accountId: number,
    name: string,
    computerId: string | null = null,
  ): { id: string; token: string } {
    return this.insertDevice(accountId, name, 'device', null, computerId);
  }

  /**
   * Issues a storage token: the same machinery as a device token, listed apart (made in the panel
   * for restic, never signed in) and reaching only the storage. `creatorDeviceId`: the device of
   * the session that made it, so revoking that device revokes it too.
   */
  createStorageToken(
    accountId: number,
    name: string,
    creatorDeviceId: string | null,
  ): { id: string; token: string } {
    return this.insertDevice(accountId, name, 'storage', creatorDeviceId, null);
  }

  private insertDevice(
    accountId: number,
    name: string,
    kind: DeviceRow['kind'],
    creatorDeviceId: string | null,
    computerId: string | null,
  ): { id: string; token: string } {
    const id = randomBytes(12).toString('base64url');
    const token = DEVICE_TOKEN_PREFIX + newSecretToken();
    const now = this.clock.now();
    // A computer the owner renamed keeps that name when it signs in again (every unlock does).
    const customName = computerId === null ? null : this.customName(accountId, computerId);
    this.db
      .prepare(
        `INSERT INTO devices (id, account_id, name, token_hash, created_at, last_seen_at, kind, creator_device_id, computer_id, custom_name)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        accountId,
        customName ?? name,
        hashToken(token),
        now,
        kind === 'storage' ? null : now,
        kind,
        creatorDeviceId,
        computerId,
        customName,
      );
    return { id, token };
  }

  /** What a device of `computerId` is called: the name its owner gave that computer, else `name`. */
  nameForComputer(accountId: number, computerId: string, name: string): string {
    return this.customName(accountId, computerId) ?? name;
  }

  private customName(accountId: number, computerId: string): string | null {
    return (
      this.db
        .prepare<[number, string], { custom_name: string }>(
          `SELECT custom_name FROM devices WHERE account_id = ? AND computer_id = ? AND custom_name IS NOT NULL
           ORDER BY created_at DESC, rowid DESC LIMIT 1`,
        )
        .get(accountId, computerId)?.custom_name ?? null
    );
  }

  /**
   * Names a live device as its owner chose, with every sign-in of the same computer (earlier ones,
   * so its job reports read alike, and later ones). Answers the name it had.
   */
  renameDevice(accountId: number, deviceId: string, name: string): string {
    return this.db.transaction(() => {
      const row = this.db
        .prepare<[string, number], DeviceRow>(
          "SELECT * FROM devices WHERE id = ? AND account_id = ? AND kind = 'device' AND revoked_at IS NULL",
        )
        .get(deviceId, accountId);
      if (!row) throw new ServiceError('not_found', 'No such device.');
      if (row.computer_id === null) {
        this.db
          .prepare('UPDATE devices SET name = ?, custom_name = ? WHERE id = ?')
          .run(name, name, deviceId);
      } else {
        this.db
          .prepare(
            "UPDATE devices SET name = ?, custom_name = ? WHERE account_id = ? AND computer_id = ? AND kind = 'device'",
          )
          .run(name, name, accountId, row.computer_id);
      }
      return row.name;
    })();
  }

  /**
   * Whether the computer of `device` signed in again after it: a live device of the same
   * computer, issued later. Such a device ending its own token is a sign-in replacing it.
   */
  replacedBySameComputer(device: DeviceRow): boolean {
    if (device.computer_id === null) return false;
    return (
      this.db
        .prepare<[number, string, number, string], { n: number }>(
          `SELECT COUNT(*) AS n FROM devices WHERE account_id = ? AND computer_id = ? AND kind = 'device'
           AND revoked_at IS NULL AND created_at >= ? AND id != ?`,
        )
        .get(device.account_id, device.computer_id, device.created_at, device.id)!.n > 0
    );
  }

  /** Finds a live device or storage token and marks it used (in memory: no write). */
  resumeDevice(token: string): DeviceRow {
    const row = this.db
      .prepare<[string], DeviceRow>('SELECT * FROM devices WHERE token_hash = ?')
      .get(hashToken(token));
    if (row?.revoked_reason === 'password_changed') {
      throw new ServiceError('password_changed', PASSWORD_CHANGED_MESSAGE);
    }
    if (!row || row.revoked_at !== null)
      throw new ServiceError('not_signed_in', 'This device is not signed in.');
    const now = this.clock.now();
    this.lastSeen.device(row.id, now);
    return { ...row, last_seen_at: now };
  }

  deviceName(id: string): string | null {
    return (
      this.db.prepare<[string], { name: string }>('SELECT name FROM devices WHERE id = ?').get(id)?.name ??
      null
    );
  }

  listDevices(accountId: number, kind: DeviceRow['kind'] = 'device'): Device[] {
    return this.db
      .prepare<[number, string], DeviceRow>(
        'SELECT * FROM devices WHERE account_id = ? AND kind = ? AND revoked_at IS NULL ORDER BY created_at DESC, id',
      )
      .all(accountId, kind)
      .map((d) => {
        const lastSeen = Math.max(d.last_seen_at ?? 0, this.lastSeen.pendingDevice(d.id) ?? 0);
        return {
          id: d.id,
          name: d.name,
          computerId: d.computer_id,
          createdAt: new Date(d.created_at).toISOString(),
          lastSeenAt: lastSeen === 0 ? null : new Date(lastSeen).toISOString(),
        };
      });
  }

  /**
   * Revokes a device or storage token. A device takes with it the sessions opened by its sign-in
   * and the storage tokens made from those sessions: whoever held them loses them with the device.
   */
  revokeDevice(accountId: number, deviceId: string, kind: DeviceRow['kind'] = 'device'): DeviceRow {
    return this.db.transaction(() => {
      const row = this.db
        .prepare<[string, number, string], DeviceRow>(
          'SELECT * FROM devices WHERE id = ? AND account_id = ? AND kind = ? AND revoked_at IS NULL',
        )
        .get(deviceId, accountId, kind);
      if (!row) throw new ServiceError('not_found', 'No such device.');
      const now = this.clock.now();
      this.db.prepare('UPDATE devices SET revoked_at = ? WHERE id = ?').run(now, deviceId);
      this.db
        .prepare(
          "UPDATE devices SET revoked_at = ? WHERE creator_device_id = ? AND kind = 'storage' AND revoked_at IS NULL",
        )
        .run(now, deviceId);
      this.db.prepare('DELETE FROM sessions WHERE device_id = ?').run(deviceId);
      return row;
    })();
  }

  /**
   * Drops sessions a day past their limits, so the table does not grow; recently expired ones
   * stay a while so a returning person is told "session expired" rather than "sign in".
   */
  sweep(): void {
    this.flushLastSeen();
    const cutoff = this.clock.now() - 24 * 60 * 60 * 1000;
    this.db
      .prepare('DELETE FROM sessions WHERE last_seen_at <= ? OR created_at <= ?')
      .run(cutoff - SESSION_IDLE_MS, cutoff - SESSION_MAX_MS);
    // By then any session it ended would have expired anyway.
    this.db.prepare('DELETE FROM ended_sessions WHERE ended_at <= ?').run(cutoff - SESSION_MAX_MS);
  }
}
