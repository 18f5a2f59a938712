import type { AuditEvent, AuditEventKind } from '../../src-shared/http-api';
import type { Db } from '../db/database';
import type { Clock } from './clock';

/** Who is asking: the client address (proxy-aware), which client, which device. */
export interface RequestContext {
  address: string;
  client: 'panel' | 'desktop' | 'admin';
  device: string | null;
}

export const ADMIN_CONTEXT: RequestContext = { address: 'local', client: 'admin', device: null };

export const AUDIT_LIMIT = 200;
/** Events are kept this long (long enough to look back over a year of sign-ins). */
export const AUDIT_RETENTION_MS = 400 * 24 * 60 * 60 * 1000;

/** Per-account record of sign-ins and security changes, newest first. */
export class AuditLog {
  private readonly insert;
  private readonly select;
  private readonly prune;

  constructor(
    db: Db,
    private readonly clock: Clock,
  ) {
    this.insert = db.prepare(
      'INSERT INTO audit_events (account_id, at, kind, address, client, device) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.select = db.prepare<
      [number, number],
      {
        at: number;
        kind: AuditEventKind;
        address: string;
        client: AuditEvent['client'];
        device: string | null;
      }
    >(
      'SELECT at, kind, address, client, device FROM audit_events WHERE account_id = ? ORDER BY id DESC LIMIT ?',
    );
    this.prune = db.prepare<[number]>('DELETE FROM audit_events WHERE at < ?');
  }

  /** Drops events past the retention period, so the table does not grow without bound. */
  sweep(): void {
    this.prune.run(this.clock.now() - AUDIT_RETENTION_MS);
  }

  record(accountId: number, kind: AuditEventKind, ctx: RequestContext): void {
    this.insert.run(accountId, this.clock.now(), kind, ctx.address, ctx.client, ctx.device);
  }

  list(accountId: number): AuditEvent[] {
    return this.select.all(accountId, AUDIT_LIMIT).map((e) => ({ ...e, at: new Date(e.at).toISOString() }));
  }
}
