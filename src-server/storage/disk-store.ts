/**
 * The object store on a local disk: each key is a file under the root. A write goes to a
 * temporary file in the root's tmp/ folder (same file system), is fsynced, checked, and then
 * hard-linked to its name, which fails if the name exists: create-only, without a race.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, open as openCallback } from 'node:fs';
import { link, mkdir, open, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { BodyCheck, writeChecked } from './body-check';
import {
  ObjectExistsError,
  ObjectNotFoundError,
  OUT_OF_SPACE,
  StoreFullError,
  type ByteRange,
  type ObjectStore,
  type PutOptions,
  type StoredObject,
} from './object-store';

/**
 * Temporary files live beside the accounts' folders, on the same file system (a hard link cannot
 * cross one). The dot keeps the name out of the accounts' namespace: usernames start with a letter
 * or a digit, so `tmp` is a user like any other.
 */
export const TMP_DIR = '.tmp';
/** Where temporary files were kept before, when a user named tmp could store nothing; emptied at start. */
const OLD_TMP_DIR = 'tmp';
/**
 * Reads of 1 MiB: a pack is sent in a few large reads and socket writes instead of sixteen
 * times as many 64 KiB ones (the default), which was most of the server's CPU on a restore.
 */
const READ_CHUNK = 1024 * 1024;
/** A plain descriptor: the stream then reads with callbacks, not a promise per chunk (FileHandle). */
const openFd = promisify(openCallback);

export class DiskObjectStore implements ObjectStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  get description(): string {
    return this.root;
  }

  private path(key: string): string {
    const file = resolve(this.root, key);
    // Keys are built by the server from checked names; this is the last line against a bad one.
    if (!file.startsWith(this.root + sep) || key.includes('\0') || key.startsWith(`${TMP_DIR}/`)) {
      throw new Error(`Invalid object key: ${key}`);
    }
    return file;
  }

  async putIfAbsent(key: string, body: Readable, opts: PutOptions): Promise<void> {
    const final = this.path(key);
    // The body is left unread: the caller may still check it against the name (a retry).
    if (await this.stat(key)) throw new ObjectExistsError(key);
    const tmpDir = join(this.root, TMP_DIR);
    await mkdir(tmpDir, { recursive: true, mode: 0o700 });
    const tmp = join(tmpDir, `${randomBytes(12).toString('hex')}.part`);
    const check = new BodyCheck(opts);
    const file = await open(tmp, 'wx', 0o600);
    try {
      await writeChecked(body, check, file);
      check.verify();
      await file.sync();
      await file.close();
      await mkdir(dirname(final), { recursive: true, mode: 0o700 });
      try {
        await link(tmp, final);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw new ObjectExistsError(key, true);
        // File systems without hard links (FAT, some network mounts): the checked rename.
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
        if (await this.stat(key)) throw new ObjectExistsError(key, true);
        await rename(tmp, final);
      }
      await syncDir(dirname(final));
    } catch (error) {
      throw mapDiskError(error);
    } finally {
      await file.close().catch(() => undefined);
      await rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.path(key);
    const fd = await openFd(file, 'r').catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? new ObjectNotFoundError(key) : error;
    });
    // Opened first so a missing file is a clear error here, not a stream error later.
    return createReadStream(file, {
      fd,
      highWaterMark: READ_CHUNK,
      ...(range ? { start: range.start, end: range.end } : {}),
    });
  }

  async stat(key: string): Promise<{ size: number } | null> {
    try {
      const s = await stat(this.path(key));
      return s.isFile() ? { size: s.size } : null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.path(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  async removeTemporary(): Promise<number> {
    let n = 0;
    // The old folder also holds the files of a user named tmp: only its *.part files go.
    for (const dir of [TMP_DIR, OLD_TMP_DIR]) {
      let entries;
      try {
        entries = await readdir(join(this.root, dir), { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      for (const entry of entries) {
        if (!entry.isFile() || !entry.name.endsWith('.part')) continue;
        await rm(join(this.root, dir, entry.name), { force: true });
        n++;
      }
    }
    await rmdir(join(this.root, OLD_TMP_DIR)).catch(() => undefined);
    return n;
  }

  async abandon(): Promise<void> {
    // An upload that never committed left only its temporary file, which removeTemporary() took.
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    const start = prefix === '' ? this.root : this.path(prefix.replace(/\/$/, ''));
    yield* this.walk(start);
  }

  private async *walk(dir: string): AsyncIterable<StoredObject> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (dir === this.root && entry.name === TMP_DIR) continue;
      if (entry.isDirectory()) yield* this.walk(full);
      else if (entry.isFile()) {
        yield { key: relative(this.root, full).split(sep).join('/'), size: (await stat(full)).size };
      }
    }
  }
}

function mapDiskError(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new StoreFullError(OUT_OF_SPACE);
  return error;
}

/** Makes the new directory entry durable (a power cut could otherwise lose it). */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => null);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the file itself is synced.
  } finally {
    await handle.close();
  }
}
