/** Repository files in a local folder (see storage.ts for the interface). */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { describeIoError, EngineError } from '../errors';
import type { FileKind, Storage, StorageDescriptor, TempFile } from './storage';

const TMP_SUFFIX = '.strongroom-tmp';

/** A folder: a second disk, a USB drive, a NAS mount. Writes go to a temporary name, fsync, rename. */
export class LocalFolderStorage implements Storage {
  readonly root: string;
  constructor(root: string) {
    this.root = path.resolve(root);
  }
  get location(): string {
    return this.root;
  }
  get descriptor(): StorageDescriptor {
    return { kind: 'local', path: this.root };
  }

  private p(name: string): string {
    if (name.includes('..') || path.isAbsolute(name))
      throw new EngineError('INVALID_ARGUMENT', `bad name ${name}`);
    return path.join(this.root, name);
  }

  async create(): Promise<void> {
    try {
      await fsp.mkdir(this.root, { recursive: true });
      const entries = await fsp.readdir(this.root);
      if (entries.length > 0) {
        throw new EngineError(
          'REPOSITORY_EXISTS',
          `${this.root} is not empty; refusing to create a repository there`,
        );
      }
      for (const d of ['keys', 'index', 'snapshots', 'packs', 'locks'])
        await fsp.mkdir(path.join(this.root, d));
      for (let i = 0; i < 256; i++)
        await fsp.mkdir(path.join(this.root, 'packs', i.toString(16).padStart(2, '0')));
    } catch (err) {
      if (err instanceof EngineError) throw err;
      throw describeIoError(err, 'creating repository', this.root);
    }
  }

  async exists(name: string): Promise<boolean> {
    try {
      await fsp.access(this.p(name));
      return true;
    } catch {
      return false;
    }
  }

  async read(name: string): Promise<Buffer> {
    try {
      return await fsp.readFile(this.p(name));
    } catch (err) {
      throw describeIoError(err, 'reading', this.p(name));
    }
  }

  async readRange(name: string, offset: number, length: number): Promise<Buffer> {
    let fh: fsp.FileHandle | undefined;
    try {
      fh = await fsp.open(this.p(name), 'r');
      const buf = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === length ? buf : buf.subarray(0, done);
    } catch (err) {
      throw describeIoError(err, 'reading', this.p(name));
    } finally {
      await fh?.close();
    }
  }

  async size(name: string): Promise<number> {
    try {
      return (await fsp.stat(this.p(name))).size;
    } catch (err) {
      throw describeIoError(err, 'reading', this.p(name));
    }
  }

  async write(name: string, data: Uint8Array | Uint8Array[]): Promise<void> {
    const final = this.p(name);
    const tmp = `${final}.${crypto.randomBytes(6).toString('hex')}${TMP_SUFFIX}`;
    const parts = Array.isArray(data) ? data : [data];
    let fh: fsp.FileHandle | undefined;
    try {
      fh = await fsp.open(tmp, 'wx', 0o600);
      // writev in slices: a pack can hold thousands of small blobs and IOV_MAX is 1024.
      for (let i = 0; i < parts.length; i += 512) {
        const slice = parts.slice(i, i + 512);
        const want = slice.reduce((n, b) => n + b.length, 0);
        const { bytesWritten } = await fh.writev(slice);
        if (bytesWritten !== want) await writeRest(fh, slice, bytesWritten);
      }
      await fh.sync();
      await fh.close();
      fh = undefined;
      await fsp.rename(tmp, final);
      await syncDir(path.dirname(final));
    } catch (err) {
      await fh?.close().catch(() => undefined);
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      throw describeIoError(err, 'writing', final);
    }
  }

  createTemp(tag?: string): TempFile {
    const name = `pack-${tag ? `${tag}-` : ''}${crypto.randomBytes(8).toString('hex')}${TMP_SUFFIX}`;
    const tmp = path.join(this.root, 'packs', name);
    let fd: number | undefined;
    const fail = (err: unknown, action: string): never => {
      if (fd !== undefined) fs.closeSync(fd);
      fd = undefined;
      fs.rmSync(tmp, { force: true });
      throw describeIoError(err, action, tmp);
    };
    return {
      append: (data) => {
        try {
          fd ??= fs.openSync(tmp, 'wx', 0o600);
          let off = 0;
          while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
        } catch (err) {
          fail(err, 'writing');
        }
      },
      commit: async (name) => {
        const final = this.p(name);
        try {
          fd ??= fs.openSync(tmp, 'wx', 0o600);
          fs.fsyncSync(fd);
          fs.closeSync(fd);
          fd = undefined;
          fs.renameSync(tmp, final);
        } catch (err) {
          fail(err, 'writing');
        }
        await syncDir(path.dirname(final));
      },
      abort: () => {
        if (fd !== undefined) fs.closeSync(fd);
        fd = undefined;
        fs.rmSync(tmp, { force: true });
      },
    };
  }

  async freeSpace(): Promise<number> {
    const s = await fsp.statfs(this.root);
    return s.bavail * s.bsize;
  }

  async removeTemps(tag: string): Promise<number> {
    if (!/^[0-9a-f]{8,32}$/.test(tag)) throw new Error('a temporary-file tag is hex');
    const dir = path.join(this.root, 'packs');
    const ours = (await fsp.readdir(dir)).filter(
      (n) => n.startsWith(`pack-${tag}-`) && n.endsWith(TMP_SUFFIX),
    );
    await Promise.all(ours.map((n) => fsp.rm(path.join(dir, n), { force: true })));
    return ours.length;
  }

  async list(kind: FileKind): Promise<string[]> {
    const dir = path.join(this.root, kind);
    try {
      if (kind !== 'packs') return (await fsp.readdir(dir)).filter((n) => !n.endsWith(TMP_SUFFIX));
      const out: string[] = [];
      for (const sub of await fsp.readdir(dir, { withFileTypes: true })) {
        // packs/ holds only the 256 prefix folders (and packs being written); a stray file such as
        // .DS_Store there is no pack and must not stop the listing.
        if (!sub.isDirectory()) continue;
        for (const n of await fsp.readdir(path.join(dir, sub.name))) if (!n.endsWith(TMP_SUFFIX)) out.push(n);
      }
      return out;
    } catch (err) {
      throw describeIoError(err, 'listing', dir);
    }
  }

  async listTemporary(): Promise<string[]> {
    const out: string[] = [];
    for (const kind of ['keys', 'index', 'snapshots', 'locks'] as const) {
      for (const n of await fsp.readdir(path.join(this.root, kind)))
        if (n.endsWith(TMP_SUFFIX)) out.push(`${kind}/${n}`);
    }
    for (const entry of await fsp.readdir(path.join(this.root, 'packs'), { withFileTypes: true })) {
      const sub = entry.name;
      if (sub.endsWith(TMP_SUFFIX)) {
        out.push(`packs/${sub}`);
        continue;
      }
      if (!entry.isDirectory()) continue;
      for (const n of await fsp.readdir(path.join(this.root, 'packs', sub))) {
        if (n.endsWith(TMP_SUFFIX)) out.push(`packs/${sub}/${n}`);
      }
    }
    const top = await fsp.readdir(this.root);
    for (const n of top) if (n.endsWith(TMP_SUFFIX)) out.push(n);
    return out;
  }

  async remove(name: string): Promise<void> {
    try {
      await fsp.rm(this.p(name), { force: true });
    } catch (err) {
      throw describeIoError(err, 'removing', this.p(name));
    }
  }
}

async function writeRest(fh: fsp.FileHandle, parts: Uint8Array[], skip: number): Promise<void> {
  for (const p of parts) {
    if (skip >= p.length) {
      skip -= p.length;
      continue;
    }
    let off = skip;
    skip = 0;
    while (off < p.length) off += (await fh.write(p, off, p.length - off)).bytesWritten;
  }
}

/** Makes a rename durable: without it a power cut can lose the directory entry. */
async function syncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch {
    // Some file systems (SMB, some FUSE) refuse fsync on directories; the data file itself is synced.
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
