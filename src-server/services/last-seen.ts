/**
 * When each session and device was last used, kept in memory and written in batches. Checking a
 * token must never write: on a full disk a write on every request would turn reads into errors,
 * and every request would pay for a commit. The times are best effort: a flush that fails keeps
 * them for the next one, and a crash loses a few seconds of "last seen".
 */
import type { Db } from '../db/database';

export const LAST_SEEN_FLUSH_MS = 5_000;

export class LastSeen {
  private readonly sessions = new Map<string, number>();
  private readonly devices = new Map<string, number>();
  private failing = false;

  constructor(
    private readonly db: Db,
    private readonly log: (message: string) => void = (m) => process.stderr.write(`${m}\n`),
  ) {}

  session(idHash: string, at: number): void {
    this.sessions.set(idHash, Math.max(at, this.sessions.get(idHash) ?? at));
  }

  device(id: string, at: number): void {
    this.devices.set(id, Math.max(at, this.devices.get(id) ?? at));
  }

  /** The latest use not yet written, if any. */
  pendingSession(idHash: string): number | undefined {
    return this.sessions.get(idHash);
  }

  pendingDevice(id: string): number | undefined {
    return this.devices.get(id);
  }

  forgetSession(idHash: string): void {
    this.sessions.delete(idHash);
  }

  /** Writes what is pending; on failure keeps it and says so once until a flush succeeds. */
  flush(): boolean {
    if (this.sessions.size === 0 && this.devices.size === 0) return true;
    const sessions = [...this.sessions];
    const devices = [...this.devices];
    try {
      this.db.transaction(() => {
        // MAX: a time written by an older flush (or another process) never goes backwards.
        const s = this.db.prepare(
          'UPDATE sessions SET last_seen_at = MAX(last_seen_at, ?) WHERE id_hash = ?',
        );
        for (const [idHash, at] of sessions) s.run(at, idHash);
        const d = this.db.prepare(
          'UPDATE devices SET last_seen_at = MAX(COALESCE(last_seen_at, 0), ?) WHERE id = ?',
        );
        for (const [id, at] of devices) d.run(at, id);
      })();
    } catch (error) {
      if (!this.failing)
        this.log(`could not record when sessions were last used: ${(error as Error).message}`);
      this.failing = true;
      return false;
    }
    this.failing = false;
    // Synchronous from the copy to here: nothing was recorded meanwhile.
    this.sessions.clear();
    this.devices.clear();
    return true;
  }
}
