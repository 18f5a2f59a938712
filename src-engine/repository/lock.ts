/**
 * Repository locks: a sealed file locks/<random id> per holder with host, pid and times. Backups, check and
 * restore take a shared lock, prune an exclusive one. A lock is stale when its holder is a dead process on
 * this host or it has not been refreshed for STALE_AFTER_MS; stale locks are reported and can be broken.
 */
import os from 'node:os';
import { EngineError } from '../errors';
import { randomHex } from './crypto';

export interface LockInfo {
  exclusive: boolean;
  host: string;
  pid: number;
  username: string;
  /** ms since epoch */
  created: number;
  refreshed: number;
  command: string;
}

export const REFRESH_MS = 5 * 60 * 1000;
export const STALE_AFTER_MS = 30 * 60 * 1000;

export interface LockPort {
  writeLock(id: string, info: LockInfo): Promise<void>;
  readLock(id: string): Promise<LockInfo | undefined>;
  listLocks(): Promise<string[]>;
  removeLock(id: string): Promise<void>;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function isStale(info: LockInfo, now = Date.now()): boolean {
  if (info.host === os.hostname() && !pidAlive(info.pid)) return true;
  return now - info.refreshed > STALE_AFTER_MS;
}

export function describeLock(id: string, l: LockInfo): string {
  const kind = l.exclusive ? 'exclusive' : 'shared';
  return `${kind} lock ${id.slice(0, 8)} held by ${l.username}@${l.host} pid ${l.pid} (${l.command}) since ${new Date(l.created).toISOString()}`;
}

export class RepositoryLock {
  private timer: NodeJS.Timeout | undefined;
  private released = false;

  private constructor(
    private readonly port: LockPort,
    readonly id: string,
    private info: LockInfo,
  ) {}

  static async acquire(
    port: LockPort,
    exclusive: boolean,
    command: string,
    opts: { breakStale?: boolean } = {},
  ): Promise<RepositoryLock> {
    const now = Date.now();
    const info: LockInfo = {
      exclusive,
      host: os.hostname(),
      pid: process.pid,
      username: os.userInfo().username,
      created: now,
      refreshed: now,
      command,
    };
    // 256 bits, like restic's names: the account storage takes only 64-hex file names.
    const id = randomHex(32);
    // Write first, then look: two racing writers both see each other and both back off, never both win.
    await port.writeLock(id, info);
    const lock = new RepositoryLock(port, id, info);
    try {
      for (const other of await port.listLocks()) {
        if (other === id) continue;
        const o = await port.readLock(other);
        if (!o) continue;
        if (!exclusive && !o.exclusive) continue;
        if (isStale(o)) {
          if (opts.breakStale) {
            await port.removeLock(other);
            continue;
          }
          throw new EngineError(
            'LOCKED',
            `repository is locked by a stale ${describeLock(other, o)}; run \`strongroom-backup unlock\` or pass --break-lock`,
          );
        }
        throw new EngineError('LOCKED', `repository is locked: ${describeLock(other, o)}`);
      }
    } catch (err) {
      await port.removeLock(id).catch(() => undefined);
      throw err;
    }
    lock.timer = setInterval(() => void lock.refresh(), REFRESH_MS);
    lock.timer.unref();
    return lock;
  }

  private async refresh(): Promise<void> {
    if (this.released) return;
    this.info = { ...this.info, refreshed: Date.now() };
    await this.port.writeLock(this.id, this.info).catch(() => undefined);
  }

  /** Stops refreshing without removing the lock (the storage cannot be reached to remove it). */
  abandon(): void {
    this.released = true;
    if (this.timer) clearInterval(this.timer);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    await this.port.removeLock(this.id);
  }
}

/** The storage is gone or refuses this client: a lock cannot be removed there either. */
export function storageGone(err: unknown): boolean {
  return err instanceof EngineError && (err.code === 'UNREACHABLE' || err.code === 'UNAUTHORIZED');
}

/**
 * Runs `work` under `lock`, then releases it. A release that fails never hides what `work` threw (the
 * lock stays, stale once this process is gone); after a success it is only told to
 * `onReleaseFailure`, since what `work` did is done. When `work` failed because the storage is gone,
 * no release is tried: it would only wait on the same silence again.
 */
export async function underLock<T>(
  lock: RepositoryLock,
  work: () => Promise<T>,
  onReleaseFailure: (err: Error) => void,
): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (err) {
    if (storageGone(err)) lock.abandon();
    else await lock.release().catch(() => undefined);
    throw err;
  }
  await lock.release().catch((err: Error) => onReleaseFailure(err));
  return result;
}
